"""What a running query reports, in the planner's own types (convert.py makes protobuf)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Step:
    """One step of a plan with its estimated and (after running) measured cost."""

    name: str
    detail: str
    estimated_seconds: float = 0.0
    measured_seconds: float | None = None
    tasks: int = 0
    span: str = ""
    """The measured span the step belongs to (a full-data pass, an SH round): EXPLAIN ANALYZE."""
    parts: dict[str, float] = field(default_factory=dict)
    """Estimated seconds per kind of work (`costmodel.PARTS`), to split measured time by."""


@dataclass
class PlanInfo:
    strategy: str
    steps: list[Step] = field(default_factory=list)
    decisions: dict[str, str] = field(default_factory=dict)

    @property
    def estimated_seconds(self) -> float:
        return sum(s.estimated_seconds for s in self.steps)

    @property
    def measured_seconds(self) -> float | None:
        measured = [s.measured_seconds for s in self.steps if s.measured_seconds is not None]
        return sum(measured) if measured else None

    def render(self) -> str:
        lines = [f"strategy: {self.strategy}"]
        lines += [f"  {k}: {v}" for k, v in self.decisions.items()]
        for step in self.steps:
            measured = (
                f", measured {step.measured_seconds:.3f}s"
                if step.measured_seconds is not None
                else ""
            )
            tasks = f", {step.tasks} tasks" if step.tasks else ""
            lines.append(
                f"- {step.name}: {step.detail} (estimated {step.estimated_seconds:.3f}s"
                f"{measured}{tasks})"
            )
        total = f"estimated total {self.estimated_seconds:.3f}s"
        if self.measured_seconds is not None:
            total += f", measured total {self.measured_seconds:.3f}s"
        lines.append(total)
        return "\n".join(lines)


@dataclass(frozen=True)
class Planned:
    plan: PlanInfo


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


Event = Planned | TaskFinished | Eliminated | Leaders | Table | Note | Finished
