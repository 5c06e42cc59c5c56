"""What a running query reports, as plain Python values (convert.py is where protobuf ends).

Every event carries `statement`, the 0-based index of its statement in the script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shift_search.client.plans import Plan


@dataclass(frozen=True)
class Planned:
    """The planner chose how to run a statement (also what EXPLAIN returns)."""

    statement: int
    plan: Plan


@dataclass(frozen=True)
class TaskDone:
    """One executor task finished: a model's proxy error on (a chunk of) the data."""

    statement: int
    task_id: str
    model: str
    kind: str
    error: float
    from_cache: bool
    done: int
    total: int


@dataclass(frozen=True)
class TaskProgress:
    """A running task's progress, as the executor running it reported it."""

    statement: int
    task_id: str
    model: str
    stage: str
    done: int
    total: int
    message: str
    executor: str


@dataclass(frozen=True)
class Eliminated:
    """Successive halving dropped a model after a round."""

    statement: int
    model: str
    round: int
    error: float


@dataclass(frozen=True)
class Leaders:
    """The best models so far, best first."""

    statement: int
    models: tuple[str, ...]
    errors: tuple[float, ...]


@dataclass(frozen=True)
class Table:
    """A result table: a ranking, a metadata query's rows, PRINT's variables."""

    statement: int
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    remaining_tasks: int = 0
    """Without WAIT: tasks still running on the server (the table is what is known now)."""

    def records(self) -> list[dict[str, Any]]:
        """The rows as {column: value} dicts."""
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    @property
    def is_distance_matrix(self) -> bool:
        """Whether this is SELECT vec's answer: a row per dataset, a column per dataset."""
        names = tuple(row[0] for row in self.rows)
        return bool(names) and self.columns[:1] == ("dataset",) and names == self.columns[1:]

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs pandas: `pip install 'shift-search[client]'`);
        a distance matrix (SELECT vec) is square, indexed by dataset like its columns."""
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_pandas() needs pandas: pip install 'shift-search[client]'"
            ) from err
        frame = pd.DataFrame(list(self.rows), columns=list(self.columns))
        if self.is_distance_matrix:
            frame = frame.set_index("dataset")
        return frame


@dataclass(frozen=True)
class Message:
    """A note from the server: models registered, variables declared, a plan's text."""

    statement: int
    text: str


@dataclass(frozen=True)
class Finished:
    """A statement is done (tasks may still run on without WAIT)."""

    statement: int
    remaining_tasks: int
    seconds: float
    executed_steps: tuple[str, ...] = ()
    """Ids of the plan steps the statement executed (`PlanStep.id`)."""


@dataclass(frozen=True)
class Unknown:
    """An event kind this client does not know (a newer server): kept, not dropped."""

    statement: int
    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)


Event = (
    Planned | TaskDone | TaskProgress | Eliminated | Leaders | Table | Message | Finished | Unknown
)
