"""Running the composite strategies' plans: a Cascade's stages one after the other, each on the
survivors of the one before, and AUTO's evidence, choice and what the chosen strategy runs. The
stages' searches run as `task_aware.Search` and `finetune_ranking.FinetuneRanking` do for a plain
ranking; a stage whose models were unknown when planned takes the survivors now (the step keeps
its id, so the trace records the very step EXPLAIN showed)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

from shift_search.cache.records import ModelRecord
from shift_search.planner import physical
from shift_search.planner.bound import SearchSpec
from shift_search.planner.cascade_plan import survivors_of
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.finetune_ranking import FinetuneRanking
from shift_search.planner.measurements import Trace
from shift_search.planner.statements import QueryResult, output_columns
from shift_search.planner.task_aware import Search
from shift_search.planner.waiting import BackgroundJob
from shift_search.runtime.errors import Cancelled, FailedPrecondition

Scored = tuple[str, str, float]
"""(model, what ranked it, its error there)."""


class StagedJob(BackgroundJob):
    """A strategy made of searches run one after the other in its own thread; cancelling it
    cancels the one running."""

    def __init__(
        self, pool: ExecutorPool, emit: Callable[[Event], None], trace: Trace, rows: Any
    ) -> None:
        super().__init__(pool)
        self.emit, self.trace = emit, trace
        self.scan_rows = {str(r["name"]): r for r in rows}
        self._current: BackgroundJob | None = None
        self.ranked: list[Scored] = []
        """What is known so far, best first (the final answer once done)."""

    def cancel(self) -> None:
        super().cancel()
        current = self._current
        if current is not None:
            current.cancel()

    def _inner(self, job: BackgroundJob) -> BackgroundJob:
        """Run a search to its end here; its error is this job's."""
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        self._current = job
        job.run_here()
        self._current = None
        if job.error is not None:
            raise job.error
        return job

    def _search(
        self, step: physical.FullPass | physical.Halving, models: Sequence[ModelRecord]
    ) -> list[Scored]:
        """A proxy search over `models` (a stage's survivors, for a step planned without them)."""
        if isinstance(step, physical.FullPass) and step.survivors:
            step = dataclasses.replace(step, models=tuple(models))
        spec = SearchSpec(list(models), step.train, step.test, [step.proxy], None, None)
        search = Search(spec, self.pool, [step], self.emit, trace=self.trace)
        self._inner(search)
        label = step.proxy.label
        scores = search.ranking.scores[label]
        return [(n, label, scores[n]) for n in search.ranking.order[label]]

    def _finetuned(
        self, step: physical.FinetuneHalving, models: Sequence[ModelRecord]
    ) -> list[Scored]:
        """Halving over fine-tuning epochs of `models`: survivors best first, then the rest."""
        step = dataclasses.replace(step, models=tuple(models))
        started = time.perf_counter()
        self.trace.ran(step)
        ranking = FinetuneRanking(step, self.pool, self.emit, self.trace)
        self._inner(ranking)
        result = ranking.result()
        self.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
        return [(str(row[0]), str(row[1]), float(row[2])) for row in result.rows]

    def result(self, columns: Any, limit: int | None) -> QueryResult:
        """The ranking known so far as the statement's table, cut to LIMIT."""
        sources, headers = output_columns(columns, "models")
        ranked = self.ranked[:limit] if limit is not None else self.ranked
        rows = tuple(
            (*[self.scan_rows[name].get(c) for c in sources], by, error)
            for name, by, error in ranked
        )
        names = tuple(name for name, _, _ in ranked)
        remaining = 0 if self.done.is_set() else 1
        return QueryResult("models", names, (*headers, "proxy", "error"), rows, remaining)


class CascadeRun(StagedJob):
    """ORDER BY Cascade: every stage on the survivors of the one before; the answer is the last
    stage's order, then the models each earlier stage dropped (latest first)."""

    what = "cascade"

    def __init__(
        self,
        step: physical.Cascade,
        scan: physical.MetadataScan,
        pool: ExecutorPool,
        emit: Callable[[Event], None],
        trace: Trace,
    ) -> None:
        super().__init__(pool, emit, trace, scan.rows)
        self.step = step
        self.stages = [c for c in step.children if isinstance(c, physical.CascadeStage)]
        self.by_name = {m.name: m for m in step.spec.models}

    def _work(self) -> None:
        alive = [m.name for m in self.step.spec.models]
        dropped: list[Scored] = []
        for stage in self.stages:
            started = time.perf_counter()
            self.trace.ran(stage)
            (search,) = stage.children
            models = [self.by_name[n] for n in alive]
            match search:
                case physical.FullPass() | physical.Halving():
                    ranked = self._search(search, models)
                case physical.FinetuneHalving():
                    ranked = self._finetuned(search, models)
                case _:
                    kind = type(search).__name__
                    raise FailedPrecondition(f"a cascade stage cannot run a {kind}")
            if stage.keep is None:
                self.ranked = ranked + dropped
            else:
                order = [name for name, _, _ in ranked]
                alive = survivors_of(order, stage.keep, stage.joins)
                dropped = [r for r in ranked if r[0] not in alive] + dropped
                self.ranked = [r for r in ranked if r[0] in alive] + dropped
            seconds = time.perf_counter() - started
            self.trace.add(stage, seconds=seconds, rows=len(models))


class AutoRun(StagedJob):
    """ORDER BY AUTO, as decided: the evidence (read from the cache: the coordinator ran it
    before the final plan was made), the choice, then what the chosen strategy runs."""

    what = "auto"

    def __init__(
        self,
        step: physical.Auto,
        scan: physical.MetadataScan,
        pool: ExecutorPool,
        emit: Callable[[Event], None],
        trace: Trace,
    ) -> None:
        super().__init__(pool, emit, trace, scan.rows)
        self.step = step
        (self.choice,) = [c for c in step.children if isinstance(c, physical.StrategyChoice)]

    def _work(self) -> None:
        if self.choice.chosen is None:
            raise FailedPrecondition("AUTO's evidence is not in: the statement was not decided")
        evidence: dict[str, dict[str, float]] = {}
        for search in self.step.children:
            if isinstance(search, physical.FullPass | physical.Halving):
                ranked = self._search(search, self.step.spec.models)
                evidence[search.proxy.label] = {name: error for name, _, error in ranked}
        self.trace.ran(self.choice)
        self.trace.add(self.choice, rows=len(self.choice.returns))
        nn = evidence.get(self.step.spec.proxies[0].label, {})
        by = f"AUTO: {self.choice.chosen}"
        self.ranked = [(n, by, nn.get(n, float("nan"))) for n in self.choice.returns]
        for tune in self.step.children:
            if isinstance(tune, physical.FinetuneHalving):
                self.ranked = self._finetuned(tune, tune.models)
