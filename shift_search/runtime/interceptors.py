"""Interceptors shared by every service.

Server side: one wrapper for unary and streaming handlers alike that admits the caller (the
server's access policy: tokens, client certificates, or a trusted local caller), bounds what
one client holds (`limits.py`), sets the request id and the deadline for the call, logs it, and
maps SHiFT errors to gRPC statuses (anything else becomes INTERNAL with the request id, never a
traceback to the caller). A request that does not parse is INVALID_ARGUMENT. Client side: the
request id, the remaining deadline and the caller's bearer token travel downstream.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from contextlib import aclosing, contextmanager
from typing import Any, NamedTuple

import grpc

from shift_search.runtime import context
from shift_search.runtime.access import AUTHORIZATION_HEADER, HEALTH, AccessPolicy, OpenAccess
from shift_search.runtime.aio import on_threads
from shift_search.runtime.callers import calling_as
from shift_search.runtime.errors import (
    Cancelled,
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


class _Abort(Exception):
    """How the policy asks its handler wrapper to end the call with `status` (the wrapper
    aborts synchronously or awaits the abort, by the kind of server)."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status.details)
        self.status = status


class _Status(
    collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status
):
    """A status without details messages (INTERNAL)."""


def _over(ctx: Any) -> bool:
    """Whether the call has already ended: aborted, cancelled or timed out."""
    if ctx.code() is not None:
        return True
    is_active = getattr(ctx, "is_active", None)
    return not is_active() if is_active is not None else bool(ctx.done())


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
        return self.wrap(continuation(handler_call_details), handler_call_details.method)

    def wrap(
        self,
        handler: grpc.RpcMethodHandler | None,
        method: str,
        unary: Callable[..., Behaviour] | None = None,
        stream: Callable[..., Behaviour] | None = None,
    ) -> grpc.RpcMethodHandler | None:
        """`handler` with its behaviour wrapped in the policy (`unary` and `stream` make the
        wrappers; the synchronous ones by default) and a request parser that never raises."""
        if handler is None:
            return None
        unary = unary or self._unary
        stream = stream or self._stream
        replace: Any = handler._replace
        load = tolerant(handler.request_deserializer, method)
        if handler.unary_unary:
            wrapped = unary(handler.unary_unary, method, streaming_request=False)
            return replace(unary_unary=wrapped, request_deserializer=load)
        if handler.stream_unary:
            wrapped = unary(handler.stream_unary, method, streaming_request=True)
            return replace(stream_unary=wrapped, request_deserializer=load)
        if handler.unary_stream:
            wrapped = stream(handler.unary_stream, method, streaming_request=False)
            return replace(unary_stream=wrapped, request_deserializer=load)
        if handler.stream_stream:
            wrapped = stream(handler.stream_stream, method, streaming_request=True)
            return replace(stream_stream=wrapped, request_deserializer=load)
        return handler

    def _unary(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        def handler(request: Any, ctx: grpc.ServicerContext) -> Any:
            try:
                with self.scope(ctx, method, unary=not streaming_request):
                    return behaviour(self._request(request, ctx, streaming_request, method), ctx)
            except _Abort as abort:
                ctx.abort_with_status(abort.status)
            return None  # reached only after abort, which raises

        return handler

    def _stream(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        def handler(request: Any, ctx: grpc.ServicerContext) -> Iterator[Any]:
            try:
                with self.scope(ctx, method, unary=False):
                    yield from behaviour(
                        self._request(request, ctx, streaming_request, method), ctx
                    )
            except _Abort as abort:
                ctx.abort_with_status(abort.status)

        return handler

    def _request(
        self, request: Any, ctx: grpc.ServicerContext, streaming: bool, method: str
    ) -> Any:
        if not streaming:
            _check_parsed(request, method)
            return request
        return _parsed(watched(request, ctx, self.limits.stream_idle_seconds), method)

    @contextmanager
    def scope(self, ctx: Any, method: str, *, unary: bool) -> Iterator[None]:
        """The policy around one call's behaviour, for synchronous and asyncio contexts alike;
        a call it ends raises `_Abort` with the status to end it with."""
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
        except _Abort:
            raise
        except (Unauthenticated, PermissionDenied) as err:
            log.warning("%s denied (%s): %s", method, err.code.name, err.message)
            record_error(_service_of(method), err.code.name)
            raise _Abort(to_status(err)) from None
        except ShiftError as err:
            log.info("%s -> %s: %s", method, err.code.name, err.message)
            record_error(_service_of(method), err.code.name)
            raise _Abort(to_status(err)) from None
        except Exception:
            if _over(ctx):  # aborted, cancelled or timed out
                raise
            log.exception("%s failed", method)
            record_error(_service_of(method), grpc.StatusCode.INTERNAL.name)
            details = f"internal error in {method} (request {rid})"
            raise _Abort(_Status(grpc.StatusCode.INTERNAL, details, ())) from None
        finally:
            log.debug("%s done in %.3fs", method, time.perf_counter() - started)
            context.reset_deadline(deadline_token)
            context.reset_request_id(rid_token)

    def _deadline(self, ctx: Any, unary: bool) -> float | None:
        """Seconds the call may run: the client's deadline, capped for unary calls."""
        remaining: float | None = ctx.time_remaining()
        cap = self.limits.unary_deadline_seconds
        if unary and cap is not None:
            remaining = cap if remaining is None else min(remaining, cap)
        return remaining


class AsyncServerInterceptor(grpc.aio.ServerInterceptor):
    """The same policy on a grpc.aio server. Asyncio handlers run in it on the event loop;
    synchronous handlers are wrapped by the synchronous policy and run on `pool` with a
    synchronous context (`SyncContext`), as on a synchronous server."""

    def __init__(self, policy: ServerInterceptor, pool: Executor) -> None:
        self.policy = policy
        self.pool = pool

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if _is_async(handler):
            return self.policy.wrap(handler, method, self._unary, self._stream)
        wrapped = self.policy.wrap(handler, method)
        assert wrapped is not None
        return on_threads(wrapped, self.pool)

    def _unary(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        async def handler(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
            try:
                with self.policy.scope(ctx, method, unary=not streaming_request):
                    return await behaviour(self._request(request, streaming_request, method), ctx)
            except _Abort as abort:
                await ctx.abort_with_status(abort.status)
            return None  # reached only after abort, which raises

        return handler

    def _stream(self, behaviour: Behaviour, method: str, *, streaming_request: bool) -> Behaviour:
        if inspect.iscoroutinefunction(behaviour):  # writes its responses with ctx.write

            async def writer(request: Any, ctx: grpc.aio.ServicerContext) -> None:
                try:
                    with self.policy.scope(ctx, method, unary=False):
                        await behaviour(self._request(request, streaming_request, method), ctx)
                except _Abort as abort:
                    await ctx.abort_with_status(abort.status)

            return writer

        async def handler(request: Any, ctx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                with self.policy.scope(ctx, method, unary=False):
                    requests = self._request(request, streaming_request, method)
                    async with aclosing(behaviour(requests, ctx)) as responses:
                        async for response in responses:
                            yield response
            except _Abort as abort:
                await ctx.abort_with_status(abort.status)

        return handler

    def _request(self, request: Any, streaming: bool, method: str) -> Any:
        if not streaming:
            _check_parsed(request, method)
            return request
        return _watched_async(request, self.policy.limits.stream_idle_seconds, method)


def _is_async(handler: grpc.RpcMethodHandler) -> bool:
    behaviour = (
        handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream
    )
    return inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)


async def _watched_async(requests: Any, idle_seconds: float, method: str) -> AsyncIterator[Any]:
    """A client stream's messages, parsed; Cancelled when none arrives for `idle_seconds`."""
    iterator = requests.__aiter__()
    while True:
        try:
            message = await asyncio.wait_for(iterator.__anext__(), idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise Cancelled(
                f"the client stream sent nothing for {idle_seconds:g}s and was cancelled"
            ) from None
        _check_parsed(message, method)
        yield message


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
