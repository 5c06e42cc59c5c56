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
from collections.abc import Callable, Iterator
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


def warm_up() -> None:
    """Import now what a first task would import on its way (the Hugging Face loader pulls in
    transformers' model code: seconds), so an executor joins the queue ready and its first task
    is not the slow one."""
    import shift_search.executor.loaders.huggingface  # noqa: F401


class RunningTask:
    """One claimed task: its events as they come, and how to stop it."""

    def __init__(
        self,
        task_id: str,
        stop: threading.Event,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.task_id = task_id
        self._stop = stop
        self._should_stop = should_stop
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
        if not self._stop.is_set() and self._should_stop is not None and self._should_stop():
            self._stop.set()
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
        self._closing = False
        self._workers = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="task")

    def start(
        self,
        task_id: str,
        task: Task,
        *,
        wait_for_slot: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> RunningTask:
        """Claim a slot and queue `task` on it; ResourceExhausted when every slot is busy
        (`wait_for_slot`: wait for one instead), Unavailable once the executor is closing.
        `should_stop` is checked between batches besides the task's own stop."""
        running = RunningTask(task_id, self._claim_slot(task_id, wait_for_slot), should_stop)
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

    def loaded_models(self) -> tuple[str, ...]:
        """Keys of the models whose weights this executor holds now."""
        return self._encoders.loaded_keys()

    def capacity(self) -> Capacity:
        with self._lock:
            return Capacity(self.device, self.slots, self._busy, tuple(sorted(self._running)))

    def describe(self, dataset: DatasetRecord) -> DatasetRecord:
        """Read a dataset once: per-segment sizes and fingerprints, the size, the classes."""
        return run_describe(TaskEnv(self._cache, self._reader, self._encoders), dataset)

    def close(self, wait_seconds: float = 10.0) -> None:
        """Stop running tasks (between batches), give them `wait_seconds` to end, then close."""
        with self._lock:
            self._closing = True
            for stop in self._running.values():
                stop.set()
            self._idle.notify_all()
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

    def _claim_slot(self, task_id: str, wait: bool = False) -> threading.Event:
        with self._lock:
            if wait:  # a task from the queue waits for a slot a direct RunTask call holds
                while self._busy >= self.slots and not self._closing:
                    self._idle.wait(1.0)
                if self._closing:
                    raise Unavailable("the executor is shutting down")
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
