"""Task-aware ranking: proxy scores of every model on TRAINED ON / TESTED ON data, with or
without successive halving (SH) over data chunks, decided by the cost model."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shift_search.cache import keys
from shift_search.cache.records import ModelRecord
from shift_search.cache.stored import HalvingState
from shift_search.parser import ast
from shift_search.planner import costmodel, halving
from shift_search.planner.analyze import Measured
from shift_search.planner.binder import BoundDataset, bind_proxy, closest_proxies
from shift_search.planner.events import Eliminated, Event, Leaders, PlanInfo, Step, TaskFinished
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.predicates import literal
from shift_search.planner.search_cost import Stored, price_search
from shift_search.planner.waiting import BackgroundJob
from shift_search.runtime.errors import Cancelled, FailedPrecondition, NotFound, ShiftError
from shift_search.runtime.profile_inputs import PROFILE_TEXT_CHARS
from shift_search.tasks.results import Outcome, ScoreResult, TaskResult
from shift_search.tasks.specs import ProxySpec, ScoreTask

DEFAULT_LOAD_SECONDS = 2.0
DEFAULT_INFER_SECONDS = 5e-3  # per sample, when a model was never profiled
LEADERS = 5  # models in a current top-k event


@dataclass(frozen=True)
class Proxy:
    """A proxy to compute: canonical name, parameters, and how the query spelled it."""

    name: str
    params: Mapping[str, Any]
    label: str

    @classmethod
    def of(cls, spec: ast.ProxySpec) -> Proxy:
        params = {k: literal(v) for k, v in spec.params}
        return cls(spec.name, params, spec.text or spec.name)


@dataclass(frozen=True)
class SearchSpec:
    models: Sequence[ModelRecord]
    train: BoundDataset
    test: BoundDataset
    proxies: Sequence[Proxy]
    chunk: int | None  # None: AUTO
    budget: int | None  # None: AUTO
    descending: bool = False


@dataclass
class Ranking:
    """Per proxy: (model, error, samples) best first; filled in as results arrive."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    remaining: int = 0


def model_cost(record: ModelRecord, text_scale: float = 1.0) -> costmodel.ModelCost:
    """A model's load and per-sample cost; a text model's is scaled by `text_scale`, how much
    longer the query's texts are than the ones it was profiled on (`text_length_scale`)."""
    per_sample = (
        record.inference_cost / 1000.0
        if record.inference_cost is not None
        else DEFAULT_INFER_SECONDS
    )
    if record.modality == "text":
        per_sample *= text_scale
    load = record.load_cost if record.load_cost is not None else DEFAULT_LOAD_SECONDS
    return costmodel.ModelCost(load, per_sample)


MIN_TEXT_SCALE, MAX_TEXT_SCALE = 0.25, 8.0


def text_length_scale(*datasets: BoundDataset) -> float:
    """Mean text length of the datasets (weighted by size) over the profiling texts' length,
    clipped to [0.25, 8]: a transformer's work per sample grows about linearly with its tokens
    at these lengths. 1 when a dataset's text length is unknown (not described yet)."""
    lengths = [(d.size, d.record.mean_input_chars) for d in datasets]
    samples = sum(size for size, _ in lengths)
    if not samples or any(chars is None for _, chars in lengths):
        return 1.0
    mean = sum(size * (chars or 0.0) for size, chars in lengths) / samples
    return min(MAX_TEXT_SCALE, max(MIN_TEXT_SCALE, mean / PROFILE_TEXT_CHARS))


def describe_scale(scale: float) -> str:
    """EXPLAIN's line for the text-length scaling of inference costs."""
    profiled = f"{PROFILE_TEXT_CHARS:.0f}"
    return f"inference costs ×{scale:.2f}: the texts' mean length over {profiled} characters"


