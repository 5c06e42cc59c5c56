"""The planner's one executor client: domain tasks go out, domain results come back, on every
executor slot, with retries elsewhere and cancellation.

One shared queue feeds one worker thread per executor slot (the capacity each executor
reports), so concurrent queries share the devices fairly. A task whose executor becomes
UNAVAILABLE is retried on another; one refused with RESOURCE_EXHAUSTED waits and retries.

Capacity is probed when the pool starts and again every `CAPACITY_REFRESH_SECONDS` (and at once
when an executor that was unreachable answers a task again): workers are added when an executor
reports more slots, and retire when it reports fewer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc

from shift_search.cache.convert import dataset_from_proto, dataset_to_proto
from shift_search.cache.records import DatasetRecord
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc
from shift_search.runtime.channels import open_channel, translate
from shift_search.runtime.errors import Cancelled, ShiftError, Unavailable
from shift_search.tasks.convert import capacity_from_proto, event_from_proto, task_to_proto
from shift_search.tasks.results import Outcome, TaskProgress, TaskResult
from shift_search.tasks.specs import Task

log = logging.getLogger("shift.planner.executors")

MAX_ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 0.5
CAPACITY_REFRESH_SECONDS = 30.0
PROBE_TIMEOUT_SECONDS = 5.0

TaskOutcome = TaskResult[Outcome] | ShiftError
"""How a task ended: its result, or the error that stopped it."""
ProgressCallback = Callable[[int, TaskProgress], None]
ResultCallback = Callable[[int, TaskOutcome], None]


@dataclass
class Batch:
    """A set of tasks submitted together; results arrive in any order."""

    tasks: Sequence[Task]
    on_result: ResultCallback | None = None
    on_progress: ProgressCallback | None = None
    results: dict[int, TaskOutcome] = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)
    _done: threading.Condition = field(default_factory=threading.Condition)
    _calls: dict[int, grpc.Future] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return len(self.tasks) - len(self.results)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every task finished (True) or `timeout` passed (False)."""
        with self._done:
            return self._done.wait_for(lambda: self.remaining == 0, timeout)

    def cancel(self) -> None:
        """Stop the batch: queued tasks are dropped, running ones are cancelled."""
        self.cancelled.set()
        with self._done:
            calls = list(self._calls.values())
        for call in calls:
            call.cancel()

    def finish(self, index: int, outcome: TaskOutcome) -> None:
        with self._done:
            if index in self.results:
                return
            self.results[index] = outcome
            self._calls.pop(index, None)
            self._done.notify_all()
        if self.on_result is not None:
            self.on_result(index, outcome)


@dataclass
class _Job:
    batch: Batch
    index: int
    attempts: int = 0
    avoid: frozenset[str] = frozenset()


