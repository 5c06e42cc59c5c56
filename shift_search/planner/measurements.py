"""What a statement's execution did, beside its plan: which steps ran, and what each measured
(seconds, rows, results read from the cache, executor tasks), keyed by step id. The plan's
steps are frozen; EXPLAIN ANALYZE shows them with these figures.

A search measures spans (a full-data pass, an SH round): the wall-clock seconds of each, and the
executors' own seconds per task phase summed over the span's tasks. A span's wall-clock time is
split over its steps first by where the executors spent it, in the cost model's terms
(`costmodel.PARTS`):

- features ← read + lookup + extract + store (the executor loads models inside `extract`),
- proxy ← proxy,
- other ← the rest of each task's time (overheads, RPCs, 1-NN searches, which are not a phase),

then within a kind by the steps' estimates of it. A kind estimated but never timed (a 1-NN proxy)
counts as `other`; a kind timed but not estimated (all thought cached) goes by total estimate.
So the steps' measured seconds sum to the span's wall-clock time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shift_search.planner.physical import PARTS, Plan, Step, StepBase

PHASE_KINDS: Mapping[str, str] = {
    "read": "features",
    "lookup": "features",
    "extract": "features",
    "store": "features",
    "proxy": "proxy",
}

HOW = (
    "wall-clock per span, split over its steps by the executors' phases "
    "(features: read, lookup, extract with model loads, store; proxy; other), then by estimate"
)


@dataclass
class StepMeasurement:
    """What one step measured when it ran."""

    seconds: float = 0.0
    rows: int = 0
    """Models scored, rows scanned, results read: what the step produced."""
    cache_hits: int = 0
    """Results or feature chunks found in the cache instead of computed."""
    tasks: int = 0
    """Executor tasks the step ran."""


@dataclass
class Trace:
    """Steps executed (in the order they started) and their measurements, by step id."""

    executed: list[str] = field(default_factory=list)
    measured: dict[str, StepMeasurement] = field(default_factory=dict)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per span (a step id): the executors' seconds per phase, summed ("task": their totals)."""
    task_seconds: dict[str, float] = field(default_factory=dict)
    """The executors' seconds per phase over every task of the statement ("task": totals)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ran(self, *steps: StepBase) -> None:
        """Record that these steps (and nothing else) started executing."""
        with self._lock:
            for step in steps:
                if step.id not in self.measured:
                    self.executed.append(step.id)
                    self.measured[step.id] = StepMeasurement()

    def ran_tree(self, step: Step) -> None:
        """Record a step and everything under it: they run as one (one task per model)."""
        self.ran(step)
        for child in step.children:
            self.ran_tree(child)

    def add(
        self,
        step: StepBase,
        *,
        seconds: float = 0.0,
        rows: int = 0,
        cache_hits: int = 0,
        tasks: int = 0,
    ) -> None:
        with self._lock:
            m = self.measured.setdefault(step.id, StepMeasurement())
            m.seconds += seconds
            m.rows += rows
            m.cache_hits += cache_hits
            m.tasks += tasks

    def add_task(self, span: StepBase, phases: Mapping[str, float], total: float) -> None:
        """An executor task of `span` finished: where its time went."""
        with self._lock:
            into = self.phases.setdefault(span.id, {})
            for phase, seconds in [*phases.items(), ("task", total)]:
                into[phase] = into.get(phase, 0.0) + seconds
                self.task_seconds[phase] = self.task_seconds.get(phase, 0.0) + seconds

    def close_span(self, span: StepBase, wall: float, steps: Sequence[StepBase]) -> list[float]:
        """A span ended after `wall` seconds: split them over `steps` (see the docstring);
        each step's share, in order."""
        shares = split(wall, self.phases.get(span.id, {}), steps)
        for step, seconds in zip(steps, shares, strict=True):
            self.add(step, seconds=seconds)
        return shares

    def seconds(self, step: StepBase) -> float | None:
        m = self.measured.get(step.id)
        return None if m is None else m.seconds

    def executor_time(self) -> str:
        """Where the executors' time went, summed over the tasks that ran."""
        total = self.task_seconds.get("task", 0.0)
        if total <= 0:
            return ""
        phases = {k: v for k, v in self.task_seconds.items() if k != "task"}
        parts = [f"{name} {s:.2f}s" for name, s in sorted(phases.items(), key=lambda kv: -kv[1])]
        parts.append(f"other {max(total - sum(phases.values()), 0.0):.2f}s")
        return f"{total:.2f}s in tasks: " + ", ".join(parts)

    def annotated(self, plan: Plan) -> Plan:
        """The plan with what EXPLAIN ANALYZE says of its measurements as decisions."""
        more = {"measured": HOW}
        if spent := self.executor_time():
            more["executor time"] = spent
        return plan.noted(more.items())

    def measured_total(self, plan: Plan) -> float | None:
        found = [self.seconds(s) for s in plan.steps]
        seconds = [s for s in found if s is not None]
        return sum(seconds) if seconds else None


def shares(phases: Mapping[str, float]) -> dict[str, float]:
    """Fractions of the tasks' time per kind of work (summing to 1)."""
    by_kind = dict.fromkeys(PARTS, 0.0)
    for phase, seconds in phases.items():
        if phase in PHASE_KINDS:
            by_kind[PHASE_KINDS[phase]] += seconds
    timed = by_kind["features"] + by_kind["proxy"]
    by_kind["other"] = max(phases.get("task", 0.0) - timed, 0.0)
    total = sum(by_kind.values())
    if total <= 0:
        return {"other": 1.0}
    return {kind: seconds / total for kind, seconds in by_kind.items()}


def split(wall: float, phases: Mapping[str, float], steps: Sequence[StepBase]) -> list[float]:
    """A span's wall-clock seconds split over its steps (see the module's docstring)."""
    if not steps:
        return []
    fractions = shares(phases)
    weights = {kind: [s.estimate.parts.get(kind, 0.0) for s in steps] for kind in PARTS}
    for kind in PARTS:
        if kind != "other" and not fractions.get(kind):
            weights["other"] = [a + b for a, b in zip(weights["other"], weights[kind], strict=True)]
    out = [0.0] * len(steps)
    for kind, fraction in fractions.items():
        w = weights[kind]
        if not sum(w):
            w = [s.estimate.seconds for s in steps]
        if not sum(w):
            w = [1.0] + [0.0] * (len(steps) - 1)
        for i, weight in enumerate(w):
            out[i] += wall * fraction * weight / sum(w)
    return out
