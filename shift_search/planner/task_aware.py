"""Task-aware ranking: runs the searches of a plan on the executors — per proxy a full pass or
successive halving over data chunks, as the plan's steps say (`physical.FullPass`,
`physical.Halving`): the models, the rounds, their slices and survivors all come from there.
Results the plan found in the cache are read from it, not computed again."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import assert_never

from shift_search.cache import keys
from shift_search.cache.records import ModelRecord
from shift_search.cache.stored import HalvingState
from shift_search.planner import halving
from shift_search.planner.bound import Proxy, SearchSpec
from shift_search.planner.events import Eliminated, Event, Leaders, TaskFinished
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import (
    CacheLookup,
    ExtractFeatures,
    FullPass,
    Halving,
    HalvingRound,
    StepBase,
)
from shift_search.planner.waiting import BackgroundJob, forward_progress
from shift_search.runtime.errors import Cancelled, ShiftError
from shift_search.tasks.results import ScoreResult
from shift_search.tasks.specs import ProxySpec, ScoreTask, Task

LEADERS = 5  # models in a current top-k event


@dataclass
class Ranking:
    """Per proxy: (model, error, samples) best first; filled in as results arrive."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    remaining: int = 0


StateWriter = Callable[[HalvingState], None]


def run_id(spec: SearchSpec) -> str:
    """A successive-halving run named by what it searches."""
    return keys.sh_run_id(
        [m.key for m in spec.models],
        spec.train.record.fingerprint,
        spec.test.record.fingerprint,
        [(p.name, p.params) for p in spec.proxies],
        spec.chunk,
        spec.budget,
    )


