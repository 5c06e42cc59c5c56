"""The Store on Redis (redis-py): pipelined batches, Lua leases, self-healing connections.

Durable values have no TTL. Evictable values (feature chunks) get a long TTL, which makes them the
only candidates for eviction under ``maxmemory-policy volatile-lru``; run Redis with that policy
and persistence (AOF) so the catalog and results survive both memory pressure and restarts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from shift_search.cache.store import (
    Items,
    check_items,
    check_key,
    check_lease,
    unavailable,
)
from shift_search.runtime.errors import InvalidArgument, ResourceExhausted

DEFAULT_EVICTABLE_TTL_SECONDS = 30 * 24 * 3600.0
_BATCH = 500
_GLOB_SPECIALS = re.compile(r"([*?\[\]\\])")

# Take the lease if it is free, expired (Redis dropped it) or already ours (then renew it).
_ACQUIRE_LUA = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# Delete the lease only when the caller holds it.
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.hostname or ""
    netloc = f"{user}{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def glob_escape(prefix: str) -> str:
    """``prefix`` with Redis glob characters escaped, for SCAN MATCH."""
    return _GLOB_SPECIALS.sub(r"\\\1", prefix)


def _as_bytes(value: object) -> bytes | None:
    match value:
        case None:
            return None
        case bytes():
            return value
        case _:
            return str(value).encode()


class RedisStore:
    """Store on a Redis server; reconnects by itself when the server comes back."""

    def __init__(
        self,
        url: str,
        *,
        evictable_ttl_seconds: float = DEFAULT_EVICTABLE_TTL_SECONDS,
        socket_timeout: float = 5.0,
        retries: int = 2,
    ) -> None:
        self._address = redact(url)
        self._evictable_ttl_ms = int(evictable_ttl_seconds * 1000)
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=min(socket_timeout, 2.0),
                health_check_interval=15,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries),
                retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            )
        except ValueError as exc:
            raise InvalidArgument(f"bad Redis URL {self._address}: {exc}") from exc
        self._acquire = self._client.register_script(_ACQUIRE_LUA)
        self._release = self._client.register_script(_RELEASE_LUA)

    @property
    def address(self) -> str:
        return self._address

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        try:
            yield
        except redis.ResponseError as exc:
            if str(exc).startswith("OOM"):
                raise ResourceExhausted(f"redis store at {self._address} is full: {exc}") from exc
            raise unavailable("redis", self._address, operation, exc) from exc
        except redis.RedisError as exc:
            raise unavailable("redis", self._address, operation, exc) from exc

    def get(self, key: str) -> bytes | None:
        with self._guard("get"):
            return _as_bytes(self._client.get(check_key(key)))

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        wanted = [check_key(k) for k in keys]
        if not wanted:
            return []
        with self._guard("get_many"):
            pipe = self._client.pipeline(transaction=False)
            for start in range(0, len(wanted), _BATCH):
                pipe.mget(wanted[start : start + _BATCH])
            batches = pipe.execute()
        return [_as_bytes(v) for batch in batches for v in batch]

    def put(self, key: str, value: bytes, *, evictable: bool = False) -> None:
        self.put_many([(key, value)], evictable=evictable)

    def put_many(self, items: Items, *, evictable: bool = False) -> None:
        pairs = check_items(items)
        if not pairs:
            return
        ttl = self._evictable_ttl_ms if evictable else None
        with self._guard("put_many"):
            pipe = self._client.pipeline(transaction=True)
            for key, value in pairs:
                pipe.set(key, value, px=ttl)
            pipe.execute()

    def delete(self, key: str) -> bool:
        with self._guard("delete"):
            return bool(self._client.delete(check_key(key)))

    def scan(self, prefix: str) -> list[str]:
        with self._guard("scan"):
            found = self._client.scan_iter(match=glob_escape(prefix) + "*", count=1000)
            return sorted({k.decode() for k in found})

    def delete_prefix(self, prefix: str) -> int:
        keys = self.scan(check_key(prefix))
        with self._guard("delete_prefix"):
            pipe = self._client.pipeline(transaction=False)
            for start in range(0, len(keys), _BATCH):
                pipe.unlink(*keys[start : start + _BATCH])
            return sum(pipe.execute()) if keys else 0

    def acquire_lease(self, key: str, owner: str, ttl_seconds: float) -> bool:
        check_lease(owner, ttl_seconds)
        ttl_ms = max(1, int(ttl_seconds * 1000))
        with self._guard("acquire_lease"):
            return bool(self._acquire(keys=[check_key(key)], args=[owner, ttl_ms]))

    def release_lease(self, key: str, owner: str) -> None:
        with self._guard("release_lease"):
            self._release(keys=[check_key(key)], args=[owner])

    def incr(self, key: str, by: int = 1) -> int:
        with self._guard("incr"):
            try:
                return int(self._client.incrby(check_key(key), by))
            except redis.ResponseError as exc:
                if "not an integer" not in str(exc):
                    raise
        raise InvalidArgument(f"value of {key!r} is not an integer counter")

    def append(self, counter: str, key_of: Callable[[int], str], value: bytes) -> int:
        count = self.incr(counter)
        self.put(key_of(count), value)
        return count

    def generation(self) -> None:
        """None: other processes write to the server unseen here (nothing is kept on it)."""
        return None

    def ping(self) -> None:
        with self._guard("ping"):
            self._client.ping()

    def close(self) -> None:
        self._client.close()
