"""The planner's one executor client, on the shared work queue (issue 13): typed tasks go out,
typed results come back, and no executor is ever dialled or known by its address.

A task goes on the queue named by the content hash of its inputs, with its serialized request
as payload, its kind and its model's key (executors holding that model's weights prefer it).
Each `Batch` is one query on the queue, with an id of its own: a thread waits on its
notification stream, where results, failures and progress arrive, and logs every task's
timeline (taken, lost, released, result; times on the queue's clock) to `shift.planner.tasks`.
Cancelling a batch drops its waiting tasks at once and stops its running ones on their
executors at their next heartbeat, between batches. Capacity is the slots of the executors
heart-beating now; with none, tasks wait on the queue for one to join.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from shift_search.cache.records import DatasetRecord
from shift_search.queue.interface import QueueStateLost, TaskQueue
from shift_search.queue.query_tasks import QueryTasks
from shift_search.queue.records import EventKind, ExecutorInfo, QueueEvent, QueueStats
from shift_search.queue.records import Task as QueueTask
from shift_search.runtime.errors import Cancelled, ShiftError, Unavailable
from shift_search.runtime.status import error_of_code
from shift_search.tasks.convert import (
    progress_from_bytes,
    result_from_bytes,
    task_bytes,
    task_id,
)
from shift_search.tasks.results import DescribeResult, Outcome, TaskProgress, TaskResult
from shift_search.tasks.specs import DescribeTask, Task, kind_of, model_of

log = logging.getLogger("shift.planner.executors")
timeline = logging.getLogger("shift.planner.tasks")

OUTAGE_SECONDS = 30.0
"""How long a batch rides out an unreachable queue (a Redis restart) before failing."""
OUTAGE_PAUSE_SECONDS = 0.5

TaskOutcome = TaskResult[Outcome] | ShiftError
"""How a task ended: its result, or the error that stopped it."""
ProgressCallback = Callable[[int, str, TaskProgress, str], None]
"""(task index, task id, progress, executor id)."""
ResultCallback = Callable[[int, TaskOutcome], None]


@dataclass(frozen=True)
class Devices:
    """The devices a plan is priced for: the live executors' slots, or an assumption (`note`
    says why) when none heart-beats or the queue cannot be asked."""

    count: int
    note: str = ""

    @property
    def assumed(self) -> bool:
        return bool(self.note)


@dataclass(frozen=True)
class QueueStatus:
    """What `shift status` shows: the queue, its length, the live executors."""

    address: str
    stats: QueueStats
    executors: tuple[ExecutorInfo, ...]


class Batch:
    """Tasks submitted together, one query on the queue; results arrive in any order."""

    def __init__(
        self,
        queue: TaskQueue,
        tasks: Sequence[Task],
        on_result: ResultCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.tasks = tasks
        self.query_id = uuid.uuid4().hex
        self.on_result = on_result
        self.on_progress = on_progress
        self.results: dict[int, TaskOutcome] = {}
        self._claimed: set[int] = set()  # tasks whose (first) outcome is handed on
        self.cancelled = threading.Event()
        self._queue = queue
        self._done = threading.Condition()
        self._indices: dict[str, list[int]] = {}  # task id → the indices of that same work
        self._queued: dict[str, QueueTask] = {}
        for index, task in enumerate(tasks):
            tid = task_id(task)
            self._indices.setdefault(tid, []).append(index)
            if tid not in self._queued:
                payload = task_bytes(task)
                self._queued[tid] = QueueTask(
                    tid, self.query_id, kind_of(task), model_of(task), payload
                )

    @property
    def remaining(self) -> int:
        return len(self.tasks) - len(self.results)

    def start(self) -> Batch:
        if self._queued:  # an empty batch is done at once
            name = f"batch-{self.query_id[:8]}"
            threading.Thread(target=self._watch, name=name, daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every task finished (True) or `timeout` passed (False)."""
        with self._done:
            return self._done.wait_for(lambda: self.remaining == 0, timeout)

    def cancel(self) -> None:
        """Stop the batch: its waiting tasks are dropped from the queue, its running ones
        stop on their executors at their next heartbeat; every unfinished task ends Cancelled."""
        if self.cancelled.is_set():
            return
        self.cancelled.set()
        try:
            self._queue.cancel(self.query_id)
        except ShiftError as error:  # the watcher cancels again when it next reaches the queue
            log.warning("cancelling tasks of query %s: %s", self.query_id, error.message)
        self._finish_rest(Cancelled("query cancelled"))

    def finish(self, index: int, outcome: TaskOutcome) -> None:
        """Hand task `index`'s outcome to `on_result`, then count it done: whoever `wait`s sees
        what `on_result` did (a search reads the score it recorded). The first outcome wins."""
        with self._done:
            if index in self._claimed:
                return
            self._claimed.add(index)
        try:
            if self.on_result is not None:
                self.on_result(index, outcome)
        finally:
            with self._done:
                self.results[index] = outcome
                self._done.notify_all()

    def _finish_rest(self, outcome: ShiftError) -> None:
        for index in range(len(self.tasks)):
            self.finish(index, outcome)

    def _watch(self) -> None:
        """Queue the tasks, then read the batch's events until every task has an outcome."""
        tasks = QueryTasks(self._queue, self.query_id, on_event=self._on_event)
        try:
            self._enqueue(tasks)
            tasks.wait(self._queued, cancelled=self.cancelled.is_set)
        except Cancelled:
            pass
        except ShiftError as error:
            log.warning("tasks of query %s: %s", self.query_id, error.message)
            self._finish_rest(error)
        except Exception as error:  # never leave a batch waiting forever
            log.exception("watching the tasks of query %s failed", self.query_id)
            self._finish_rest(ShiftError(f"queue: {type(error).__name__}: {error}"))
        finally:
            self._finish_rest(Cancelled("query cancelled"))  # only what is left, if cancelled
            try:
                self._queue.close_query(self.query_id)
            except ShiftError as error:
                log.warning("closing query %s on the queue: %s", self.query_id, error.message)

    def _enqueue(self, tasks: QueryTasks) -> None:
        """Put the tasks on the queue, riding out a short outage (a Redis restart)."""
        down_since: float | None = None
        while not self.cancelled.is_set():
            try:
                tasks.submit(list(self._queued.values()))
                return
            except QueueStateLost:
                raise
            except Unavailable:
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since >= OUTAGE_SECONDS:
                    raise
                time.sleep(OUTAGE_PAUSE_SECONDS)

    def _on_event(self, event: QueueEvent) -> None:
        queued = self._queued.get(event.task_id)
        if queued is None:  # queued / cancelled: about the batch, not one task
            return
        if event.kind != EventKind.PROGRESS:
            timeline.info(
                "task %s %s executor=%s attempt=%d at=%.3f query=%s kind=%s",
                event.task_id,
                event.kind.value,
                event.executor or "-",
                event.attempt,
                event.at,
                self.query_id,
                queued.kind,
            )
        outcome: TaskOutcome
        match event.kind:
            case EventKind.RESULT:
                try:
                    outcome = result_from_bytes(event.payload)
                    if event.from_done:  # answered from an earlier run of the same task
                        outcome = replace(outcome, from_cache=True)
                except ShiftError as error:
                    outcome = error
                self._finish_task(event.task_id, outcome)
            case EventKind.FAILED:
                self._finish_task(event.task_id, error_of_code(event.code, event.message))
            case EventKind.PROGRESS:
                if self.on_progress is not None:
                    progress = progress_from_bytes(event.payload)
                    for index in self._indices[event.task_id]:
                        self.on_progress(index, event.task_id, progress, event.executor)
            case (
                EventKind.QUEUED
                | EventKind.TAKEN
                | EventKind.LOST
                | EventKind.RELEASED
                | EventKind.CANCELLED
            ):
                pass

    def _finish_task(self, tid: str, outcome: TaskOutcome) -> None:
        for index in self._indices[tid]:
            self.finish(index, outcome)