class ExecutorPool:
    """Every executor this planner may use, and the workers that feed them."""

    def __init__(
        self,
        addresses: Sequence[str],
        *,
        default_slots: int = 1,
        refresh_seconds: float = CAPACITY_REFRESH_SECONDS,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        if not addresses:
            raise ValueError("an executor pool needs at least one address")
        self.addresses = tuple(addresses)
        self._stubs = {
            a: executor_pb2_grpc.ExecutorServiceStub(open_channel(a, credentials))
            for a in addresses
        }
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._default_slots = default_slots
        self._refresh_seconds = refresh_seconds
        self._slots: dict[str, int] = {}
        self._workers: dict[str, set[int]] = {a: set() for a in addresses}  # live worker indices
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._started = False

    def capacity(self) -> int:
        """Total device slots across executors (unreachable ones count with the default)."""
        self._start()
        with self._lock:
            return sum(self._slots.values())

    def refresh_capacity(self) -> None:
        """Probe every executor now (waiting a little for one that is reconnecting) and add or
        retire workers to match the slots each reports; an unreachable one keeps its slots."""
        self._start()
        for address in self.addresses:
            slots = self._probe_slots(address, wait_for_ready=True)
            if slots is not None:
                self._set_slots(address, slots)

    def submit(
        self,
        tasks: Sequence[Task],
        *,
        on_result: ResultCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Batch:
        """Queue `tasks` on the executors; their results arrive in the batch in any order."""
        self._start()
        batch = Batch(tasks, on_result, on_progress)
        for index in range(len(tasks)):
            self._queue.put(_Job(batch, index))
        return batch

    def describe(self, dataset: DatasetRecord) -> DatasetRecord:
        """Ask any reachable executor to read a dataset once: sizes, fingerprints, classes."""
        request = executor_pb2.DescribeDatasetRequest(dataset=dataset_to_proto(dataset))
        last: ShiftError = Unavailable("no executor configured")
        for address, stub in self._stubs.items():
            try:
                return dataset_from_proto(stub.DescribeDataset(request, timeout=600).dataset)
            except grpc.RpcError as err:
                last = translate(err, address)
                if not isinstance(last, Unavailable):
                    raise last from None
        raise last

    def _start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            for address in self.addresses:
                slots = self._probe_slots(address, wait_for_ready=False)
                if slots is None:
                    log.warning(
                        "executor %s unreachable; assuming %d slot(s)", address, self._default_slots
                    )
                self._set_slots(address, self._default_slots if slots is None else slots)
            self._started = True
        if self._refresh_seconds > 0:
            threading.Thread(
                target=self._refresh_periodically, name="exec-capacity", daemon=True
            ).start()

    def _refresh_periodically(self) -> None:
        while True:
            time.sleep(self._refresh_seconds)
            try:
                self.refresh_capacity()
            except Exception:  # never let the refresher die; the next round tries again
                log.exception("refreshing executor capacity failed")

    def _probe_slots(self, address: str, *, wait_for_ready: bool) -> int | None:
        """The slots an executor reports, or None when it does not answer."""
        try:
            reply = self._stubs[address].GetCapacity(
                executor_pb2.GetCapacityRequest(),
                timeout=PROBE_TIMEOUT_SECONDS,
                wait_for_ready=wait_for_ready,
            )
        except grpc.RpcError:
            return None
        return max(1, capacity_from_proto(reply).slots)

    def _set_slots(self, address: str, slots: int) -> None:
        """Record an executor's slots; start a worker for every slot that has none."""
        with self._lock:
            if self._slots.get(address) not in (None, slots):
                log.info("executor %s now has %d slot(s)", address, slots)
            self._slots[address] = slots
            missing = [n for n in range(slots) if n not in self._workers[address]]
            self._workers[address].update(missing)
        for n in missing:
            threading.Thread(
                target=self._work, args=(address, n), name=f"exec-{address}-{n}", daemon=True
            ).start()

    def _retired(self, address: str, n: int) -> bool:
        """True (and forgotten) when worker `n` is beyond the executor's slots."""
        with self._lock:
            if n < self._slots[address]:
                return False
            self._workers[address].discard(n)
            return True

    def _work(self, address: str, n: int) -> None:
        while not self._retired(address, n):
            try:
                job = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if job.batch.cancelled.is_set():
                job.batch.finish(job.index, Cancelled("query cancelled"))
                continue
            if address in job.avoid and len(job.avoid) < len(self.addresses):
                self._queue.put(job)  # leave it to an executor it has not failed on
                time.sleep(0.01)
                continue
            self._run(address, job)

    def _run(self, address: str, job: _Job) -> None:
        batch, index = job.batch, job.index
        try:
            call = self._stubs[address].RunTask(task_to_proto(batch.tasks[index]))
            with batch._done:
                batch._calls[index] = call
            if batch.cancelled.is_set():  # cancelled while the call was being made
                call.cancel()
            for message in call:
                event = event_from_proto(message)
                if isinstance(event, TaskProgress) and batch.on_progress is not None:
                    batch.on_progress(index, event)
                elif isinstance(event, TaskResult):
                    batch.finish(index, event)
                    return
            batch.finish(index, Unavailable(f"executor {address} ended task without a result"))
        except grpc.RpcError as err:
            self._retry_or_fail(address, job, translate(err, address))

    def _retry_or_fail(self, address: str, job: _Job, error: ShiftError) -> None:
        if job.batch.cancelled.is_set():
            job.batch.finish(job.index, Cancelled("query cancelled"))
            return
        retryable = error.code in (
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
        )
        if not retryable or job.attempts + 1 >= MAX_ATTEMPTS * len(self.addresses):
            job.batch.finish(job.index, error)
            return
        log.info("retrying task %d elsewhere after %s", job.index, error.code.name)
        avoid = job.avoid | {address} if error.code == grpc.StatusCode.UNAVAILABLE else job.avoid
        if len(avoid) >= len(self.addresses):
            avoid = frozenset()
        time.sleep(RETRY_PAUSE_SECONDS)
        self._queue.put(_Job(job.batch, job.index, job.attempts + 1, avoid))
