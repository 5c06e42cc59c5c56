"""Interceptors shared by every service.

Server side: one wrapper for unary and streaming handlers alike that sets the request id and the
deadline for the call, logs it, and maps SHiFT errors to gRPC statuses (anything else becomes
INTERNAL with the request id, never a traceback to the caller). Client side: the request id and
the remaining deadline travel downstream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import grpc

from shift_search.runtime import context
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.status import to_status

log = logging.getLogger("shift.rpc")

Behaviour = Callable[[Any, grpc.ServicerContext], Any]


@contextmanager
def _call_scope(ctx: grpc.ServicerContext, method: str) -> Iterator[None]:
    metadata = dict(ctx.invocation_metadata() or ())
    rid = str(metadata.get(context.REQUEST_ID_HEADER) or context.new_request_id())
    rid_token = context.set_request_id(rid)
    deadline_token = context._deadline.set(None)
    context.set_deadline(ctx.time_remaining())
    started = time.perf_counter()
    try:
        yield
    except ShiftError as err:
        log.info("%s -> %s: %s", method, err.code.name, err.message)
        ctx.abort_with_status(to_status(err))
    except Exception:
        if ctx.code() is not None:  # already aborted or cancelled: let it through
            raise
        log.exception("%s failed", method)
        ctx.abort(grpc.StatusCode.INTERNAL, f"internal error in {method} (request {rid})")
    finally:
        log.debug("%s done in %.3fs", method, time.perf_counter() - started)
        context._deadline.reset(deadline_token)
        context._request_id.reset(rid_token)


def _wrap_unary(behaviour: Behaviour, method: str) -> Behaviour:
    def handler(request: Any, ctx: grpc.ServicerContext) -> Any:
        with _call_scope(ctx, method):
            return behaviour(request, ctx)
        return None  # reached only after abort, which raises

    return handler


def _wrap_stream(behaviour: Behaviour, method: str) -> Behaviour:
    def handler(request: Any, ctx: grpc.ServicerContext) -> Iterator[Any]:
        with _call_scope(ctx, method):
            yield from behaviour(request, ctx)

    return handler


class ServerInterceptor(grpc.ServerInterceptor):
    """Request ids, deadlines, logging and the error → status mapping for every handler."""

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
        if handler.unary_unary:
            return replace(unary_unary=_wrap_unary(handler.unary_unary, method))
        if handler.stream_unary:
            return replace(stream_unary=_wrap_unary(handler.stream_unary, method))
        if handler.unary_stream:
            return replace(unary_stream=_wrap_stream(handler.unary_stream, method))
        if handler.stream_stream:
            return replace(stream_stream=_wrap_stream(handler.stream_stream, method))
        return handler


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


def _downstream(details: grpc.ClientCallDetails) -> _CallDetails:
    metadata = list(details.metadata or ())
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
    """Passes the request id and the caller's remaining deadline to the next service."""

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_downstream(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(_downstream(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(_downstream(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(_downstream(details), requests)
