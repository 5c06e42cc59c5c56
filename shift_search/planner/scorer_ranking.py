"""RANK … BY "<scorer>": runs a plan's `physical.RankByScorer` — one scorer task per model the
cache does not answer (`tasks.specs.RankTask`), as its scorer pass says — and ranks the models
by the scorer's value, highest first. A search like a proxy's full pass (`task_aware.Search`):
the same events, cancellation and trace; only the task differs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from shift_search.cache.records import ModelRecord
from shift_search.planner.bound import Proxy
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import CacheLookup, MetadataScan, RankByScorer, ScorerPass
from shift_search.planner.statements import QueryResult, output_columns
from shift_search.planner.task_aware import Search, best_first
from shift_search.tasks.specs import RankTask, ScorerSpec, Task


class ScorerSearch(Search):
    """The scorer pass of one RANK statement on the executors."""

    what = "scorer"

    def __init__(
        self,
        step: RankByScorer,
        pool: ExecutorPool,
        emit: Callable[[Event], None],
        trace: Trace,
    ) -> None:
        super().__init__(step.spec, pool, [], emit, trace=trace)
        self.step = step
        self.passes = [c for c in step.children if isinstance(c, ScorerPass)]

    def _work(self) -> None:
        for step in self.passes:
            self._scorer_pass(step)

    def _scorer_pass(self, step: ScorerPass) -> None:
        """Every model on all the data (the cached ones read from the plan's lookup); the
        current top-k is sent as results arrive."""
        started = time.perf_counter()
        self.trace.ran(step, *step.children)
        lookups = [c for c in step.children if isinstance(c, CacheLookup)]
        known = {m.name: (error, key) for c in lookups for m, error, key in c.results}
        work = [c for c in step.children if not isinstance(c, CacheLookup)]
        scores = self._round(
            step.proxy, step.models, None, step, live=True, known=known, lookup=lookups
        )
        self.ranking.order[step.proxy.label] = best_first(scores, False)
        wall = time.perf_counter() - started
        self.trace.close_span(step, wall, work)
        self.trace.add(step, seconds=wall)

    def _request(self, model: ModelRecord, proxy: Proxy, counts: Sequence[int] | None) -> Task:
        spec = self.step.spec
        test = spec.test.record if self.step.tested else None
        return RankTask(model, spec.train.record, ScorerSpec(proxy.name, proxy.params), test)


def scorer_result(step: RankByScorer, search: ScorerSearch, scan: MetadataScan) -> QueryResult:
    """Rows best first (highest score), cut to LIMIT; unfinished models are left out."""
    sources, headers = output_columns(step.columns, "models")
    rows_by_name: dict[str, Any] = {r["name"]: r for r in scan.rows}
    label = step.spec.proxies[0].label
    errors = dict(search.ranking.scores.get(label, {}))  # a copy: tasks still add
    order = search.ranking.order.get(label) or best_first(errors, False)
    order = [n for n in order if n in errors][: step.limit]
    rows = tuple(
        (*[rows_by_name[n].get(c) for c in sources], step.scorer.spelling, -errors[n])
        for n in order
    )
    remaining = 0 if search.done.is_set() else max(1, search.ranking.remaining)
    return QueryResult("models", tuple(order), (*headers, "scorer", "score"), rows, remaining)
