"""What a running query reports, in the planner's own types (convert.py makes protobuf)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shift_search.planner.measurements import Trace
from shift_search.planner.physical import Plan


@dataclass(frozen=True)
class Planned:
    """The plan a statement runs (before it runs), or, after EXPLAIN ANALYZE, the same plan with
    what each step measured (`trace`)."""

    plan: Plan
    trace: Trace | None = None


@dataclass(frozen=True)
class TaskFinished:
    task_id: str
    model: str
    kind: str
    error: float
    from_cache: bool
    done: int
    total: int


@dataclass(frozen=True)
class Progress:
    """A running task's progress, as its executor reported it through the work queue."""

    task_id: str
    model: str
    stage: str
    done: int
    total: int
    message: str
    executor: str


@dataclass(frozen=True)
class Eliminated:
    model: str
    round: int
    error: float


@dataclass(frozen=True)
class Leaders:
    models: tuple[str, ...]
    errors: tuple[float, ...]


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    remaining_tasks: int = 0


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Finished:
    remaining_tasks: int
    seconds: float
    executed_steps: tuple[str, ...] = ()
    """Ids of the plan steps the statement executed, in the order they started."""


Event = Planned | TaskFinished | Progress | Eliminated | Leaders | Table | Note | Finished