class ExecutorPool:
    """The executors this planner shares with every other planner, through `queue`."""

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue

    @property
    def address(self) -> str:
        return self.queue.address

    def capacity(self) -> int:
        """The slots of the executors heart-beating now (0 when none)."""
        return sum(e.slots for e in self.queue.executors())

    def devices(self) -> Devices:
        """The devices to price a plan for: the live executors' slots; with none (or a queue
        that does not answer), one device, assumed, and a note that says why."""
        try:
            live = self.capacity()
        except ShiftError as error:
            return Devices(1, f"assumed 1: {error.message}")
        if live == 0:
            return Devices(
                1,
                f"assumed 1: no executor is heart-beating on the queue at {self.address}; "
                "tasks wait there until one joins",
            )
        return Devices(live)

    def status(self) -> QueueStatus:
        return QueueStatus(self.address, self.queue.stats(), tuple(self.queue.executors()))

    def submit(
        self,
        tasks: Sequence[Task],
        *,
        on_result: ResultCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Batch:
        """Queue `tasks` for the executors; their results arrive in the batch in any order."""
        return Batch(self.queue, tasks, on_result, on_progress).start()

    def describe(
        self, dataset: DatasetRecord, cancelled: threading.Event | None = None
    ) -> DatasetRecord:
        """Read a dataset once on whichever executor takes the task: sizes, fingerprints,
        classes. Waits for an executor as long as it takes, unless `cancelled` is set."""
        batch = self.submit([DescribeTask(dataset)])
        while not batch.wait(0.1):
            if cancelled is not None and cancelled.is_set():
                batch.cancel()
        outcome = batch.results[0]
        if isinstance(outcome, ShiftError):
            raise outcome
        return outcome.of(DescribeResult).dataset

    def forget_results(self) -> int:
        """PURGE: the queue forgets finished tasks, so the same work runs again."""
        return self.queue.forget_done()

    def close(self) -> None:
        self.queue.close()
