"""TESTED ON BENCHMARK: a proxy per benchmark dataset, aggregated per model (avg/sum/min/max).

The i-th benchmark test set pairs with the i-th TRAINED ON dataset, or with the single one given.
Every pair is one full-data search; all of them run at once on the executors.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.planner import costmodel
from shift_search.planner.binder import Binder, BoundDataset
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.statements import QueryResult
from shift_search.planner.task_aware import Proxy, Search, SearchSpec, best_first
from shift_search.runtime.errors import FailedPrecondition, ShiftError

AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {
    "avg": statistics.fmean,
    "sum": math.fsum,
    "min": min,
    "max": max,
}

Pair = tuple[BoundDataset, BoundDataset]


def items(expr: ast.DatasetExpr) -> list[ast.DatasetName | ast.Mutation]:
    return list(expr.items) if isinstance(expr, ast.DatasetList) else [expr]


def pairs(select: ast.Select, binder: Binder) -> list[Pair]:
    """(train, test) per benchmark dataset."""
    if select.trained_on is None or select.tested_on is None:
        raise FailedPrecondition("TESTED ON BENCHMARK needs TRAINED ON data too")
    trains = [binder.dataset(i) for i in items(select.trained_on)]
    tests = [binder.dataset(i) for i in items(select.tested_on)]
    if len(trains) == 1:
        trains = trains * len(tests)
    if len(trains) != len(tests):
        raise FailedPrecondition(
            f"TESTED ON BENCHMARK lists {len(tests)} datasets but TRAINED ON lists {len(trains)}: "
            "give one training dataset, or one per benchmark dataset"
        )
    return list(zip(trains, tests, strict=True))


def aggregate_of(select: ast.Select) -> tuple[str, bool]:
    """The aggregate function and whether higher is better (ORDER BY avg(acc) DESC …)."""
    if select.order is not None and isinstance(select.order.key, ast.Aggregate):
        key = select.order.key
        return key.func, select.order.descending != (key.metric == "acc")
    return "avg", False


class Benchmark:
    """Every model scored on every benchmark pair, then aggregated per model and ranked."""

    def __init__(
        self,
        select: ast.Select,
        models: Sequence[ModelRecord],
        proxy: Proxy,
        benchmark: Sequence[Pair],
        pool: ExecutorPool,
        emit: Callable[[Event], None],
    ) -> None:
        self.select = select
        self.models = list(models)
        self.proxy = proxy
        self.benchmark = list(benchmark)
        self.func, self.descending = aggregate_of(select)
        no_sh = costmodel.Decision(False, None, None, 0.0, 0.0, "benchmark: full data")
        self.searches = [
            Search(SearchSpec(self.models, train, test, [proxy], None, None), pool, no_sh, emit)
            for train, test in self.benchmark
        ]

    def start(self) -> Benchmark:
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
        errors: dict[str, list[float]] = {}
        for model in self.models:
            scores = [s.ranking.scores.get(self.proxy.label, {}) for s in self.searches]
            if all(model.name in s for s in scores):
                errors[model.name] = [s[model.name] for s in scores]
        aggregate = {name: AGGREGATES[self.func](values) for name, values in errors.items()}
        order = best_first(aggregate, self.descending)
        if self.select.limit is not None:
            order = order[: self.select.limit]
        labels = [test.label for _, test in self.benchmark]
        columns = ("name", *labels, f"{self.func}(err)")
        rows = tuple((name, *errors[name], aggregate[name]) for name in order)
        return QueryResult("models", tuple(order), columns, rows, self._remaining())

    def _remaining(self) -> int:
        if all(s.done.is_set() for s in self.searches):
            return 0
        scored = sum(len(s.ranking.scores.get(self.proxy.label, {})) for s in self.searches)
        return max(1, len(self.models) * len(self.searches) - scored)
