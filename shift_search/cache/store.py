"""The Store interface every backend implements, and the checks they share.

A Store is a transport-free byte key-value store with leases and counters. Values are written
atomically: a reader sees the whole old value or the whole new one. Only feature chunks are written
``evictable``; everything else is durable. Backend failures raise ``Unavailable``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from shift_search.runtime.errors import InvalidArgument, Unavailable

Items = Mapping[str, bytes] | Iterable[tuple[str, bytes]]


@runtime_checkable
class Store(Protocol):
    """Byte key-value store with leases and counters (SQLite or Redis)."""

    @property
    def address(self) -> str:
        """Where the store lives, safe to show (no password)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def put(self, key: str, value: bytes, *, evictable: bool = False) -> None: ...

    def put_many(self, items: Items, *, evictable: bool = False) -> None:
        """Write all items in one transaction: readers see all of them or none."""
        ...

    def delete(self, key: str) -> bool: ...

    def scan(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix``, sorted."""
        ...

    def delete_prefix(self, prefix: str) -> int: ...

    def acquire_lease(self, key: str, owner: str, ttl_seconds: float) -> bool:
        """True if ``owner`` now holds the lease (new, expired, or already its own: renewed)."""
        ...

    def release_lease(self, key: str, owner: str) -> None:
        """Drop the lease if ``owner`` holds it; otherwise do nothing."""
        ...

    def incr(self, key: str, by: int = 1) -> int: ...

    def append(self, counter: str, key_of: Callable[[int], str], value: bytes) -> int:
        """Increment `counter` and write `value` (durable) under `key_of(its new count)`; the
        count. SQLite does both in one transaction; Redis one after the other, as `incr` then
        `put` would."""
        ...

    def generation(self) -> Hashable | None:
        """A token that moves on whenever a value but the query history's may have changed, by
        anyone (equal tokens: those values read the same); None when the store cannot tell
        cheaply, and then nothing may be kept on the strength of it."""
        ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"store key must be a non-empty string, got {key!r}")
    return key


def check_value(key: str, value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidArgument(f"value of {key!r} must be bytes, got {type(value).__name__}")
    return bytes(value)


def check_items(items: Items) -> list[tuple[str, bytes]]:
    """Validate every item before anything is written, so a bad item writes nothing."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return [(check_key(k), check_value(k, v)) for k, v in pairs]


def check_lease(owner: str, ttl_seconds: float) -> None:
    if not owner:
        raise InvalidArgument("lease owner must be a non-empty string")
    if not math.isfinite(ttl_seconds) or ttl_seconds <= 0:
        raise InvalidArgument(f"lease ttl_seconds must be positive, got {ttl_seconds}")


def check_counter(key: str, raw: bytes | None) -> int:
    """The integer a counter holds (0 when missing)."""
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(f"value of {key!r} is not an integer counter") from None


def unavailable(store: str, address: str, operation: str, error: BaseException) -> Unavailable:
    """The error a backend failure becomes: names the store, its address and the operation."""
    return Unavailable(f"{store} store at {address} is unavailable ({operation}): {error}")
