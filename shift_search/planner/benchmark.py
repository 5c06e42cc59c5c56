"""TESTED ON BENCHMARK: a proxy per benchmark dataset, aggregated per model (avg/sum/min/max).

Runs a plan's `physical.Benchmark` step: each of its full passes (one per (train, test) pair) is
a search, and all of them run at once on the executors; the aggregate ranks the models.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

from shift_search.planner import physical
from shift_search.planner.bound import SearchSpec
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.measurements import Trace
from shift_search.planner.statements import QueryResult
from shift_search.planner.task_aware import Search, best_first
from shift_search.runtime.errors import ShiftError

AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {
    "avg": statistics.fmean,
    "sum": math.fsum,
    "min": min,
    "max": max,
}


class BenchmarkRun:
    """Every model scored on every benchmark pair, then aggregated per model and ranked."""

    def __init__(
        self,
        step: physical.Benchmark,
        pool: ExecutorPool,
        emit: Callable[[Event], None],
        trace: Trace,
    ) -> None:
        self.step = step
        self.trace = trace
        self.passes = [c for c in step.children if isinstance(c, physical.FullPass)]
        self.aggregate = next(c for c in step.children if isinstance(c, physical.Aggregate))
        self.searches = [
            Search(
                SearchSpec(p.models, p.train, p.test, [p.proxy], None, None),
                pool,
                [p],
                emit,
                trace=trace,
            )
            for p in self.passes
        ]

    def start(self) -> BenchmarkRun:
        for search in self.searches:
            search.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """True once every pair is scored, or one failed (the others are then cancelled)."""
        end = None if timeout is None else time.monotonic() + timeout
        for search in self.searches:
            if not search.wait(None if end is None else max(0.0, end - time.monotonic())):
                return False
            if search.error is not None:
                self.cancel()
                return True
        return True

    def cancel(self) -> None:
        for search in self.searches:
            search.cancel()

    @property
    def error(self) -> ShiftError | None:
        return next((s.error for s in self.searches if s.error is not None), None)

    def result(self) -> QueryResult:
        """Models scored on every benchmark dataset, best aggregate first; the others are left
        out until their scores are in (`remaining_tasks` counts what is still running)."""
        step, label = self.step, self.step.proxy.label
        errors: dict[str, list[float]] = {}
        for model in step.models:
            scores = [s.ranking.scores.get(label, {}) for s in self.searches]
            if all(model.name in s for s in scores):
                errors[model.name] = [s[model.name] for s in scores]
        started = time.perf_counter()
        aggregate = {name: AGGREGATES[step.func](values) for name, values in errors.items()}
        order = best_first(aggregate, step.descending)
        if step.limit is not None:
            order = order[: step.limit]
        self.trace.ran(self.aggregate)
        self.trace.add(self.aggregate, seconds=time.perf_counter() - started, rows=len(aggregate))
        labels = [p.test.label for p in self.passes]
        columns = ("name", *labels, f"{step.func}(err)")
        rows = tuple((name, *errors[name], aggregate[name]) for name in order)
        return QueryResult("models", tuple(order), columns, rows, self._remaining())

    def _remaining(self) -> int:
        if all(s.done.is_set() for s in self.searches):
            return 0
        label = self.step.proxy.label
        scored = sum(len(s.ranking.scores.get(label, {})) for s in self.searches)
        return max(1, len(self.step.models) * len(self.searches) - scored)
