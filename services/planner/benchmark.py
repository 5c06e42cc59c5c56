"""TESTED ON BENCHMARK: a proxy per benchmark dataset, aggregated per model (avg/sum/min/max).

The i-th benchmark test set pairs with the i-th TRAINED ON dataset, or with the single one given.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from services.cache.records import ModelRecord
from services.parser import ast
from services.planner import costmodel
from services.planner.binder import Binder, BoundDataset
from services.planner.events import Event
from services.planner.executors import ExecutorPool
from services.planner.statements import QueryResult
from services.planner.task_aware import Proxy, Search, SearchSpec, best_first
from services.runtime.errors import FailedPrecondition

AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {
    "avg": statistics.fmean,
    "sum": math.fsum,
    "min": min,
    "max": max,
}


def items(expr: ast.DatasetExpr) -> list[ast.DatasetName | ast.Mutation]:
    return list(expr.items) if isinstance(expr, ast.DatasetList) else [expr]


def pairs(select: ast.Select, binder: Binder) -> list[tuple[BoundDataset, BoundDataset]]:
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


def run_benchmark(
    select: ast.Select,
    models: Sequence[ModelRecord],
    proxy: Proxy,
    binder: Binder,
    pool: ExecutorPool,
    emit: Callable[[Event], None],
) -> QueryResult:
    """Score every model on every benchmark pair, then aggregate per model and rank."""
    func = "avg"
    descending = False
    if select.order is not None and isinstance(select.order.key, ast.Aggregate):
        func = select.order.key.func
        descending = select.order.descending != (select.order.key.metric == "acc")
    errors: dict[str, list[float]] = {m.name: [] for m in models}
    labels = []
    for train, test in pairs(select, binder):
        spec = SearchSpec(models, train, test, [proxy], None, None)
        no_sh = costmodel.Decision(False, None, None, 0.0, 0.0, "benchmark: full data")
        search = Search(spec, pool, no_sh, emit).start()
        search.done.wait()
        if search.error is not None:
            raise search.error
        scores = search.ranking.scores[proxy.label]
        for name in errors:
            errors[name].append(scores[name])
        labels.append(test.label)
    aggregate = {name: AGGREGATES[func](values) for name, values in errors.items()}
    order = best_first(aggregate, descending)
    if select.limit is not None:
        order = order[: select.limit]
    columns = ("name", *labels, f"{func}(err)")
    rows = tuple((name, *errors[name], aggregate[name]) for name in order)
    return QueryResult("models", tuple(order), columns, rows)
