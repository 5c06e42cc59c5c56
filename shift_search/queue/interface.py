"""The TaskQueue interface: what planners and executors call, whichever backend serves it.

Planners `enqueue` a query's tasks, read its notification stream with `read_events`, and
`cancel` or `close_query` it. Executors `heartbeat` (liveness, cancellations), `take` as many
tasks as they have free slots, report `progress`, and end each delivery with `complete`, `fail`
or `release` (handing it back when draining). Anyone may `reap`: tasks held by an executor that
stopped heart-beating are offered again. Backend failures raise `Unavailable` naming the backend
and its address.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shift_search.queue.records import (
    Delivery,
    ExecutorInfo,
    ExecutorStatus,
    Heartbeat,
    QueueEvent,
    QueueStats,
    Task,
)
from shift_search.runtime.errors import InvalidArgument, Unavailable


class QueueStateLost(Unavailable):
    """The queue no longer knows a query it should (Redis restarted without persistence):
    waiting longer will not help; the query must be submitted again."""


START = "0"
"""The events cursor before a query's first event."""


@dataclass(frozen=True)
class QueueTimings:
    """Liveness and retention settings, shared by both backends."""

    heartbeat_seconds: float = 1.0
    """How often a worker heart-beats (and checks for cancellations)."""
    dead_after_seconds: float = 5.0
    """An executor silent this long is lost; its tasks are offered again at the next reap."""
    max_attempts: int = 3
    """A task lost with this many executors fails (UNAVAILABLE) instead of being offered again."""
    done_ttl_seconds: float = 3600.0
    """How long a finished task id is remembered, so a re-delivery is not run twice."""
    query_ttl_seconds: float = 24 * 3600.0
    """How long a query's keys outlive a planner that never closed it."""
    cancel_ttl_seconds: float = 3600.0
    """How long a cancelled query's flag stays for executors still running its tasks."""

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_seconds < self.dead_after_seconds:
            raise InvalidArgument(
                "queue: heartbeat_seconds must be positive and below dead_after_seconds "
                f"(got {self.heartbeat_seconds} and {self.dead_after_seconds})"
            )
        if self.max_attempts < 1:
            raise InvalidArgument(
                f"queue: max_attempts must be at least 1, got {self.max_attempts}"
            )


@runtime_checkable
class TaskQueue(Protocol):
    """A shared work queue between planners and executors."""

    @property
    def address(self) -> str:
        """Where the queue lives, safe to show (no password)."""
        ...

    @property
    def timings(self) -> QueueTimings: ...

    # planners
    def enqueue(self, tasks: Sequence[Task]) -> None:
        """Put tasks on the queue. A task id already finished is not queued again: its stored
        result is sent to the query at once (RESULT with from_done). Raises FailedPrecondition
        for a cancelled query."""
        ...

    def read_events(
        self, query_id: str, after: str = START, timeout: float = 0.0, limit: int = 1000
    ) -> tuple[list[QueueEvent], str]:
        """The query's events after cursor `after` (waiting up to `timeout` seconds for one),
        and the cursor to pass next time."""
        ...

    def cancel(self, query_id: str) -> int:
        """Drop the query's tasks not yet taken (returns how many) and flag it, so executors
        stop its running tasks at their next heartbeat (between batches)."""
        ...

    def close_query(self, query_id: str) -> None:
        """The planner is done with the query: cancel what is left and delete its keys."""
        ...

    # executors
    def heartbeat(self, status: ExecutorStatus) -> Heartbeat:
        """Record that the executor is alive (with its device, slots, models, running tasks);
        answers which of its queries were cancelled."""
        ...

    def take(
        self,
        executor_id: str,
        count: int,
        models: Collection[str] = (),
        timeout: float = 0.0,
        holding: Collection[str] | None = None,
    ) -> list[Delivery]:
        """Up to `count` tasks for this executor (waiting up to `timeout` seconds for one):
        queries in turn (round-robin), and within a query the tasks of `models` first.

        `holding`: the handles of every delivery the executor still runs. When given, anything
        else the queue counts as held by it (an earlier take whose reply was lost in transit,
        or re-sent by a client retry) is handed back first, so no task stays held by a live
        executor that does not know it has it."""
        ...

    def progress(self, delivery: Delivery, payload: bytes) -> None: ...

    def complete(self, delivery: Delivery, result: bytes) -> bool:
        """Finish a delivery with its result. False when the task id had already finished (the
        first result stands and no second RESULT is sent)."""
        ...

    def fail(self, delivery: Delivery, code: str, message: str) -> None:
        """Finish a delivery with an error (a canonical gRPC code name and a message)."""
        ...

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Hand deliveries back unfinished (draining): they are offered again first."""
        ...

    def leave(self, executor_id: str) -> None:
        """The executor stops: forget it (release its deliveries first)."""
        ...

    # anyone
    def reap(self) -> int:
        """Offer again the tasks of executors that stopped heart-beating; returns how many."""
        ...

    def executors(self) -> list[ExecutorInfo]:
        """Live executors, by id."""
        ...

    def stats(self) -> QueueStats: ...

    def forget_done(self) -> int:
        """Forget every finished task's result (PURGE: the cache dropped what they computed),
        so a later task with the same id runs again; returns how many were forgotten."""
        ...

    def close(self) -> None: ...


def check_take(executor_id: str, count: int) -> None:
    if not executor_id:
        raise InvalidArgument("queue: take needs an executor id")
    if count < 0:
        raise InvalidArgument(f"queue: cannot take a negative number of tasks ({count})")


def check_code(code: str) -> str:
    if not code or not code.isupper():
        raise InvalidArgument(f"queue: a failure needs a gRPC status code name, got {code!r}")
    return code
