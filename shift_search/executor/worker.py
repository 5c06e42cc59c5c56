"""Running tasks on this process's device, at most `slots` at a time; transport-free.

A task claims a slot (ResourceExhausted beyond them) and runs on a long-lived worker thread: a
new thread per task would redo per-thread GPU set-up (cuBLAS). Its caller reads its progress,
then its result, from `RunningTask.events()`. The slot is held until the work itself ends, not
only its call: a caller that stops reading (or calls `stop`) stops the work between batches.
`close` stops every task and ends those still queued with Unavailable.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import grpc

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.dispatch import run_task
from shift_search.executor.loaders.registry import pick_device
from shift_search.executor.runner import EncoderPool, TaskEnv, run_describe
from shift_search.runtime.errors import ResourceExhausted, ShiftError, Unavailable
from shift_search.tasks.results import Capacity, TaskEvent, TaskProgress
from shift_search.tasks.specs import Task

log = logging.getLogger("shift.executor")


class RunningTask:
    """One claimed task: its events as they come, and how to stop it."""

    def __init__(self, task_id: str, stop: threading.Event) -> None:
        self.task_id = task_id
        self._stop = stop
        self._events: queue.Queue[TaskEvent | ShiftError | None] = queue.Queue()  # None: the end

    def stop(self) -> None:
        """Stop the work at its next batch (the caller went away, or the task was cancelled)."""
        self._stop.set()

    def events(self) -> Iterator[TaskEvent]:
        """Progress, then the result; the task's error is raised instead of a result."""
        try:
            while (item := self._events.get()) is not None:
                if isinstance(item, ShiftError):
                    raise item
                yield item
        finally:
            self._stop.set()  # done, or the caller went away: the worker stops between batches

    def stopped(self) -> bool:
        return self._stop.is_set()

    def report(self, item: TaskEvent | ShiftError) -> None:
        """Hand the caller an event, or the error that ends the task."""
        self._events.put(item)

    def finish(self) -> None:
        """Nothing more follows: the caller's `events()` ends."""
        self._events.put(None)


class Executor:
    """Runs tasks on this process's device, at most `slots` at a time."""

    def __init__(
        self,
        cache_address: str,
        *,
        slots: int = 1,
        device: str | None = None,
        cache_credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.device = str(pick_device(device))
        self.slots = slots
        self._cache = CacheClient(cache_address, timeout=600, credentials=cache_credentials)
        self._reader = SegmentReader()
        self._encoders = EncoderPool(self.device)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified whenever a slot frees
        self._running: dict[str, threading.Event] = {}
        self._busy = 0
        self._workers = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="task")

    def start(self, task_id: str, task: Task) -> RunningTask:
        """Claim a slot and queue `task` on it; ResourceExhausted when every slot is busy,
        Unavailable once the executor is closing."""
        running = RunningTask(task_id, self._claim_slot(task_id))
        try:
            work = self._workers.submit(self._work, task, running)
        except RuntimeError:  # the worker pool is shut down: this executor is stopping
            self._release_slot(task_id)
            raise Unavailable("the executor is shutting down") from None
        work.add_done_callback(lambda done: self._never_ran(done, running))
        return running

    def cancel(self, task_id: str) -> bool:
        """Stop a running task between batches; False when no such task runs here."""
        with self._lock:
            stop = self._running.get(task_id)
        if stop is not None:
            stop.set()
        return stop is not None

    def capacity(self) -> Capacity:
        with self._lock:
            return Capacity(self.device, self.slots, self._busy, tuple(sorted(self._running)))

    def describe(self, dataset: DatasetRecord) -> DatasetRecord:
        """Read a dataset once: per-segment sizes and fingerprints, the size, the classes."""
        return run_describe(TaskEnv(self._cache, self._reader, self._encoders), dataset)

    def close(self, wait_seconds: float = 10.0) -> None:
        """Stop running tasks (between batches), give them `wait_seconds` to end, then close."""
        with self._lock:
            for stop in self._running.values():
                stop.set()
        self._workers.shutdown(wait=False, cancel_futures=True)
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=wait_seconds)
        self._cache.close()

    def _work(self, task: Task, running: RunningTask) -> None:
        """Run one task; its slot is held until the work itself ends, not only its call."""
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int, message: str) -> None:
            elapsed = time.perf_counter() - started
            running.report(TaskProgress(stage, done, total, message, elapsed))

        env = TaskEnv(self._cache, self._reader, self._encoders, progress, running.stopped)
        try:
            result = run_task(task, env)
            seconds = time.perf_counter() - started
            running.report(replace(result, seconds=seconds, phase_seconds=dict(env.phases.seconds)))
        except ShiftError as err:
            running.report(err)
        except Exception as err:  # a bug or a library failure: report it, keep serving
            log.exception("task failed")
            running.report(ShiftError(f"task failed: {type(err).__name__}: {err}"))
        finally:
            self._release_slot(running.task_id)
            running.finish()

    def _never_ran(self, work: Future[None], running: RunningTask) -> None:
        """A task dropped from the queue at shutdown: free its slot and end its call."""
        if work.cancelled():
            self._release_slot(running.task_id)
            running.report(Unavailable("the executor is shutting down"))
            running.finish()

    def _claim_slot(self, task_id: str) -> threading.Event:
        with self._lock:
            if self._busy >= self.slots:
                raise ResourceExhausted(
                    f"executor busy: {self._busy} of {self.slots} slot(s) in use on {self.device}"
                )
            self._busy += 1
            stop = threading.Event()
            self._running[task_id] = stop
            return stop

    def _release_slot(self, task_id: str) -> None:
        with self._lock:
            self._busy -= 1
            self._running.pop(task_id, None)
            self._idle.notify_all()
