"""Interceptors shared by every service.

Server side: one wrapper for unary and streaming handlers alike that admits the caller (the
server's access policy: tokens, client certificates, or a trusted local caller), bounds what
one client holds (`limits.py`), sets the request id and the deadline for the call, logs it, and
maps SHiFT errors to gRPC statuses (anything else becomes INTERNAL with the request id, never a
traceback to the caller). A request that does not parse is INVALID_ARGUMENT. Client side: the
request id, the remaining deadline and the caller's bearer token travel downstream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import grpc

from shift_search.runtime import context
from shift_search.runtime.access import AUTHORIZATION_HEADER, HEALTH, AccessPolicy, OpenAccess
from shift_search.runtime.callers import calling_as
from shift_search.runtime.errors import (
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
    ShiftError,
    Unauthenticated,
)
from shift_search.runtime.limits import (
    PUBLIC_LIMITS,
    ClientCalls,
    Limits,
    Malformed,
    client_key,
    tolerant,
    watched,
)
from shift_search.runtime.metrics import record_error
from shift_search.runtime.status import to_status

log = logging.getLogger("shift.rpc")

Behaviour = Callable[[Any, grpc.ServicerContext], Any]


class ServerInterceptor(grpc.ServerInterceptor):
    """Admission, bounds, request ids, deadlines, logging and the error → status mapping for
    every handler of one server."""

    def __init__(self, access: AccessPolicy | None = None, limits: Limits = PUBLIC_LIMITS) -> None:
        self.access: AccessPolicy = access or OpenAccess()
        self.limits = limits
        self.calls = ClientCalls(limits.max_calls_per_client)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        replace: Any = handler._replace
        load = tolerant(handler.request_deserializer, method)
        if handler.unary_unary:
            wrapped = self._unary(handler.unary_unary, method, streaming_request=False)
            return replace(unary_unary=wrapped, request_deserializer=load)
        if handler.stream_unary:
            wrapped = self._unary(handler.stream_unary, method, streaming_request=True)
            return replace(stream_unary=wrapped, request_deserializer=load)
        if handler.unary_stream:
            wrapped = self._stream(handler.unary_stream, method, streaming_request=False)
            return replace(unary_stream=wrapped, request_deserializer=load)
        if handler.stream_stream:
            wrapped = self._stream(handler.stream_stream, method, streaming_request=True)
            return replace(stream_stream=wrapped, request_deserializer=load)
        return handler

    def _unary(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        def handler(request: Any, ctx: grpc.ServicerContext) -> Any:
            with self._scope(ctx, method, unary=not streaming_request):
                return behaviour(self._request(request, ctx, streaming_request, method), ctx)
            return None  # reached only after abort, which raises

        return handler

    def _stream(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        def handler(request: Any, ctx: grpc.ServicerContext) -> Iterator[Any]:
            with self._scope(ctx, method, unary=False):
                yield from behaviour(self._request(request, ctx, streaming_request, method), ctx)

        return handler

    def _request(
        self, request: Any, ctx: grpc.ServicerContext, streaming: bool, method: str
    ) -> Any:
        if not streaming:
            _check_parsed(request, method)
            return request
        return _parsed(watched(request, ctx, self.limits.stream_idle_seconds), method)

    @contextmanager
    def _scope(self, ctx: grpc.ServicerContext, method: str, *, unary: bool) -> Iterator[None]:
        metadata = dict(ctx.invocation_metadata() or ())
        rid = str(metadata.get(context.REQUEST_ID_HEADER) or context.new_request_id())
        rid_token = context.set_request_id(rid)
        deadline_token = context.set_deadline(self._deadline(ctx, unary))
        started = time.perf_counter()
        try:
            caller = self.access.admit(method, ctx)
            key = client_key(caller, ctx.peer())
            bounded = method not in HEALTH
            if bounded and not self.calls.enter(key):
                raise ResourceExhausted(
                    f"too many calls in flight from this client (at most "
                    f"{self.limits.max_calls_per_client}); retry when some have finished"
                )
            try:
                with calling_as(caller):
                    yield
            finally:
                if bounded:
                    self.calls.leave(key)
        except (Unauthenticated, PermissionDenied) as err:
            log.warning("%s denied (%s): %s", method, err.code.name, err.message)
            record_error(_service_of(method), err.code.name)
            ctx.abort_with_status(to_status(err))
        except ShiftError as err:
            log.info("%s -> %s: %s", method, err.code.name, err.message)
            record_error(_service_of(method), err.code.name)
            ctx.abort_with_status(to_status(err))
        except Exception:
            if ctx.code() is not None or not ctx.is_active():  # aborted, cancelled or timed out
                raise
            log.exception("%s failed", method)
            record_error(_service_of(method), grpc.StatusCode.INTERNAL.name)
            ctx.abort(grpc.StatusCode.INTERNAL, f"internal error in {method} (request {rid})")
        finally:
            log.debug("%s done in %.3fs", method, time.perf_counter() - started)
            context.reset_deadline(deadline_token)
            context.reset_request_id(rid_token)

    def _deadline(self, ctx: grpc.ServicerContext, unary: bool) -> float | None:
        """Seconds the call may run: the client's deadline, capped for unary calls."""
        remaining: float | None = ctx.time_remaining()
        cap = self.limits.unary_deadline_seconds
        if unary and cap is not None:
            remaining = cap if remaining is None else min(remaining, cap)
        return remaining


def _service_of(method: str) -> str:
    """`/shift.v1.QueryService/Execute` → `QueryService` (the metrics' service label)."""
    return method.strip("/").split("/", 1)[0].rsplit(".", 1)[-1]


def _check_parsed(request: Any, method: str) -> None:
    if isinstance(request, Malformed):
        raise InvalidArgument(f"malformed request: the bytes sent to {method} are not its message")


def _parsed(requests: Iterator[Any], method: str) -> Iterator[Any]:
    for request in requests:
        _check_parsed(request, method)
        yield request


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


def _downstream(details: grpc.ClientCallDetails, token: str | None) -> _CallDetails:
    metadata = list(details.metadata or ())
    if token is not None:
        metadata.append((AUTHORIZATION_HEADER, f"Bearer {token}"))
    if not any(k == context.REQUEST_ID_HEADER for k, _ in metadata):
        rid = context.request_id()
        metadata.append(
            (context.REQUEST_ID_HEADER, rid if rid != "-" else context.new_request_id())
        )
    timeout = details.timeout
    remaining = context.time_remaining()
    if remaining is not None and (timeout is None or remaining < timeout):
        timeout = remaining
    return _CallDetails(
        details.method,
        timeout,
        metadata,
        details.credentials,
        getattr(details, "wait_for_ready", None),
        getattr(details, "compression", None),
    )


class ClientInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Passes the request id, the caller's remaining deadline and, when given, a bearer token
    to the next service."""

    def __init__(self, token: str | None = None) -> None:
        self._token = token

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_downstream(details, self._token), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_downstream(details, self._token), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(_downstream(details, self._token), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(_downstream(details, self._token), requests)
