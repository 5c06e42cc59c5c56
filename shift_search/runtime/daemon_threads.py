"""Daemon threads kept for reuse: `run` hands a function to an idle thread, or starts a new one
when none is idle, so there is never a queue (each function may block as long as it likes) and
a process can always exit (the threads are daemons, as `threading.Thread(daemon=True)` is).
Starting a thread costs about as much as planning a cached query; reusing one costs a wake-up.
Each function runs in an empty context, as on a new thread; a thread idle for `idle_seconds`
ends."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("shift.threads")


class DaemonThreads:
    def __init__(self, name: str, idle_seconds: float = 60.0) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._started = 0

    def run(self, fn: Callable[[], None]) -> None:
        """Run `fn` on a thread of its own (its exceptions are the caller's to catch in it)."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                self._started += 1
                number = self._started
        if worker is None:
            worker = _Worker(self, f"{self.name}-{number}")
        worker.give(fn)

    def _rest(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def _retire(self, worker: _Worker) -> bool:
        """Whether an idle worker may end (it may not once it has been handed work)."""
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return True
            return False


class _Worker:
    def __init__(self, pool: DaemonThreads, name: str) -> None:
        self._pool = pool
        self._ready = threading.Condition()
        self._fn: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._started = False

    def give(self, fn: Callable[[], None]) -> None:
        with self._ready:
            self._fn = fn
            self._ready.notify()
        if not self._started:
            self._started = True
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while self._fn is None:
                    timed_out = not self._ready.wait(self._pool.idle_seconds)
                    if timed_out and self._fn is None and self._pool._retire(self):
                        return
                fn, self._fn = self._fn, None
            try:
                contextvars.Context().run(fn)  # as empty as a new thread's
            except Exception:  # the function should report its own failures; keep the thread
                log.exception("%s failed", self._thread.name)
            self._pool._rest(self)