class Search(BackgroundJob):
    """The searches of one task-aware query (a step per proxy, run in order) on the executors;
    emits events while it goes and records every step it runs in `trace`."""

    what = "search"

    def __init__(
        self,
        spec: SearchSpec,
        pool: ExecutorPool,
        steps: Sequence[FullPass | Halving],
        emit: Callable[[Event], None],
        save_state: StateWriter | None = None,
        trace: Trace | None = None,
    ) -> None:
        super().__init__(pool)
        self.spec = spec
        self.steps = list(steps)
        self.save_state = save_state or (lambda state: None)
        self.emit = emit
        self.trace = trace or Trace()
        self.ranking = Ranking()

    @property
    def task_seconds(self) -> dict[str, float]:
        """The executors' own time, per phase, over every task ("task": their totals)."""
        return self.trace.task_seconds

    def _work(self) -> None:
        for step in self.steps:
            match step:
                case FullPass():
                    self._full(step)
                case Halving():
                    self._halving(step)
                case _:
                    assert_never(step)

    def _full(self, step: FullPass) -> None:
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
        self.ranking.order[step.proxy.label] = best_first(scores, self.spec.descending)
        wall = time.perf_counter() - started
        self.trace.close_span(step, wall, work)
        self.trace.add(step, seconds=wall)

    def _halving(self, step: Halving) -> None:
        proxy = step.proxy
        rounds = [c for c in step.children if isinstance(c, HalvingRound)]
        test = [c for c in step.children if isinstance(c, ExtractFeatures)]
        by_name = {m.name: m for m in step.models}
        survivors = [m.name for m in step.models]
        eliminated: list[str] = []
        self.trace.ran(step)
        for k, rnd in enumerate(rounds):
            started = time.perf_counter()
            self.trace.ran(*(test if k == 0 else []), rnd, *rnd.children)
            known = {n: rnd.cached_results[n] for n in survivors if n in rnd.cached_results}
            models = [by_name[n] for n in survivors]
            scores = self._round(proxy, models, rnd.samples_per_segment, rnd, known=known)
            kept = halving.eliminate(scores, rnd.keep)
            for name in survivors:
                if name not in kept:
                    self.emit(Eliminated(name, rnd.round, scores.get(name, math.nan)))
            eliminated = [n for n in best_first(scores, False) if n not in kept] + eliminated
            survivors = kept
            top = kept[:LEADERS]
            self.emit(Leaders(tuple(top), tuple(scores.get(n, math.nan) for n in top)))
            self.save_state(
                HalvingState(
                    proxy.label, rnd.round, len(rounds), rnd.samples, kept, eliminated, scores
                )
            )
            wall = time.perf_counter() - started
            shares = self.trace.close_span(rnd, wall, [*(test if k == 0 else []), *rnd.children])
            self.trace.add(rnd, seconds=sum(shares[-len(rnd.children) :]))
        final = best_first({n: self.ranking.scores[proxy.label][n] for n in survivors}, False)
        self.ranking.order[proxy.label] = final + eliminated
        parts = [*test, *rounds]
        self.trace.add(step, seconds=sum(self.trace.seconds(p) or 0.0 for p in parts))

    def _round(
        self,
        proxy: Proxy,
        models: Sequence[ModelRecord],
        counts: Sequence[int] | None,
        span: StepBase,
        live: bool = False,
        known: Mapping[str, tuple[float, str]] | None = None,
        lookup: Sequence[CacheLookup] = (),
    ) -> dict[str, float]:
        """Score `models` on `counts` samples per segment (None: all); those in `known` come
        from the cache (read when the plan was made), the others from the executors; `live`
        sends the current top-k (Leaders) after every result (once for the cached ones: they
        arrive together)."""
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        known = known or {}
        scores = self.ranking.scores.setdefault(proxy.label, {})
        total = len(models)
        for model in models:
            if model.name in known:
                error, key = known[model.name]
                self._scored(proxy, model, error, key, True, total, live=False)
                for step in lookup:
                    self.trace.add(step, rows=1, cache_hits=1)
                if not lookup:
                    self.trace.add(span, rows=1, cache_hits=1)
        if live and any(m.name in known for m in models):
            self._leaders(proxy)  # the cached results arrived at once: one top-k for all of them
        to_run = [m for m in models if m.name not in known]
        requests = [self._request(m, proxy, counts) for m in to_run]

        def on_result(index: int, outcome: TaskOutcome) -> None:
            if isinstance(outcome, ShiftError):
                return
            score = outcome.of(ScoreResult)
            with self._lock:
                self.trace.add_task(span, outcome.phase_seconds, outcome.seconds)
                self.ranking.remaining = max(0, self.ranking.remaining - 1)
            hits = score.chunks_cached + (1 if outcome.from_cache else 0)
            self.trace.add(span, rows=1, tasks=1, cache_hits=hits)
            self._scored(
                proxy, to_run[index], score.error, score.result_key, outcome.from_cache, total, live
            )

        with self._lock:
            self.ranking.remaining += len(requests)
        if requests:
            self._submit(requests, on_result, forward_progress(self.emit, [m.name for m in to_run]))
        return {m.name: scores[m.name] for m in models}

    def _scored(
        self,
        proxy: Proxy,
        model: ModelRecord,
        error: float,
        key: str,
        from_cache: bool,
        total: int,
        live: bool,
    ) -> None:
        """A model's score is in: keep it and say so."""
        with self._lock:
            scores = self.ranking.scores.setdefault(proxy.label, {})
            scores[model.name] = error
            done = len(scores)
        self.emit(TaskFinished(key, model.name, proxy.name, error, from_cache, done, total))
        if live:
            self._leaders(proxy)

    def _leaders(self, proxy: Proxy) -> None:
        """Send the current top-k of `proxy`."""
        with self._lock:
            scores = self.ranking.scores.setdefault(proxy.label, {})
            top = best_first(scores, self.spec.descending)[:LEADERS]
            leaders = Leaders(tuple(top), tuple(scores[n] for n in top))
        self.emit(leaders)

    def _request(self, model: ModelRecord, proxy: Proxy, counts: Sequence[int] | None) -> Task:
        """The task that scores `model` (a subclass may score otherwise: `ScorerSearch`)."""
        spec, selection = self.spec, None if counts is None else tuple(counts)
        proxied = ProxySpec(proxy.name, proxy.params)
        return ScoreTask(model, spec.train.record, spec.test.record, proxied, selection)


def best_first(scores: Mapping[str, float], descending: bool) -> list[str]:
    """Names by score (NaN last), ties by name."""

    def key(name: str) -> tuple[bool, float, str]:
        value = scores[name]
        bad = math.isnan(value)
        return (bad, -value if descending and not bad else value, name)

    return sorted(scores, key=key)
