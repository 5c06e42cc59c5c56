"""The asyncio side of a server: an event loop on a thread of its own, for callers that stay
synchronous, and the bridges between that loop and blocking code on worker threads.

A `grpc.aio` server does its I/O on one event loop, so no call hands each message from a
polling thread to a handler thread; blocking work (a query's coordinator, the synchronous
servicers) runs on the server's thread pool and hands the loop only what it has ready.
`on_threads` runs a synchronous gRPC handler that way, with a `SyncContext`."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import CancelledError as FutureCancelled
from concurrent.futures import Executor
from contextlib import aclosing
from typing import Any, TypeVar

import grpc

T = TypeVar("T")
Handler = Callable[[Any, Any], Any]

log = logging.getLogger("shift.rpc")

_END = object()


class LoopThread:
    """An event loop running on a daemon thread; `call` and `run` wait for their result."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable` on the loop (from another thread) and return its result."""

        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result()

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function` on the loop's thread (grpc.aio objects belong to their loop)."""

        async def wrapped() -> T:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result()

    def stop(self) -> None:
        """Stop the loop and let its thread end (what is still scheduled is dropped)."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


async def iterate_in_thread(
    items: Iterator[T], executor: Executor | None = None, buffer: int = 8
) -> AsyncGenerator[T, None]:
    """Yield on the loop what the blocking iterator `items` yields on a worker thread of
    `executor` (the loop's default when None), in the caller's context (request id, deadline,
    caller). At most `buffer` items wait on the loop: a fast producer waits for the client.
    When the consumer stops early (the client cancelled or went away) the producer stops after
    its current item, and a generator is closed there, in that thread."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    room = threading.Semaphore(buffer)
    stop = threading.Event()

    def put(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(ready.put_nowait, (ok, value))
        except RuntimeError:  # the loop is closed: the server is gone
            stop.set()

    def produce() -> None:
        try:
            for item in items:
                room.acquire()
                if stop.is_set():
                    break
                put(True, item)
                if stop.is_set():
                    break
        except BaseException as err:
            put(False, err)
        else:
            put(False, _END)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    work = loop.run_in_executor(executor, contextvars.copy_context().run, produce)
    try:
        while True:
            ok, value = await ready.get()
            if not ok:
                if value is _END:
                    return
                raise value
            room.release()
            yield value
    finally:
        stop.set()
        room.release(buffer)
        if work.done() and not work.cancelled():
            work.exception()  # retrieved: produce() hands its errors over itself


def on_threads(handler: grpc.RpcMethodHandler, pool: Executor) -> grpc.RpcMethodHandler:
    """A synchronous handler as an asyncio one that runs it on `pool`."""
    replace: Any = handler._replace
    if handler.unary_unary:
        return replace(unary_unary=_unary_on_thread(handler.unary_unary, pool, False))
    if handler.stream_unary:
        return replace(stream_unary=_unary_on_thread(handler.stream_unary, pool, True))
    if handler.unary_stream:
        return replace(unary_stream=_stream_on_thread(handler.unary_stream, pool, False))
    if handler.stream_stream:
        return replace(stream_stream=_stream_on_thread(handler.stream_stream, pool, True))
    return handler


def _unary_on_thread(behaviour: Handler, pool: Executor, streaming_request: bool) -> Any:
    async def handler(request: Any, actx: grpc.aio.ServicerContext) -> Any:
        loop = asyncio.get_running_loop()
        ctx = SyncContext(actx, loop)
        if streaming_request:
            request = ctx.requests(request)
        try:
            return await loop.run_in_executor(pool, behaviour, request, ctx)
        except Exception:
            ctx.raise_abort()
            raise

    return handler


def _stream_on_thread(behaviour: Handler, pool: Executor, streaming_request: bool) -> Any:
    async def handler(request: Any, actx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        ctx = SyncContext(actx, loop)
        if streaming_request:
            request = ctx.requests(request)
        try:
            async with aclosing(iterate_in_thread(behaviour(request, ctx), pool)) as responses:
                async for response in responses:
                    yield response
        except Exception:
            ctx.raise_abort()
            raise

    return handler


class SyncContext:
    """What a synchronous handler is given on a grpc.aio server: the synchronous
    ServicerContext's methods over the call's asyncio context. Callbacks run and `is_active`
    turns False when the call ends, however it ends (grpc.aio's own compatibility context
    runs callbacks only after unary calls, and has no `is_active`, `cancel` or
    `abort_with_status`)."""

    def __init__(self, ctx: grpc.aio.ServicerContext, loop: asyncio.AbstractEventLoop) -> None:
        self._ctx: Any = ctx
        self._loop = loop
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self._over = False
        self._aborted: BaseException | None = None
        self._reads: set[Any] = set()
        ctx.add_done_callback(self._ended)

    def _ended(self, _ctx: object) -> None:
        with self._lock:
            self._over = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("callback of a finished call failed")

    def add_callback(self, callback: Callable[[], None]) -> bool:
        with self._lock:
            if self._over:
                return False
            self._callbacks.append(callback)
            return True

    def is_active(self) -> bool:
        return not self._over and self._aborted is None and not self._ctx.done()

    def cancel(self) -> None:
        asyncio.run_coroutine_threadsafe(
            self._abort(grpc.StatusCode.CANCELLED, "Cancelled"), self._loop
        )

    async def _abort(self, code: grpc.StatusCode, details: str, trailing: Any = ()) -> None:
        if self._aborted is None:
            try:
                await self._ctx.abort(code, details or "", tuple(trailing or ()))
            except Exception as err:  # the AbortError grpc.aio expects the call to end with
                self._aborted = err
        for read in list(self._reads):
            read.cancel()

    def abort(self, code: grpc.StatusCode, details: str, trailing: Any = ()) -> None:
        asyncio.run_coroutine_threadsafe(self._abort(code, details, trailing), self._loop).result()
        self.raise_abort()
        raise RuntimeError("the call could not be aborted")  # pragma: no cover

    def abort_with_status(self, status: grpc.Status) -> None:
        self.abort(status.code, status.details, status.trailing_metadata)

    def raise_abort(self) -> None:
        """Raise the exception grpc.aio ends an aborted call with, when this call was."""
        if self._aborted is not None:
            raise self._aborted

    def requests(self, messages: Any) -> Iterator[Any]:
        """A client stream as a blocking iterator (for the handler's thread)."""
        iterator = messages.__aiter__()

        async def receive() -> Any:
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return _END

        while True:
            read = asyncio.run_coroutine_threadsafe(receive(), self._loop)
            self._reads.add(read)
            try:
                message = read.result()
            except FutureCancelled:
                return
            finally:
                self._reads.discard(read)
            if message is _END:
                return
            yield message

    def send_initial_metadata(self, metadata: Any) -> None:
        send = self._ctx.send_initial_metadata(metadata)
        asyncio.run_coroutine_threadsafe(send, self._loop).result()

    def time_remaining(self) -> float | None:
        remaining: float | None = self._ctx.time_remaining()
        return remaining

    def __getattr__(self, name: str) -> Any:
        """The rest as on the asyncio context: invocation_metadata, peer, peer_identities,
        peer_identity_key, auth_context, set_code, code, set_details, details,
        set_trailing_metadata, trailing_metadata, set_compression,
        disable_next_message_compression."""
        return getattr(self._ctx, name)
