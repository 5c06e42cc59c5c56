"""What travels through the work queue: tasks, deliveries, per-query events, executor status.

The queue never looks inside a payload: a task is opaque bytes plus the few fields the queue
needs to schedule it (its content-hash id for idempotency, its query for fairness and
cancellation, its kind for metrics, its model for locality).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shift_search.runtime.errors import InvalidArgument

NO_MODEL = "-"
"""The model key of a task that needs no model (locality does not apply)."""


@dataclass(frozen=True)
class Task:
    """One unit of work a planner puts on the queue."""

    task_id: str
    """Content hash of the task's inputs: the same work always has the same id."""
    query_id: str
    kind: str
    """A short label ("embed", "score", "finetune", "profile") for metrics and logs."""
    model: str
    """The model whose weights the task needs (locality); NO_MODEL when none."""
    payload: bytes

    def __post_init__(self) -> None:
        for name in ("task_id", "query_id", "kind", "model"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or "|" in value:
                raise InvalidArgument(
                    f"queue: task {name} must be a non-empty string without '|', got {value!r}"
                )
        if not isinstance(self.payload, bytes):
            raise InvalidArgument(
                f"queue: task {self.task_id} payload must be bytes, "
                f"got {type(self.payload).__name__}"
            )


@dataclass(frozen=True)
class Delivery:
    """A task handed to one executor; hand it back with complete, fail or release."""

    task: Task
    executor: str
    attempt: int
    """1 for the first delivery; +1 each time an executor holding it was lost."""
    handle: str
    """Where the queue keeps it (opaque to callers)."""
    taken_at: float
    """When it was handed out, seconds on the queue's clock."""


class EventKind(StrEnum):
    """What happened to a query's task."""

    QUEUED = "queued"  # tasks were put on the queue (task_id is empty; message says how many)
    TAKEN = "taken"  # an executor started it
    PROGRESS = "progress"  # the executor reported progress (payload)
    RESULT = "result"  # it finished (payload: the result)
    FAILED = "failed"  # it failed (code, message); not retried by the queue
    LOST = "lost"  # its executor stopped heart-beating; it is offered again
    RELEASED = "released"  # its executor handed it back unfinished (draining); offered again
    CANCELLED = "cancelled"  # the query was cancelled (message: how many tasks were dropped)


@dataclass(frozen=True)
class QueueEvent:
    """One entry of a query's notification stream."""

    kind: EventKind
    task_id: str
    executor: str
    at: float
    """Seconds on the queue's clock (Redis server time, or this process's clock in-process)."""
    attempt: int = 0
    payload: bytes = b""
    code: str = ""
    """For FAILED: the canonical gRPC status code name (e.g. "INVALID_ARGUMENT")."""
    message: str = ""
    from_done: bool = False
    """For RESULT: answered from the record of an earlier run of the same task id."""

    @property
    def final(self) -> bool:
        """A RESULT or FAILED: the task will not report again."""
        return self.kind in (EventKind.RESULT, EventKind.FAILED)


@dataclass(frozen=True)
class ExecutorStatus:
    """What an executor tells the queue in each heartbeat."""

    executor_id: str
    device: str
    slots: int
    models: tuple[str, ...] = ()
    """Models whose weights it holds now (locality prefers their tasks)."""
    running: tuple[tuple[str, str], ...] = ()
    """(query id, task id) of every task it is running."""

    def __post_init__(self) -> None:
        if not self.executor_id or "|" in self.executor_id:
            raise InvalidArgument(
                f"queue: executor id must be a non-empty string without '|', "
                f"got {self.executor_id!r}"
            )
        if self.slots < 1:
            raise InvalidArgument(f"queue: executor {self.executor_id} needs at least one slot")


@dataclass(frozen=True)
class ExecutorInfo:
    """A live executor as `shift status` lists it."""

    executor_id: str
    device: str
    slots: int
    models: tuple[str, ...]
    running: tuple[str, ...]
    """Task ids it is running now."""
    heartbeat_at: float
    """Its last heartbeat, on the queue's clock."""

    @property
    def busy(self) -> int:
        return len(self.running)


@dataclass(frozen=True)
class Heartbeat:
    """The queue's answer to a heartbeat."""

    cancelled: frozenset[str] = field(default_factory=frozenset)
    """Query ids among the running tasks' queries that were cancelled: stop their tasks."""
    joined: bool = False
    """This heartbeat (re)joined the executor: its first, or one after it had been declared
    lost (its tasks were then offered again)."""


@dataclass(frozen=True)
class QueueStats:
    """Queue length and pending entries, for metrics and autoscaling."""

    waiting: int
    """Tasks on the queue that no executor has taken yet (the consumer group's lag)."""
    running: int
    """Tasks taken and not yet finished (the pending entries)."""
    active_queries: int
    executors: int
    """Executors that heart-beat recently."""