def plan(
    spec: SearchSpec, devices: int, stored: Stored | None = None
) -> tuple[PlanInfo, costmodel.Decision]:
    """Decide SH or not (AUTO, over every proxy) and price every step for EXPLAIN; `stored`
    is what the cache already holds (it costs nothing)."""
    scale = text_length_scale(spec.train, spec.test)
    costs = [model_cost(m, scale) for m in spec.models]
    names = [p.name for p in spec.proxies]
    n_train, n_test = spec.train.size, spec.test.size
    priced = price_search(costs, n_train, n_test, names, devices, spec.chunk, spec.budget, stored)
    decision = priced.decision
    steps = [
        Step(
            span_name(spec, proxy, est.name),
            est.detail,
            est.seconds,
            span=span_name(spec, proxy, _span_of(est.name, decision.use_sh)),
            parts=parts,
        )
        for proxy, cost in zip(spec.proxies, priced.proxies, strict=True)
        for est, parts in zip(cost.steps, cost.parts, strict=True)
    ]
    info = PlanInfo(
        strategy="task_aware",
        steps=steps,
        decisions={
            "models": str(len(spec.models)),
            "proxies": ", ".join(p.label for p in spec.proxies),
            "trained_on": f"{spec.train.label} ({n_train:,} samples)",
            "tested_on": f"{spec.test.label} ({n_test:,} samples)",
            "devices": str(devices),
            "successive_halving": str(decision.use_sh).lower(),
            "chunk": str(decision.chunk) if decision.use_sh else "-",
            "budget": str(decision.budget) if decision.use_sh else "-",
            "reason": decision.reason,
            "costs": cost_source(spec.models),
        },
    )
    if scale != 1.0:
        info.decisions["text length"] = describe_scale(scale)
    if len(spec.proxies) > 1:
        info.decisions["features"] = (
            f"embedded once, shared by the {len(spec.proxies)} proxies run one after the other; "
            "a later proxy pays its tasks and the proxy"
        )
    schedule = decision.schedule if decision.use_sh else None
    cached = stored.summary(schedule.samples[0] if schedule else n_train) if stored else ""
    if cached:
        info.decisions["cached"] = cached
    return info, decision


def span_name(spec: SearchSpec, proxy: Proxy, name: str) -> str:
    """A step or measured span of `proxy`: named after it when the search computes several."""
    return f"{proxy.label}: {name}" if len(spec.proxies) > 1 else name


def _span_of(step: str, use_sh: bool) -> str:
    """The measured span a step's time falls in: the full-data pass, or its SH round (the test
    set is embedded in round 0's tasks)."""
    if not use_sh:
        return "full data"
    return "round 0" if step == "embed test" else step


