"""Channels from a client to a SHiFT server: plaintext or TLS, with a bearer token on every call.

`credentials` (see `runtime.tls.channel_credentials`, which also makes a client certificate
for mutual TLS) or just `ca` (a PEM file or its bytes) make the channel TLS. The blocking client
uses `runtime.channels.open_channel`, whose interceptor sends the token and the request id (and
refuses to send a token in plaintext beyond this machine); grpc.aio channels take no such
interceptor, so the asyncio client sends the same metadata with each call.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc
import grpc.experimental

from shift_search.runtime.channels import CHANNEL_OPTIONS, is_local_address, open_channel
from shift_search.runtime.context import REQUEST_ID_HEADER, new_request_id
from shift_search.runtime.errors import FailedPrecondition

CA = str | os.PathLike[str] | bytes
Metadata = tuple[tuple[str, str], ...]


def call_metadata(token: str | None) -> Metadata:
    """What each asyncio call sends: a request id, and the bearer token when there is one."""
    pairs: list[tuple[str, str]] = [(REQUEST_ID_HEADER, new_request_id())]
    if token:
        pairs.append(("authorization", f"Bearer {token}"))
    return tuple(pairs)


def tls_credentials(
    ca: CA | None, credentials: grpc.ChannelCredentials | None
) -> grpc.ChannelCredentials | None:
    """The channel's TLS: `credentials` as given, else trust `ca`, else None (plaintext)."""
    if credentials is not None or ca is None:
        return credentials
    pem = ca if isinstance(ca, bytes) else Path(ca).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=pem)


SINGLE_THREADED_STREAMS = (grpc.experimental.ChannelOptions.SingleThreadedUnaryStream, 1)
"""A query's event stream is read on the thread that iterates it: without this, gRPC starts a
"channel spin" thread for every streaming call (and waits for it to start), which cost a
cached query about as much client time as the rest of the call."""


def blocking_channel(
    address: str, credentials: grpc.ChannelCredentials | None, token: str | None
) -> grpc.Channel:
    return open_channel(address, credentials, token=token, options=[SINGLE_THREADED_STREAMS])


def asyncio_channel(
    address: str, credentials: grpc.ChannelCredentials | None, token: str | None
) -> grpc.aio.Channel:
    if credentials is None:
        if token is not None and not is_local_address(address):
            raise FailedPrecondition(
                f"refusing to send a token in plaintext to {address}; use TLS (ca=…)"
            )
        return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
    return grpc.aio.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
