"""Client channels between services (and from the CLI): options, interceptors, errors."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc

from shift_search.runtime.errors import FailedPrecondition, ShiftError, Unavailable
from shift_search.runtime.interceptors import ClientInterceptor
from shift_search.runtime.status import details_of, from_rpc_error

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.enable_retries", 1),
    # each channel owns its connections: a shared (global) subchannel to an address whose old
    # server went away stays in reconnect backoff and fails a new server on the same port at once
    ("grpc.use_local_subchannel_pool", 1),
]

T = TypeVar("T")


def open_channel(
    address: str,
    credentials: grpc.ChannelCredentials | None = None,
    *,
    token: str | None = None,
    options: Sequence[tuple[str, object]] = (),
) -> grpc.Channel:
    """A channel to `address` that propagates request ids and deadlines: TLS with
    `credentials` (see `tls.channel_credentials`), else plaintext; `token` goes with every
    call as a bearer token, which is never sent in plaintext beyond this machine; `options`
    go with `CHANNEL_OPTIONS`.

    A `dns:///name:port` address with round-robin load balancing spreads calls over every pod
    behind a headless Kubernetes Service.
    """
    if credentials is None:
        if token is not None and not is_local_address(address):
            raise FailedPrecondition(
                f"refusing to send a token in plaintext to {address}; use TLS (--ca or --tls)"
            )
        channel = grpc.insecure_channel(address, options=[*CHANNEL_OPTIONS, *options])
    else:
        channel = grpc.secure_channel(address, credentials, options=[*CHANNEL_OPTIONS, *options])
    return grpc.intercept_channel(channel, ClientInterceptor(token))


def is_local_address(address: str) -> bool:
    """A Unix socket, or a host that is this machine (localhost, 127.0.0.0/8, ::1)."""
    if address.startswith("unix:"):
        return True
    host = address.split("///")[-1].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def call(address: str, fn: Callable[[], T], part: str = "") -> T:
    """Run one RPC; turn its failure into the matching ShiftError, naming the part (`cache`,
    `parser`…) and its address when it cannot be reached."""
    try:
        return fn()
    except grpc.RpcError as err:
        raise translate(err, address, part) from None


def translate(err: grpc.RpcError, address: str, part: str = "") -> ShiftError:
    """A ShiftError for a failed call; UNAVAILABLE names the part (`cache`, `parser`…) and the
    address that could not be reached: "cache: cannot reach the cache service at ADDR (…)"."""
    shift_err = from_rpc_error(err)
    if isinstance(shift_err, Unavailable) and not details_of(err):  # transport, not the service
        reason = shift_err.message.split("last error:")[-1].split(": ")[-1].strip()
        what = f"{part}: cannot reach the {part} service" if part else "cannot reach the service"
        return Unavailable(f"{what} at {address} ({reason or 'no answer'})")
    return shift_err
