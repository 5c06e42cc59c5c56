"""Plans as data: what EXPLAIN returns and what a query reports before it runs.

Steps are kept generic: the fields this client knows are attributes, anything else a server
sends lands in `extra`, and nested steps (when a server sends them) in `children`, so a newer
plan shape still renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlanStep:
    name: str
    detail: str = ""
    estimated_seconds: float = 0.0
    measured_seconds: float | None = None
    """Seconds the step really took (EXPLAIN ANALYZE); None when it did not run."""
    tasks: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[PlanStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "detail": self.detail,
            "estimated_seconds": self.estimated_seconds,
            "measured_seconds": self.measured_seconds,
            "tasks": self.tasks,
            **self.extra,
        }
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass(frozen=True)
class Plan:
    """How the planner runs a statement: a strategy, its decisions, and costed steps."""

    strategy: str
    steps: tuple[PlanStep, ...] = ()
    decisions: Mapping[str, str] = field(default_factory=dict)
    estimated_seconds: float = 0.0
    measured_seconds: float | None = None
    text: str = ""
    """The server's own rendering of the plan."""

    def walk(self) -> Iterator[tuple[int, PlanStep]]:
        """Every step with its depth (0 for top-level steps), depth first."""

        def visit(steps: tuple[PlanStep, ...], depth: int) -> Iterator[tuple[int, PlanStep]]:
            for step in steps:
                yield depth, step
                yield from visit(step.children, depth + 1)

        return visit(self.steps, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "decisions": dict(self.decisions),
            "estimated_seconds": self.estimated_seconds,
            "measured_seconds": self.measured_seconds,
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_pandas(self) -> Any:
        """One row per step (depth-first, with its depth), as a DataFrame."""
        import pandas as pd

        rows = [
            {"depth": depth, **{k: v for k, v in s.to_dict().items() if k != "children"}}
            for depth, s in self.walk()
        ]
        return pd.DataFrame(rows)
