"""The asyncio side of a server: an event loop on a thread of its own, for callers that stay
synchronous, and the bridges between that loop and blocking code on worker threads.

A `grpc.aio` server does its I/O on one event loop, so no call hands each message from a
polling thread to a handler thread; blocking work (a query's coordinator, the synchronous
servicers) runs on the server's thread pool and hands the loop only what it has ready."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")

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
