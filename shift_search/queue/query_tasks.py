"""A planner's side of the queue: one query's tasks submitted, their outcomes awaited, events
forwarded, cancellation. Replaces the push-based ExecutorPool's Batch in wave 2."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

from shift_search.queue.interface import START, QueueStateLost, TaskQueue
from shift_search.queue.records import QueueEvent, Task
from shift_search.runtime.errors import Cancelled, DeadlineExceeded, InvalidArgument, Unavailable

EventCallback = Callable[[QueueEvent], None]
OUTAGE_SECONDS = 30.0
"""How long `wait` rides out an unreachable queue (a Redis restart) before giving up."""
OUTAGE_PAUSE_SECONDS = 0.5


class QueryTasks:
    """The tasks of one query on a shared queue.

    `wait` reads the query's notification stream, hands every event to `on_event` (progress to
    forward to the client, taken/lost for the task timeline) and returns each task's final
    event: RESULT (payload = result bytes) or FAILED (code, message). While it waits it also
    reaps, so tasks of an executor that died are offered again even when no other executor is
    heart-beating.
    """

    def __init__(
        self, queue: TaskQueue, query_id: str, *, on_event: EventCallback | None = None
    ) -> None:
        self.queue = queue
        self.query_id = query_id
        self._on_event = on_event
        self._cursor = START
        self._outcomes: dict[str, QueueEvent] = {}
        self._next_reap = 0.0

    def submit(self, tasks: Sequence[Task]) -> None:
        """Queue tasks of this query; a resubmitted task id forgets its earlier outcome."""
        for task in tasks:
            if task.query_id != self.query_id:
                raise InvalidArgument(
                    f"queue: task {task.task_id} belongs to query {task.query_id}, "
                    f"not {self.query_id}"
                )
            self._outcomes.pop(task.task_id, None)
        self.queue.enqueue(tasks)

    def outcome(self, task_id: str) -> QueueEvent | None:
        return self._outcomes.get(task_id)

    def poll(self, timeout: float = 0.0) -> list[QueueEvent]:
        """Read the next events (waiting up to `timeout`), recording final ones."""
        self._reap_now_and_then()
        events, self._cursor = self.queue.read_events(self.query_id, self._cursor, timeout)
        for event in events:
            if event.final and event.task_id not in self._outcomes:
                self._outcomes[event.task_id] = event
            if self._on_event is not None:
                self._on_event(event)
        return events

    def wait(
        self,
        task_ids: Collection[str],
        timeout: float | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        outage_seconds: float = OUTAGE_SECONDS,
    ) -> dict[str, QueueEvent]:
        """The final event of each of `task_ids`, once all have one. Cancelled when `cancelled()`
        turns true (the query is cancelled on the queue first); DeadlineExceeded after
        `timeout` seconds (the tasks stay queued); the queue's Unavailable once it has been
        unreachable for `outage_seconds` (shorter outages, such as a Redis restart, are
        ridden out)."""
        wanted = set(task_ids)
        deadline = None if timeout is None else time.monotonic() + timeout
        step = self.queue.timings.heartbeat_seconds
        down_since: float | None = None
        while not wanted <= self._outcomes.keys():
            if cancelled():
                self.cancel()
                raise Cancelled(f"query {self.query_id} cancelled")
            left = step if deadline is None else min(step, deadline - time.monotonic())
            if left <= 0:
                missing = len(wanted - self._outcomes.keys())
                raise DeadlineExceeded(
                    f"queue: {missing} of {len(wanted)} task(s) of query {self.query_id} "
                    f"unfinished after {timeout:g} s"
                )
            try:
                self.poll(left)
                down_since = None
            except QueueStateLost:
                raise
            except Unavailable:
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since >= outage_seconds:
                    raise
                time.sleep(min(OUTAGE_PAUSE_SECONDS, left))
        return {task_id: self._outcomes[task_id] for task_id in wanted}

    def cancel(self) -> int:
        """Drop the query's waiting tasks; executors stop its running ones at their next
        heartbeat."""
        return self.queue.cancel(self.query_id)

    def close(self) -> None:
        """Done with the query: whatever is left is cancelled and its keys deleted."""
        self.queue.close_query(self.query_id)

    def _reap_now_and_then(self) -> None:
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + self.queue.timings.heartbeat_seconds
            self.queue.reap()