def cost_source(models: Sequence[ModelRecord]) -> str:
    unprofiled = sum(m.inference_cost is None for m in models)
    if not unprofiled:
        return "measured"
    return f"defaults for {unprofiled} model(s) not yet profiled"


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
    """One task-aware search running on the executors; emits events while it goes."""

    what = "search"

    def __init__(
        self,
        spec: SearchSpec,
        pool: ExecutorPool,
        decision: costmodel.Decision,
        emit: Callable[[Event], None],
        save_state: StateWriter | None = None,
    ) -> None:
        super().__init__(pool)
        self.spec = spec
        self.save_state = save_state or (lambda state: None)
        self.decision = decision
        self.emit = emit
        self.ranking = Ranking()
        self.measured = Measured()  # per span (full data, round k): wall and task phases
        self.task_seconds: dict[str, float] = {}  # executors' own time, per phase, all tasks
        self._finished_tasks = 0

    def _work(self) -> None:
        for proxy in self.spec.proxies:
            if self.decision.use_sh and self.decision.schedule is not None:
                self._halving(proxy, self.decision.schedule)
            else:
                self._full(proxy)

    def _full(self, proxy: Proxy) -> None:
        """Every model on all the data; the current top-k is sent as results arrive."""
        started = time.perf_counter()
        span = span_name(self.spec, proxy, "full data")
        scores = self._round(proxy, list(self.spec.models), None, span, live=True)
        self.ranking.order[proxy.label] = best_first(scores, self.spec.descending)
        self.measured.wall[span] = time.perf_counter() - started

    def _halving(self, proxy: Proxy, schedule: halving.Schedule) -> None:
        survivors = [m.name for m in self.spec.models]
        by_name = {m.name: m for m in self.spec.models}
        eliminated: list[str] = []
        for k in range(schedule.num_rounds):
            started = time.perf_counter()
            counts = halving.proportional_slices(self.spec.train.segment_sizes, schedule.samples[k])
            span = span_name(self.spec, proxy, f"round {k}")
            scores = self._round(proxy, [by_name[n] for n in survivors], counts, span)
            keep = schedule.keep_after(k) if k + 1 < schedule.num_rounds else len(survivors)
            kept = halving.eliminate(scores, keep)
            for name in survivors:
                if name not in kept:
                    self.emit(Eliminated(name, k, scores.get(name, math.nan)))
            eliminated = [n for n in best_first(scores, False) if n not in kept] + eliminated
            survivors = kept
            top = kept[:LEADERS]
            self.emit(Leaders(tuple(top), tuple(scores.get(n, math.nan) for n in top)))
            self.save_state(
                HalvingState(
                    proxy.label,
                    k,
                    schedule.num_rounds,
                    schedule.samples[k],
                    kept,
                    eliminated,
                    scores,
                )
            )
            self.measured.wall[span] = time.perf_counter() - started
        final = best_first({n: self.ranking.scores[proxy.label][n] for n in survivors}, False)
        self.ranking.order[proxy.label] = final + eliminated

    def _add_task_seconds(self, outcome: TaskResult[Outcome], span: str) -> None:
        """Sum where a task spent its time into `task_seconds` (its total under "task") and
        into its span's measurement."""
        for phase, seconds in [*outcome.phase_seconds.items(), ("task", outcome.seconds)]:
            self.task_seconds[phase] = self.task_seconds.get(phase, 0.0) + seconds
        self.measured.add_task(span, outcome.phase_seconds, outcome.seconds)

    def _round(
        self,
        proxy: Proxy,
        models: Sequence[ModelRecord],
        counts: Sequence[int] | None,
        span: str,
        live: bool = False,
    ) -> dict[str, float]:
        """Score `models` on `counts` samples per segment (None: all); `live` sends the current
        top-k (Leaders) after every result."""
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        requests = [self._request(m, proxy, counts) for m in models]
        scores = self.ranking.scores.setdefault(proxy.label, {})
        total = len(requests)

        def on_result(index: int, outcome: TaskOutcome) -> None:
            model = models[index]
            if isinstance(outcome, ShiftError):
                return
            score = outcome.of(ScoreResult)
            with self._lock:
                scores[model.name] = score.error
                self._finished_tasks += 1
                self._add_task_seconds(outcome, span)
                self.ranking.remaining = max(0, self.ranking.remaining - 1)
                top = best_first(scores, self.spec.descending)[:LEADERS]
                leaders = Leaders(tuple(top), tuple(scores[n] for n in top))
            self.emit(
                TaskFinished(
                    task_id=score.result_key,
                    model=model.name,
                    kind=proxy.name,
                    error=score.error,
                    from_cache=outcome.from_cache,
                    done=len(scores),
                    total=total,
                )
            )
            if live:
                self.emit(leaders)

        with self._lock:
            self.ranking.remaining += total
        self._submit(requests, on_result)
        return {m.name: scores[m.name] for m in models}

    def _request(self, model: ModelRecord, proxy: Proxy, counts: Sequence[int] | None) -> ScoreTask:
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


def proxies_of(select: ast.Select) -> list[Proxy]:
    """The proxies a task-aware SELECT asks for (CLASSIFIED BY, or written in ORDER BY), each
    bound: NotFound with the closest names for one SHiFT does not compute."""
    proxies = []
    if select.order is not None and isinstance(select.order.key, ast.ProxyOrdering):
        proxies = [Proxy.of(select.order.key.proxy)]
    elif select.classified_by:
        proxies = [Proxy.of(p) for p in select.classified_by]
    for proxy in proxies:
        bind_proxy(proxy.name, proxy.label)
    if proxies:
        return proxies
    key = select.order.key if select.order is not None else None
    if isinstance(key, ast.Column) and (near := closest_proxies(key.name)):
        # `ORDER BY CosinNN`: the parser reads an unknown word as a column; here it is a proxy
        raise NotFound(f"unknown proxy {key.name!r} in ORDER BY", near)
    raise FailedPrecondition(
        'a task-aware ranking needs a proxy: CLASSIFIED BY ["Euclidean NN"] or ORDER BY CosineNN'
    )
