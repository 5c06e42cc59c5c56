"""Task-aware ranking: proxy scores of every model on TRAINED ON / TESTED ON data, with or
without successive halving (SH) over data chunks, decided by the cost model."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.cache.convert import dataset_to_proto, model_to_proto
from services.cache.records import ModelRecord
from services.parser import ast
from services.planner import costmodel, halving
from services.planner.binder import BoundDataset
from services.planner.events import Eliminated, Event, Leaders, PlanInfo, Step, TaskFinished
from services.planner.executors import Batch, ExecutorPool
from services.planner.predicates import literal
from services.runtime.errors import Cancelled, FailedPrecondition, ShiftError
from services.runtime.values import params_to_proto
from shift.v1 import executor_pb2

STORAGE_CHUNK = 1024
DEFAULT_LOAD_SECONDS = 2.0
DEFAULT_INFER_SECONDS = 5e-3  # per sample, when a model was never profiled


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


def model_cost(record: ModelRecord) -> costmodel.ModelCost:
    per_sample = (
        record.inference_cost / 1000.0
        if record.inference_cost is not None
        else DEFAULT_INFER_SECONDS
    )
    load = record.load_cost if record.load_cost is not None else DEFAULT_LOAD_SECONDS
    return costmodel.ModelCost(load, per_sample)


def plan(spec: SearchSpec, devices: int) -> tuple[PlanInfo, costmodel.Decision]:
    """Decide SH or not (AUTO) and price every step for EXPLAIN."""
    costs = [model_cost(m) for m in spec.models]
    proxy = spec.proxies[0].name
    decision = costmodel.decide(
        costs,
        spec.train.size,
        spec.test.size,
        proxy,
        devices,
        chunk=spec.chunk,
        budget=spec.budget,
    )
    schedule = decision.schedule if decision.use_sh else None
    steps = costmodel.estimate_steps(
        costs, spec.train.size, spec.test.size, proxy, devices, schedule
    )
    info = PlanInfo(
        strategy="task_aware",
        steps=[Step(s.name, s.detail, s.seconds) for s in steps],
        decisions={
            "models": str(len(spec.models)),
            "proxies": ", ".join(p.label for p in spec.proxies),
            "trained_on": f"{spec.train.label} ({spec.train.size:,} samples)",
            "tested_on": f"{spec.test.label} ({spec.test.size:,} samples)",
            "devices": str(devices),
            "successive_halving": str(decision.use_sh).lower(),
            "chunk": str(decision.chunk) if decision.use_sh else "-",
            "budget": str(decision.budget) if decision.use_sh else "-",
            "reason": decision.reason,
            "costs": _cost_source(spec.models),
        },
    )
    return info, decision


def _cost_source(models: Sequence[ModelRecord]) -> str:
    unprofiled = sum(m.inference_cost is None for m in models)
    if not unprofiled:
        return "measured"
    return f"defaults for {unprofiled} model(s) not yet profiled"


StateWriter = Callable[[dict[str, Any]], None]


def run_id(spec: SearchSpec) -> str:
    """A successive-halving run named by what it searches."""
    body = {
        "models": sorted(m.key for m in spec.models),
        "train": spec.train.record.fingerprint,
        "test": spec.test.record.fingerprint,
        "proxies": [(p.name, sorted(p.params.items())) for p in spec.proxies],
        "chunk": spec.chunk,
        "budget": spec.budget,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


class Search:
    """One task-aware search running on the executors; emits events while it goes."""

    def __init__(
        self,
        spec: SearchSpec,
        pool: ExecutorPool,
        decision: costmodel.Decision,
        emit: Callable[[Event], None],
        save_state: StateWriter | None = None,
    ) -> None:
        self.spec = spec
        self.save_state = save_state or (lambda state: None)
        self.pool = pool
        self.decision = decision
        self.emit = emit
        self.ranking = Ranking()
        self.done = threading.Event()
        self.error: ShiftError | None = None
        self.measured: dict[str, float] = {}
        self.task_seconds: dict[str, float] = {}  # executors' own time, per phase, all tasks
        self._cancelled = threading.Event()
        self._batches: list[Batch] = []
        self._lock = threading.Lock()
        self._finished_tasks = 0

    def start(self) -> Search:
        threading.Thread(target=self._run, name="search", daemon=True).start()
        return self

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            batches = list(self._batches)
        for batch in batches:
            batch.cancel()

    def _run(self) -> None:
        try:
            for proxy in self.spec.proxies:
                if self.decision.use_sh and self.decision.schedule is not None:
                    self._halving(proxy, self.decision.schedule)
                else:
                    self._full(proxy)
        except ShiftError as err:
            self.error = err
        except Exception as err:  # keep the planner alive; report the failure to the client
            self.error = ShiftError(f"search failed: {type(err).__name__}: {err}")
        finally:
            self.done.set()

    def _full(self, proxy: Proxy) -> None:
        started = time.perf_counter()
        models = list(self.spec.models)
        scores = self._round(proxy, models, None)
        self.ranking.order[proxy.label] = best_first(scores, self.spec.descending)
        self.measured["full data"] = time.perf_counter() - started

    def _halving(self, proxy: Proxy, schedule: halving.Schedule) -> None:
        survivors = [m.name for m in self.spec.models]
        by_name = {m.name: m for m in self.spec.models}
        eliminated: list[str] = []
        for k in range(schedule.num_rounds):
            started = time.perf_counter()
            counts = halving.proportional_slices(self.spec.train.segment_sizes, schedule.samples[k])
            scores = self._round(proxy, [by_name[n] for n in survivors], counts)
            keep = schedule.keep_after(k) if k + 1 < schedule.num_rounds else len(survivors)
            kept = halving.eliminate(scores, keep)
            for name in survivors:
                if name not in kept:
                    self.emit(Eliminated(name, k, scores.get(name, math.nan)))
            eliminated = [n for n in best_first(scores, False) if n not in kept] + eliminated
            survivors = kept
            self.emit(Leaders(tuple(kept[:5]), tuple(scores.get(n, math.nan) for n in kept[:5])))
            self.save_state(
                {
                    "proxy": proxy.label,
                    "round": k,
                    "rounds": schedule.num_rounds,
                    "samples": schedule.samples[k],
                    "survivors": kept,
                    "eliminated": eliminated,
                    "scores": scores,
                }
            )
            self.measured[f"round {k}"] = time.perf_counter() - started
        final = best_first({n: self.ranking.scores[proxy.label][n] for n in survivors}, False)
        self.ranking.order[proxy.label] = final + eliminated

    def _add_task_seconds(self, outcome: executor_pb2.TaskResult) -> None:
        """Sum where a task spent its time into `task_seconds` (its total under "task")."""
        for phase, seconds in [*outcome.phase_seconds.items(), ("task", outcome.seconds)]:
            self.task_seconds[phase] = self.task_seconds.get(phase, 0.0) + seconds

    def _round(
        self, proxy: Proxy, models: Sequence[ModelRecord], counts: Sequence[int] | None
    ) -> dict[str, float]:
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        requests = [self._request(m, proxy, counts) for m in models]
        scores = self.ranking.scores.setdefault(proxy.label, {})
        total = len(requests)

        def on_result(index: int, outcome: executor_pb2.TaskResult | ShiftError) -> None:
            model = models[index]
            if isinstance(outcome, ShiftError):
                return
            scores[model.name] = outcome.score.error
            with self._lock:
                self._finished_tasks += 1
                self._add_task_seconds(outcome)
                self.ranking.remaining = max(0, self.ranking.remaining - 1)
            self.emit(
                TaskFinished(
                    task_id=outcome.score.result_key,
                    model=model.name,
                    kind=proxy.name,
                    error=outcome.score.error,
                    from_cache=outcome.from_cache,
                    done=len(scores),
                    total=total,
                )
            )

        with self._lock:
            self.ranking.remaining += total
        batch = self.pool.submit(requests, on_result=on_result)
        with self._lock:
            self._batches.append(batch)
        batch.wait()
        failures = [r for r in batch.results.values() if isinstance(r, ShiftError)]
        if failures:
            raise failures[0]
        return {m.name: scores[m.name] for m in models}

    def _request(
        self, model: ModelRecord, proxy: Proxy, counts: Sequence[int] | None
    ) -> executor_pb2.RunTaskRequest:
        task = executor_pb2.ScoreTask(
            model=model_to_proto(model),
            train=dataset_to_proto(self.spec.train.record),
            test=dataset_to_proto(self.spec.test.record),
            proxy=executor_pb2.ProxySpec(name=proxy.name, params=params_to_proto(proxy.params)),
            chunk_size=STORAGE_CHUNK,
        )
        if counts is not None:
            task.selection.samples_per_segment.extend(counts)
        return executor_pb2.RunTaskRequest(score=task)


def best_first(scores: Mapping[str, float], descending: bool) -> list[str]:
    """Names by score (NaN last), ties by name."""

    def key(name: str) -> tuple[bool, float, str]:
        value = scores[name]
        bad = math.isnan(value)
        return (bad, -value if descending and not bad else value, name)

    return sorted(scores, key=key)


def proxies_of(select: ast.Select) -> list[Proxy]:
    """The proxies a task-aware SELECT asks for (CLASSIFIED BY, or written in ORDER BY)."""
    if select.order is not None and isinstance(select.order.key, ast.ProxyOrdering):
        return [Proxy.of(select.order.key.proxy)]
    if select.classified_by:
        return [Proxy.of(p) for p in select.classified_by]
    raise FailedPrecondition(
        'a task-aware ranking needs a proxy: CLASSIFIED BY ["Euclidean NN"] or ORDER BY CosineNN'
    )
