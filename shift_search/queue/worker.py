"""An executor's side of the queue: heart-beat, pull as many tasks as there are free slots, run
them, report, and drain on stop (finish or hand back what is running).

The executor service gives a `TaskRunner`: a function from a task to its result bytes that
calls `control.stopped()` between batches and returns (or raises `Cancelled`) once it is true,
and may report `control.progress(payload)`. It raises a `ShiftError` to fail the task.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from shift_search.queue.interface import TaskQueue
from shift_search.queue.records import Delivery, ExecutorStatus, Task
from shift_search.runtime.errors import ShiftError, Unavailable
from shift_search.runtime.metrics import TASK_SECONDS, TASKS_FINISHED, TASKS_RUNNING

log = logging.getLogger("shift.queue.worker")

PROGRESS_INTERVAL_SECONDS = 0.5
GIVE_UP_SECONDS = 10.0
"""Once stopping, how long past the drain an outcome is retried through a queue outage."""
RETRY_PAUSE_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)


class StopReason(StrEnum):
    CANCELLED = "cancelled"  # the query was cancelled: fail the task as CANCELLED
    DRAINING = "draining"  # the executor stops: hand the task back


class TaskControl:
    """What a running task may ask: should it stop, and where to report progress."""

    def __init__(self, queue: TaskQueue, delivery: Delivery) -> None:
        self._queue = queue
        self._delivery = delivery
        self._stop = threading.Event()
        self.reason: StopReason | None = None
        self._last_progress = time.monotonic()  # a task shorter than the interval sends none

    def stopped(self) -> bool:
        """True once the task should stop (check it between batches)."""
        return self._stop.is_set()

    def stop(self, reason: StopReason) -> None:
        if self.reason is None:
            self.reason = reason
        self._stop.set()

    def progress(self, payload: bytes, *, force: bool = False) -> None:
        """Report progress; reports within PROGRESS_INTERVAL_SECONDS of the task's start or of
        the last report are dropped unless `force` (a short task costs the queue no progress
        write). A queue outage loses the report, never the task."""
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_progress = now
        try:
            self._queue.progress(self._delivery, payload)
        except ShiftError as error:
            log.warning("progress of task %s lost: %s", self._delivery.task.task_id, error)


TaskRunner = Callable[[Task, TaskControl], bytes]


def default_executor_id() -> str:
    """host-pid-random: unique per process, readable in `shift status`."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class _Running:
    delivery: Delivery
    control: TaskControl


