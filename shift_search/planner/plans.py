"""EXPLAIN's plan of one query, whatever its strategy, priced as it runs:

- restrict, or rank by a metadata column: no GPU work;
- task-aware ranking: `task_aware.plan` (every proxy, features shared, cached work free);
- BENCHMARK, ORDER BY FineTune and FINETUNE: `strategy_plans`;
- set operations: both operands' steps, and their decisions under `left.` / `right.`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, assert_never

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.planner import benchmark, task_aware
from shift_search.planner.binder import Binder, BoundTable
from shift_search.planner.cached import stored_work
from shift_search.planner.events import PlanInfo, Step
from shift_search.planner.strategy_plans import benchmark_plan, finetune_plan, finetune_ranking_plan
from shift_search.planner.task_aware import SearchSpec
from shift_search.runtime.errors import FailedPrecondition

SpecOf = Callable[[ast.Select, list[ModelRecord]], SearchSpec]
"""Builds a task-aware search's spec (binds TRAINED ON / TESTED ON), as execution does."""


def is_task_aware(select: ast.Select) -> bool:
    """A SELECT that needs proxies (or fine-tuning), not only metadata."""
    order_key = select.order.key if select.order is not None else None
    return bool(
        select.classified_by
        or select.trained_on is not None
        or select.tested_on is not None
        or isinstance(order_key, ast.ProxyOrdering | ast.ProxyErr | ast.Aggregate)
    )


def check_metadata_columns(select: ast.Select, table: BoundTable, binder: Binder) -> None:
    """NotFound for a selected or ORDER BY column the table does not have (WHERE's columns are
    checked by `Binder.filter`)."""
    if isinstance(select.columns, tuple):
        binder.check_columns([item.column.name for item in select.columns], table)
    if select.order is not None and isinstance(select.order.key, ast.Column):
        binder.check_columns([select.order.key.name], table)


def candidates(table: BoundTable, rows: list[dict[str, Any]]) -> list[ModelRecord]:
    """The models a task-aware ranking ranks: `rows` of a table of models that passed WHERE
    and OTHER THAN."""
    if table.kind != "models":
        raise FailedPrecondition("a task-aware ranking selects from a table of models")
    return [table.models[r["name"]] for r in rows]


@dataclass(frozen=True)
class Planner:
    binder: Binder
    devices: int
    search_spec: SpecOf
    cache: CacheClient | None = None
    """Where to look up cached work (None: price everything as uncached)."""

    def plan(self, query: ast.Query | ast.Finetune) -> PlanInfo:
        match query:
            case ast.Select() if is_task_aware(query):
                return self._ranking(query)
            case ast.Select():
                return self._metadata(query)
            case ast.SetOperation(op=op, left=left, right=right):
                return set_operation_plan(op, self.plan(left), self.plan(right))
            case ast.VariableRef(name=name):
                return self.plan(self.binder.session.get(name).query)
            case ast.Finetune():
                return finetune_plan(query, self.binder, self.devices)
            case ast.Rank() | ast.SelectVec():
                return PlanInfo(type(query).__name__.lower(), [])
            case _:
                assert_never(query)

    def _metadata(self, select: ast.Select) -> PlanInfo:
        table = self.binder.table(select.table)
        rows = self.binder.filter(select, table)
        check_metadata_columns(select, table, self.binder)
        kind = "rank by metadata" if select.order else "restrict by metadata"
        detail = f"{len(rows)} of {len(table.rows)} {table.kind}; no GPU work"
        return PlanInfo("task_agnostic" if select.order else "restrict", [Step(kind, detail)])

    def _ranking(self, select: ast.Select) -> PlanInfo:
        table = self.binder.table(select.table)
        models = candidates(table, self.binder.filter(select, table))
        proxies = task_aware.proxies_of(select)
        if select.test_mode == "BENCHMARK":
            return self.benchmark(select, models, proxies[0])
        spec = self.search_spec(select, models)
        if proxies[0].name == "finetune":
            return self.finetune_ranking(spec, proxies[0])
        stored = stored_work(self.cache, spec) if self.cache is not None else None
        return task_aware.plan(spec, self.devices, stored)[0]

    def finetune_ranking(self, spec: SearchSpec, proxy: task_aware.Proxy) -> PlanInfo:
        """ORDER BY FineTune: successive halving over fine-tuning epochs."""
        return finetune_ranking_plan(spec.models, spec.train, spec.test, proxy, self.devices)

    def benchmark(
        self, select: ast.Select, models: list[ModelRecord], proxy: task_aware.Proxy
    ) -> PlanInfo:
        """BENCHMARK: one full-data search per benchmark pair, then the aggregate."""
        pairs = benchmark.pairs(select, self.binder)
        stored = None
        if self.cache is not None:
            specs = [SearchSpec(models, train, test, [proxy], None, None) for train, test in pairs]
            stored = [stored_work(self.cache, spec) for spec in specs]
        func = "avg"
        if select.order is not None and isinstance(select.order.key, ast.Aggregate):
            func = select.order.key.func
        return benchmark_plan(models, proxy, pairs, func, self.devices, stored)


def set_operation_plan(op: ast.SetOp, left: PlanInfo, right: PlanInfo) -> PlanInfo:
    """Both operands run: their steps one after the other, their decisions side by side."""
    decisions = {"operands": "2", "left": left.strategy, "right": right.strategy}
    for side, plan in (("left", left), ("right", right)):
        decisions |= {f"{side}.{key}": value for key, value in plan.decisions.items()}
    return PlanInfo(f"set_operation ({op})", [*left.steps, *right.steps], decisions)
