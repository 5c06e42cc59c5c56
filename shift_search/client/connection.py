"""Channels from a client to a SHiFT server: plain or TLS, with a bearer token on every call.

TLS: `ca` (a PEM file or its bytes) makes a TLS channel that trusts that CA. The token travels as
`authorization: Bearer …` metadata on each call, which works on plain and TLS channels alike.
When `runtime.channels.open_channel` learns TLS itself, `tls_channel` becomes a call to it.
"""

from __future__ import annotations

import os
from pathlib import Path

import grpc

from shift_search.runtime.channels import CHANNEL_OPTIONS, open_channel
from shift_search.runtime.context import REQUEST_ID_HEADER, new_request_id
from shift_search.runtime.interceptors import ClientInterceptor

CA = str | os.PathLike[str] | bytes
Metadata = tuple[tuple[str, str], ...]


def call_metadata(token: str | None) -> Metadata:
    """What each call sends: a request id, and the bearer token when there is one."""
    pairs: list[tuple[str, str]] = [(REQUEST_ID_HEADER, new_request_id())]
    if token:
        pairs.append(("authorization", f"Bearer {token}"))
    return tuple(pairs)


def credentials(ca: CA) -> grpc.ChannelCredentials:
    pem = ca if isinstance(ca, bytes) else Path(ca).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=pem)


def tls_channel(address: str, ca: CA) -> grpc.Channel:
    channel = grpc.secure_channel(address, credentials(ca), options=CHANNEL_OPTIONS)
    return grpc.intercept_channel(channel, ClientInterceptor())


def blocking_channel(address: str, ca: CA | None) -> grpc.Channel:
    return open_channel(address) if ca is None else tls_channel(address, ca)


def asyncio_channel(address: str, ca: CA | None) -> grpc.aio.Channel:
    if ca is None:
        return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
    return grpc.aio.secure_channel(address, credentials(ca), options=CHANNEL_OPTIONS)
