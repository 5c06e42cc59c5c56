"""EXPLAIN ANALYZE: measured seconds beside every estimated step.

A search measures spans (a full-data pass, an SH round; per proxy when it computes several): the
wall-clock seconds of each, and the executors' own seconds per task phase summed over the span's
tasks. A span's wall-clock time is split over its steps first by where the executors spent it,
in the cost model's terms (`costmodel.PARTS`):

- features ← read + lookup + extract + store (the executor loads models inside `extract`),
- proxy ← proxy,
- other ← the rest of each task's time (overheads, RPCs, 1-NN searches, which are not a phase),

then within a kind by the steps' estimates of it. A kind estimated but never timed (a 1-NN proxy)
counts as `other`; a kind timed but not estimated (all thought cached) goes by total estimate.
So the steps' measured seconds sum to the span's wall-clock time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shift_search.planner.costmodel import PARTS
from shift_search.planner.events import PlanInfo, Step

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
class Measured:
    """What a search measured, per span: wall-clock seconds, and task seconds per phase."""

    wall: dict[str, float] = field(default_factory=dict)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per span: the executors' seconds per phase, summed over tasks ("task": their totals)."""

    def add_task(self, span: str, phases: Mapping[str, float], total: float) -> None:
        into = self.phases.setdefault(span, {})
        for phase, seconds in [*phases.items(), ("task", total)]:
            into[phase] = into.get(phase, 0.0) + seconds


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


def split(wall: float, phases: Mapping[str, float], steps: Sequence[Step]) -> list[float]:
    """A span's wall-clock seconds split over its steps (see the module's docstring)."""
    fractions = shares(phases)
    weights = {kind: [s.parts.get(kind, 0.0) for s in steps] for kind in PARTS}
    for kind in PARTS:
        if kind != "other" and not fractions.get(kind):
            weights["other"] = [a + b for a, b in zip(weights["other"], weights[kind], strict=True)]
    out = [0.0] * len(steps)
    for kind, fraction in fractions.items():
        w = weights[kind]
        if not sum(w):
            w = [s.estimated_seconds for s in steps]
        if not sum(w):
            w = [1.0] + [0.0] * (len(steps) - 1)
        for i, weight in enumerate(w):
            out[i] += wall * fraction * weight / sum(w)
    return out


def attach(info: PlanInfo, measured: Measured) -> None:
    """Put measured seconds beside each step; a span no step claims gets a step of its own."""
    for span, wall in measured.wall.items():
        steps = [s for s in info.steps if s.span == span]
        if not steps:
            info.steps.append(Step(f"measured ({span})", "not in the plan", 0.0, wall))
            continue
        measured_steps = split(wall, measured.phases.get(span, {}), steps)
        for step, seconds in zip(steps, measured_steps, strict=True):
            step.measured_seconds = seconds
    if measured.wall:
        info.decisions["measured"] = HOW


def attach_whole_run(info: PlanInfo, seconds: float) -> None:
    """For a plan whose run measures no spans: its wall-clock time, all steps together."""
    info.steps.append(Step("measured (whole run)", "all steps together", 0.0, seconds))
