"""Bounds on what one caller can hold on a server: request size, calls in flight per client,
how long a client stream may stay silent, and a default deadline for unary calls.

Every call holds a server thread while it runs (a stalled client stream too), so without a
per-client bound one client could take every thread and starve health checks and queries.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from shift_search.runtime.callers import Caller, Local, Service, User
from shift_search.runtime.errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """`max_calls_per_client` None: no per-client bound (internal servers: trusted callers)."""

    max_workers: int
    max_concurrent_calls: int | None  # beyond it, RESOURCE_EXHAUSTED rather than a queue
    max_request_bytes: int
    max_calls_per_client: int | None
    stream_idle_seconds: float
    unary_deadline_seconds: float | None


PUBLIC_LIMITS = Limits(
    max_workers=96,
    max_concurrent_calls=192,
    max_request_bytes=4 * 2**20,
    max_calls_per_client=64,
    stream_idle_seconds=60.0,
    unary_deadline_seconds=300.0,
)
"""The public port: one client holding its 64 calls leaves a third of the threads to the others
(and `--health-port` gives probes threads of their own)."""

INTERNAL_LIMITS = Limits(
    max_workers=32,
    max_concurrent_calls=None,
    max_request_bytes=64 * 2**20,
    max_calls_per_client=None,
    stream_idle_seconds=120.0,
    unary_deadline_seconds=None,
)


def client_key(caller: Caller, peer: str) -> str:
    """What the per-client bound counts by: the token's name; a service's certificate name; a
    remote address without its port; every local caller (loopback, socket) together."""
    match caller:
        case User(name=name):
            return f"token:{name}"
        case Service(name=name):
            return f"service:{name}"
        case Local():
            return _local_key(peer)


@functools.lru_cache(maxsize=1024)
def _local_key(peer: str) -> str:
    """A local caller's key by its peer address (kept: parsed once per connection)."""
    host = _host_of(peer)
    return "local" if host is None or _is_local(host) else f"ip:{host}"


def _host_of(peer: str) -> str | None:
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]").split("%")[0]
    return None  # unix sockets and anything else


def _is_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClientCalls:
    """Calls in flight per client; `enter` is False when the client is at its bound."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def enter(self, key: str) -> bool:
        with self._lock:
            if self.limit is not None and self._open[key] >= self.limit:
                return False
            self._open[key] += 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]


def watched(
    requests: Iterator[T], context: grpc.ServicerContext, idle_seconds: float
) -> Iterator[T]:
    """Yield a client stream's messages; cancel the call when none arrives for `idle_seconds`
    (a stalled stream would otherwise hold its server thread until the client goes away).
    A cancelled stream raises Cancelled rather than ending, so that its handler never takes
    what arrived for the whole message (no partial blob is stored)."""
    timer: threading.Timer | None = None
    silent = threading.Event()

    def expire() -> None:
        silent.set()
        context.cancel()

    def arm() -> None:
        nonlocal timer
        timer = threading.Timer(idle_seconds, expire)
        timer.daemon = True
        timer.start()

    arm()
    try:
        for message in requests:
            assert timer is not None
            timer.cancel()
            yield message
            arm()
    finally:
        if timer is not None:
            timer.cancel()
    if silent.is_set() or not context.is_active():
        raise Cancelled(f"the client stream sent nothing for {idle_seconds:g}s and was cancelled")


class Malformed:
    """What a request that does not parse becomes, so that the handler can answer
    INVALID_ARGUMENT (gRPC itself would answer INTERNAL)."""

    def __init__(self, message_name: str) -> None:
        self.message_name = message_name


def tolerant(deserializer: Any, message_name: str) -> Any:
    """A request deserializer that returns Malformed instead of raising."""
    if deserializer is None:
        return None

    def load(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:
            return Malformed(message_name)

    return load
