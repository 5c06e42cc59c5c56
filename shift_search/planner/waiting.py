"""Waiting for work on the executors the way every strategy must: a cancelled run (the client
cancelled or went away) stops the work at once; without WAIT the answer comes after a short
while and the work goes on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol, Self

from shift_search.planner.events import Event, Progress
from shift_search.planner.executors import Batch, ExecutorPool, ProgressCallback, ResultCallback
from shift_search.runtime.errors import Cancelled, ShiftError
from shift_search.tasks.results import TaskProgress
from shift_search.tasks.specs import Task

log = logging.getLogger("shift.planner")

POLL_SECONDS = 0.1


class Work(Protocol):
    """Something running on the executors: a batch of tasks, a search, a ranking."""

    def wait(self, timeout: float | None = None) -> bool:
        """True once everything finished; False when `timeout` passed first."""
        ...

    def cancel(self) -> None:
        """Drop queued tasks and cancel running ones."""
        ...


def await_work(work: Work, cancelled: threading.Event, no_wait_seconds: float | None) -> bool:
    """Wait for `work`: True when it finished, False when `no_wait_seconds` passed first (without
    WAIT: the caller answers with what is known while the work goes on; None waits to the end).
    Once `cancelled` is set the work is cancelled and Cancelled is raised."""
    deadline = None if no_wait_seconds is None else time.monotonic() + no_wait_seconds
    while not work.wait(POLL_SECONDS):
        if cancelled.is_set():
            work.cancel()
            raise Cancelled("query cancelled")
        if deadline is not None and time.monotonic() > deadline:
            return False
    return True


def forward_progress(emit: Callable[[Event], None], models: Sequence[str]) -> ProgressCallback:
    """Hand the executors' progress of task `i` (a task of model `models[i]`) to the client."""

    def forward(index: int, task_id: str, progress: TaskProgress, executor: str) -> None:
        emit(
            Progress(
                task_id,
                models[index],
                progress.stage,
                progress.done,
                progress.total,
                progress.message,
                executor,
            )
        )

    return forward


class BackgroundJob:
    """A strategy running on its own thread: started, waited for and cancelled like any `Work`;
    `error` says how it ended. A subclass implements `_work` and runs its tasks with `_submit`."""

    what = "job"
    """Names the thread and the job in an unexpected failure's message."""

    def __init__(self, pool: ExecutorPool) -> None:
        self.pool = pool
        self.done = threading.Event()
        self.error: ShiftError | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._batches: list[Batch] = []

    def start(self) -> Self:
        threading.Thread(target=self._run, name=self.what, daemon=True).start()
        return self

    def run_here(self) -> Self:
        """Run in the caller's thread, to the end (work the cache answers whole needs no
        thread of its own: nothing waits on the executors)."""
        self._run()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job finished (check `error`); False when `timeout` passed first."""
        return self.done.wait(timeout)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            batches = list(self._batches)
        for batch in batches:
            batch.cancel()

    def _work(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._work()
        except ShiftError as err:
            self.error = err
        except Exception as err:  # keep the planner alive; report the failure to the client
            log.exception("%s failed", self.what)  # the traceback, for whoever fixes it
            self.error = ShiftError(f"{self.what} failed: {type(err).__name__}: {err}")
        finally:
            self.done.set()

    def _submit(
        self,
        tasks: Sequence[Task],
        on_result: ResultCallback,
        on_progress: ProgressCallback | None = None,
    ) -> Batch:
        """Run one batch of tasks to its end; the first failed task's error is raised."""
        batch = self.pool.submit(tasks, on_result=on_result, on_progress=on_progress)
        with self._lock:
            self._batches.append(batch)
        if self._cancelled.is_set():  # cancelled while the batch was being submitted
            batch.cancel()
        batch.wait()
        failures = [r for r in batch.results.values() if isinstance(r, ShiftError)]
        if failures:
            raise failures[0]
        return batch

    def _current_batch(self) -> Batch | None:
        with self._lock:
            return self._batches[-1] if self._batches else None
