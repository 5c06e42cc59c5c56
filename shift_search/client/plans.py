"""Plans as data: what EXPLAIN returns and what a query reports before it runs.

A plan is a tree of typed steps (the planner's physical plan): each step has an id, a kind,
its own fields, an estimate and whether the cache already holds its result, and, once it ran
(EXPLAIN ANALYZE), what it measured. Steps are kept generic beyond that: anything else a server
sends lands in `extra`, and nested steps in `children`, so a newer plan shape still renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepMeasurement:
    """What a step measured when it ran (EXPLAIN ANALYZE)."""

    seconds: float
    rows: int = 0
    """Models scored, rows scanned, results read."""
    cache_hits: int = 0
    """Results or feature chunks found in the cache."""
    tasks: int = 0
    """Executor tasks run."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "rows": self.rows,
            "cache_hits": self.cache_hits,
            "tasks": self.tasks,
        }


@dataclass(frozen=True)
class PlanStep:
    name: str
    detail: str = ""
    estimated_seconds: float = 0.0
    measured_seconds: float | None = None
    """Seconds the step really took (EXPLAIN ANALYZE); None when it did not run."""
    tasks: int = 0
    id: str = ""
    """"1", "2", … in pre-order: the same plan always has the same ids, and a statement's
    `Finished.executed_steps` lists the ids it ran."""
    kind: str = ""
    """metadata_scan, profile, rank, full_pass, halving, halving_round, cache_lookup, …"""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The kind's own fields (models, samples, chunk ranges …) as plain values."""
    estimated_parts: Mapping[str, float] = field(default_factory=dict)
    """Estimated seconds of features, proxy and other work."""
    cached: bool = False
    """The cache already holds the step's result."""
    measured: StepMeasurement | None = None
    """What the step measured (EXPLAIN ANALYZE); None when it did not run."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[PlanStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "estimated_seconds": self.estimated_seconds,
            "measured_seconds": self.measured_seconds,
            "tasks": self.tasks,
            "cached": self.cached,
            "fields": dict(self.fields),
            "estimated_parts": dict(self.estimated_parts),
            "measured": self.measured.to_dict() if self.measured is not None else None,
            **self.extra,
        }
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def explain_json(self) -> dict[str, Any]:
        """The step as EXPLAIN JSON shows it (`Plan.explain_json`)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "estimate": {"seconds": self.estimated_seconds, "parts": dict(self.estimated_parts)},
            "cached": self.cached,
            "fields": dict(sorted(self.fields.items())),
            "children": [c.explain_json() for c in self.children],
        }
        if self.measured is not None:
            out["measured"] = self.measured.to_dict()
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

    def find(self, step_id: str) -> PlanStep | None:
        """The step with this id, if the plan has it."""
        return next((s for _, s in self.walk() if s.id == step_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "decisions": dict(self.decisions),
            "estimated_seconds": self.estimated_seconds,
            "measured_seconds": self.measured_seconds,
            "steps": [s.to_dict() for s in self.steps],
        }

    def explain_json(self) -> dict[str, Any]:
        """The plan in the JSON shape of `EXPLAIN JSON` and `shift query --json`: strategy,
        decisions, estimate (and measured seconds once it ran), and its steps as a tree."""
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "decisions": dict(self.decisions),
            "estimated_seconds": self.estimated_seconds,
            "steps": [s.explain_json() for s in self.steps],
        }
        if self.measured_seconds is not None:
            out["measured_seconds"] = self.measured_seconds
        return out

    def to_pandas(self) -> Any:
        """One row per step (depth-first, with its depth), as a DataFrame."""
        import pandas as pd

        rows = [
            {"depth": depth, **{k: v for k, v in s.to_dict().items() if k != "children"}}
            for depth, s in self.walk()
        ]
        return pd.DataFrame(rows)