class Worker:
    """Pulls tasks from `queue` into `slots` threads running `run`, until stopped."""

    def __init__(
        self,
        queue: TaskQueue,
        run: TaskRunner,
        *,
        executor_id: str | None = None,
        device: str = "cpu",
        slots: int = 1,
        models: Callable[[], Collection[str]] = tuple,
        take_timeout: float = 2.0,
    ) -> None:
        self.queue = queue
        self.executor_id = executor_id or default_executor_id()
        self.device = device
        self.slots = slots
        self._run = run
        self._models = models
        self._take_timeout = take_timeout
        self._lock = threading.Condition()
        self._running: dict[str, _Running] = {}
        self._stopping = threading.Event()
        self._quiet = threading.Event()  # heartbeats stop (just before leaving)
        self._closed = threading.Event()
        self._joined_once = False
        self._give_up_at: float | None = None
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="queue-task")
        self._beat_thread = threading.Thread(
            target=self._heartbeats, name="queue-beat", daemon=True
        )
        self._pull_thread = threading.Thread(target=self._pull, name="queue-pull", daemon=True)

    def status(self) -> ExecutorStatus:
        with self._lock:
            running = tuple(
                (r.delivery.task.query_id, r.delivery.task.task_id) for r in self._running.values()
            )
        return ExecutorStatus(
            self.executor_id, self.device, self.slots, tuple(sorted(self._models())), running
        )

    def start(self) -> Worker:
        """Register (one heartbeat, so a queue that is down fails here) and start pulling."""
        self._beat()
        self._beat_thread.start()
        self._pull_thread.start()
        return self

    def running(self) -> list[Delivery]:
        with self._lock:
            return [r.delivery for r in self._running.values()]

    def stop(self, grace_seconds: float = 20.0, stop_wait_seconds: float = 5.0) -> None:
        """Drain: take nothing more, let running tasks finish for `grace_seconds`, then stop
        them between batches and hand them back (to be offered again first)."""
        self._give_up_at = time.monotonic() + grace_seconds + stop_wait_seconds + GIVE_UP_SECONDS
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
            self._lock.wait_for(lambda: not self._running, timeout=grace_seconds)
            for r in self._running.values():
                r.control.stop(StopReason.DRAINING)
            self._lock.wait_for(lambda: not self._running, timeout=stop_wait_seconds)
            stuck = [r.delivery for r in self._running.values()]
        if stuck:
            log.warning("handing back %d task(s) that did not stop in time", len(stuck))
            self._finish_with_retries("release", lambda: self.queue.release(stuck))
        # Leave last: a take still in flight hands back what it got, and a heartbeat after
        # `leave` would list this executor again (alive, holding nothing) until it expired.
        self._join(self._pull_thread)
        self._quiet.set()
        self._join(self._beat_thread)
        self._finish_with_retries("leave", lambda: self.queue.leave(self.executor_id))
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _join(self, thread: threading.Thread) -> None:
        if thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=self._take_timeout + 5)

    # threads
    def _heartbeats(self) -> None:
        interval = self.queue.timings.heartbeat_seconds
        while not self._quiet.wait(interval):
            self._beat()
            try:
                self.queue.reap()
            except ShiftError as error:
                log.warning("reaping: %s", error)

    def _beat(self) -> None:
        try:
            beat = self.queue.heartbeat(self.status())
        except Unavailable as error:
            if not self._joined_once:
                raise
            log.warning("heartbeat: %s", error)
            return
        if beat.joined and self._joined_once:
            log.warning("executor %s had been declared lost; it joined again", self.executor_id)
        self._joined_once = True
        if beat.cancelled:
            with self._lock:
                for r in self._running.values():
                    if r.delivery.task.query_id in beat.cancelled:
                        r.control.stop(StopReason.CANCELLED)

    def _pull(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            with self._lock:
                self._lock.wait_for(
                    lambda: len(self._running) < self.slots or self._stopping.is_set(), 1.0
                )
                free = self.slots - len(self._running)
                holding = [r.delivery.handle for r in self._running.values()]
            if free <= 0 or self._stopping.is_set():
                continue
            try:
                deliveries = self.queue.take(
                    self.executor_id,
                    free,
                    self._models(),
                    timeout=self._take_timeout,
                    holding=holding,
                )
                failures = 0
            except ShiftError as error:
                pause = RETRY_PAUSE_SECONDS[min(failures, len(RETRY_PAUSE_SECONDS) - 1)]
                failures += 1
                log.warning("taking tasks: %s (again in %.2f s)", error, pause)
                self._stopping.wait(pause)
                continue
            if self._stopping.is_set():
                self._hand_back(deliveries)
                return
            for delivery in deliveries:
                self._start_task(delivery)

    def _hand_back(self, deliveries: list[Delivery]) -> None:
        self._finish_with_retries("release", lambda: self.queue.release(deliveries))

    def _start_task(self, delivery: Delivery) -> None:
        control = TaskControl(self.queue, delivery)
        with self._lock:
            self._running[delivery.handle] = _Running(delivery, control)
        TASKS_RUNNING.labels(delivery.task.kind).inc()
        self._pool.submit(self._execute, delivery, control)

    def _execute(self, delivery: Delivery, control: TaskControl) -> None:
        kind = delivery.task.kind
        started = time.perf_counter()
        outcome = "done"
        try:
            try:
                result = self._run(delivery.task, control)
            except ShiftError as error:
                code, text = error.code.name, error.message
                outcome = self._end_stopped(delivery, control) or "failed"
                if outcome == "failed":
                    self._finish_with_retries("fail", lambda: self.queue.fail(delivery, code, text))
            except Exception as error:  # a bug or a library failure: report it, keep serving
                log.exception("task %s failed", delivery.task.task_id)
                outcome = "failed"
                message = f"task failed: {type(error).__name__}: {error}"
                self._finish_with_retries(
                    "fail", lambda: self.queue.fail(delivery, "INTERNAL", message)
                )
            else:
                outcome = self._end_stopped(delivery, control) or "done"
                if outcome == "done":
                    self._finish_with_retries(
                        "complete", lambda: self.queue.complete(delivery, result)
                    )
        finally:
            TASKS_RUNNING.labels(kind).dec()
            TASKS_FINISHED.labels(kind, outcome).inc()
            TASK_SECONDS.labels(kind).observe(time.perf_counter() - started)
            with self._lock:
                self._running.pop(delivery.handle, None)
                self._lock.notify_all()

    def _end_stopped(self, delivery: Delivery, control: TaskControl) -> str | None:
        """A task stopped by cancellation fails as CANCELLED; one stopped by draining is handed
        back. None when it was not stopped."""
        match control.reason:
            case None:
                return None
            case StopReason.CANCELLED:
                self._finish_with_retries(
                    "fail", lambda: self.queue.fail(delivery, "CANCELLED", "query cancelled")
                )
                return "cancelled"
            case StopReason.DRAINING:
                self._finish_with_retries("release", lambda: self.queue.release([delivery]))
                return "released"

    def _finish_with_retries(self, what: str, call: Callable[[], object]) -> None:
        """Report an outcome, retrying through a queue outage (the work is done; its result
        must not be lost) until the worker is closed."""
        failures = 0
        while True:
            try:
                call()
                return
            except Unavailable as error:
                giving_up = self._give_up_at is not None and time.monotonic() > self._give_up_at
                if self._closed.is_set() or giving_up:
                    log.error("%s lost: %s", what, error)
                    return
                pause = RETRY_PAUSE_SECONDS[min(failures, len(RETRY_PAUSE_SECONDS) - 1)]
                failures += 1
                log.warning("%s: %s (again in %.2f s)", what, error, pause)
                time.sleep(pause)
