"""The only place the planner's plans and events meet protobuf, and the JSON view of a plan
(`EXPLAIN JSON`, `shift query --json`), made from the protobuf so both have one shape."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, assert_never

from shift_search.planner.events import (
    Eliminated,
    Event,
    Finished,
    Leaders,
    Note,
    Planned,
    Progress,
    Table,
    TaskFinished,
)
from shift_search.planner.executors import QueueStatus
from shift_search.planner.explain_text import describe, render, tasks_of
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import (
    Aggregate,
    Auto,
    Benchmark,
    CacheLookup,
    Cascade,
    CascadeStage,
    DatasetSimilarity,
    Dispatch,
    DistanceMatrix,
    Evaluate,
    ExtractFeatures,
    Finetune,
    FinetuneHalving,
    FinetuneRound,
    FullPass,
    Halving,
    HalvingRound,
    LoadModels,
    MetadataScan,
    MetaLearned,
    MetaShortlist,
    Plan,
    Profile,
    ProxyScore,
    Rank,
    RankByScorer,
    ScorerPass,
    ScorerScore,
    SetOperation,
    SimilarDatasets,
    SourcePredictions,
    Step,
    StrategyChoice,
    TaskEmbedding,
    Train,
    VariableRead,
)
from shift_search.planner.tables import NAME_COLUMN
from shift_search.proto.v1 import query_pb2
from shift_search.runtime.values import value_from_proto, value_to_proto


def plan_to_proto(plan: Plan, trace: Trace | None = None) -> query_pb2.Plan:
    msg = query_pb2.Plan(
        strategy=plan.strategy,
        estimated_seconds=plan.estimated_seconds,
        decisions=dict(plan.decisions),
        text=render(plan, trace),
    )
    msg.steps.extend(step_to_proto(step, trace) for step in plan.steps)
    measured = trace.measured_total(plan) if trace is not None else None
    if measured is not None:
        msg.measured_seconds = measured
    return msg


def step_to_proto(step: Step, trace: Trace | None = None) -> query_pb2.PlanStep:
    name, detail = describe(step)
    msg = query_pb2.PlanStep(
        id=step.id,
        kind=kind_of(step),
        name=name,
        detail=detail,
        estimated_seconds=step.estimate.seconds,
        estimated_parts=dict(step.estimate.parts),
        cached=step.cached,
        tasks=tasks_of(step),
        fields={k: value_to_proto(v) for k, v in fields_of(step).items()},
    )
    msg.children.extend(step_to_proto(child, trace) for child in step.children)
    measured = trace.measured.get(step.id) if trace is not None else None
    if measured is not None:
        msg.measured_seconds = measured.seconds
        msg.measured.CopyFrom(
            query_pb2.StepMeasurement(
                seconds=measured.seconds,
                rows=measured.rows,
                cache_hits=measured.cache_hits,
                tasks=measured.tasks,
            )
        )
    return msg


def kind_of(step: Step) -> str:
    """The step's kind in snake case (`HalvingRound` → `halving_round`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(step).__name__).lower()


def _names(models: Any) -> list[str]:
    return [m.name for m in models]


def fields_of(step: Step) -> dict[str, Any]:
    """A step's own fields as plain values (names for models, labels for datasets)."""
    match step:
        case MetadataScan():
            order = step.ordering.key if step.ordering is not None else None
            return {
                "table": step.table,
                "table_kind": step.kind,
                "role": step.role,
                "rows": len(step.rows),
                "total": step.total,
                "names": [str(r[NAME_COLUMN[step.kind]]) for r in step.rows],
                "order_by": getattr(order, "name", None),
                "limit": step.limit,
                "group_by": list(step.group_by),
            }
        case Profile():
            return {"models": _names(step.models)}
        case Rank():
            spec = step.spec
            return {
                "proxies": [p.label for p in spec.proxies],
                "descending": spec.descending,
                "limit": step.limit,
                "trained_on": spec.train.label,
                "tested_on": spec.test.label,
                "models": _names(spec.models),
                "wait": step.wait,
            }
        case FullPass():
            return {
                "proxy": step.proxy.label,
                "models": _names(step.models),
                "to_run": _names(step.to_run),
                "trained_on": step.train.label,
                "tested_on": step.test.label,
                "train_samples": step.train.size,
                "test_samples": step.test.size,
                "label": step.label,
                **({"survivors": step.survivors} if step.survivors else {}),
            }
        case Halving():
            return {
                "proxy": step.proxy.label,
                "models": _names(step.models),
                "chunk": step.chunk,
                "budget": step.budget,
                "trained_on": step.train.label,
                "tested_on": step.test.label,
            }
        case HalvingRound():
            return {
                "round": step.round,
                "survivors": step.survivors,
                "pulls_each": step.pulls,
                "budget_spent": step.budget_spent,
                "samples": step.samples,
                "new_samples": step.new_samples,
                "samples_per_segment": list(step.samples_per_segment),
                "keep": step.keep,
                "cached_results": sorted(step.cached_results),
            }
        case CacheLookup():
            return {
                "proxy": step.proxy.label,
                "models": [m.name for m, _, _ in step.results],
                "errors": [error for _, error, _ in step.results],
                "train_samples": step.train_samples,
                "test_samples": step.test_samples,
            }
        case Dispatch():
            return {"tasks": step.tasks, "devices": step.devices}
        case LoadModels():
            return {"loads": step.loads}
        case ExtractFeatures():
            return {
                "split": step.split,
                "dataset": step.dataset,
                "ranges": [list(r) for r in step.ranges],
                "models": step.models,
                "uncached_samples": step.uncached_samples,
            }
        case ProxyScore():
            return {"proxy": step.proxy.label, "models": step.models, "test": step.test_samples}
        case MetaLearned():
            spec = step.spec
            return {
                "proxies": [p.label for p in spec.proxies],
                "limit": step.limit,
                "trained_on": spec.train.label,
                "tested_on": spec.test.label,
                "models": _names(spec.models),
                "wait": step.wait,
            }
        case SimilarDatasets():
            return {
                "target": step.target,
                "category": step.category,
                "similarity": step.similarity,
                "k": step.k,
                "benchmark_datasets": step.settings,
                "neighbours": [name for name, _ in step.neighbours],
                "similarities": [score for _, score in step.neighbours],
                "decided": step.decided,
                "probe": step.probe,
                "left_out": list(step.left_out),
            }
        case MetaShortlist():
            return {
                "candidates": step.candidates,
                "matched": step.matched,
                "ranked": [name for name, _, _ in step.ranked],
                "scores": [score for _, score, _ in step.ranked],
                "top": step.top,
                "chosen": list(step.chosen),
                "decided": step.decided,
            }
        case Benchmark():
            return {
                "proxy": step.proxy.label,
                "aggregate": step.func,
                "descending": step.descending,
                "limit": step.limit,
                "models": _names(step.models),
                "pairs": [f"{train.label} → {test.label}" for train, test in step.pairs],
            }
        case Aggregate():
            return {"aggregate": step.func, "pairs": step.pairs}
        case FinetuneHalving():
            rounds = [c for c in step.children if isinstance(c, FinetuneRound)]
            return {
                "proxy": step.proxy.label,
                "models": _names(step.models),
                "trained_on": step.train.label,
                "tested_on": step.test.label,
                "epochs": [r.epochs for r in rounds],
                "limit": step.limit,
                **({"survivors": step.survivors} if step.survivors else {}),
            }
        case FinetuneRound():
            return {
                "round": step.round,
                "survivors": step.survivors,
                "epochs": step.epochs,
                "keep": step.keep,
                "train_samples": step.train_samples,
                "test_samples": step.test_samples,
            }
        case Finetune():
            return {
                "models": _names(step.models),
                "trained_on": step.train.label,
                "tested_on": step.test.label if step.test_given else None,
                "epochs": step.epochs,
                "params": [f"{k}={v}" for k, v in step.params.items()],
            }
        case Train():
            return {
                "models": step.models,
                "epochs": step.epochs,
                "samples": step.samples,
                "factor": step.factor,
            }
        case Evaluate():
            return {"models": step.models, "samples": step.samples}
        case RankByScorer():
            spec = step.spec
            return {
                "scorer": step.scorer.name,
                "plugin": step.scorer.plugin or None,
                "limit": step.limit,
                "trained_on": spec.train.label,
                "tested_on": spec.test.label if step.tested else None,
                "models": _names(spec.models),
                "wait": step.wait,
            }
        case ScorerPass():
            return {
                "scorer": step.proxy.name,
                "models": _names(step.models),
                "to_run": _names(step.to_run),
                "trained_on": step.train.label,
                "tested_on": step.test.label if step.test is not None else None,
                "train_samples": step.train.size,
            }
        case SourcePredictions():
            return {"dataset": step.dataset, "samples": step.samples, "models": step.models}
        case ScorerScore():
            return {"scorer": step.proxy.name, "models": step.models, "samples": step.samples}
        case DatasetSimilarity():
            return {
                "probe": step.probe.name,
                "datasets": [d.label for d in step.datasets],
                "params": [f"{k}={v}" for k, v in step.params.items()],
            }
        case TaskEmbedding():
            return {
                "dataset": step.dataset.label,
                "fingerprint": step.dataset.record.fingerprint,
                "samples": step.samples,
            }
        case DistanceMatrix():
            return {"datasets": step.datasets}
        case Cascade():
            spec = step.spec
            return {
                "stages": [p.label for p in step.stages],
                "keep": list(step.keep),
                "prior": step.prior.name if step.prior is not None else None,
                "limit": step.limit,
                "trained_on": spec.train.label,
                "tested_on": spec.test.label,
                "models": _names(spec.models),
                "wait": step.wait,
            }
        case CascadeStage():
            return {
                "stage": step.index,
                "proxy": step.proxy.label,
                "candidates": step.candidates,
                "keep": step.keep,
                "joins": step.joins,
                "models": list(step.models),
            }
        case Auto():
            spec = step.spec
            return {
                "evidence": [p.label for p in spec.proxies],
                "params": [f"{k}={v}" for k, v in step.params.items()],
                "prior": step.prior.name if step.prior is not None else None,
                "limit": step.limit,
                "trained_on": spec.train.label,
                "tested_on": spec.test.label,
                "models": _names(spec.models),
                "wait": step.wait,
            }
        case StrategyChoice():
            return {
                "chosen": step.chosen,
                "returns": list(step.returns),
                "reason": step.reason,
                "strategies": [e.name for e in step.estimates],
                "available": [e.available for e in step.estimates],
                "estimated_seconds": [round(e.seconds, 3) for e in step.estimates],
                "expected_regret": [
                    None if e.expected_regret is None else round(e.expected_regret, 3)
                    for e in step.estimates
                ],
            }
        case SetOperation():
            return {"op": step.op}
        case VariableRead():
            return {"variable": step.name}
        case _:
            assert_never(step)


def plan_json(plan: Plan, trace: Trace | None = None) -> dict[str, Any]:
    """The plan as JSON (EXPLAIN JSON): the shape of `plan_proto_json`."""
    return plan_proto_json(plan_to_proto(plan, trace))


def plan_proto_json(msg: query_pb2.Plan) -> dict[str, Any]:
    """A Plan message as plain JSON: strategy, decisions, estimate, steps (each a tree)."""
    out: dict[str, Any] = {
        "strategy": msg.strategy,
        "decisions": dict(msg.decisions),
        "estimated_seconds": msg.estimated_seconds,
        "steps": [_step_json(s) for s in msg.steps],
    }
    if msg.measured_seconds:
        out["measured_seconds"] = msg.measured_seconds
    return out


def _step_json(msg: query_pb2.PlanStep) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": msg.id,
        "kind": msg.kind,
        "name": msg.name,
        "detail": msg.detail,
        "estimate": {"seconds": msg.estimated_seconds, "parts": dict(msg.estimated_parts)},
        "cached": msg.cached,
        "fields": {k: value_from_proto(v) for k, v in sorted(msg.fields.items())},
        "children": [_step_json(c) for c in msg.children],
    }
    if msg.HasField("measured"):
        m = msg.measured
        out["measured"] = {
            "seconds": m.seconds,
            "rows": m.rows,
            "cache_hits": m.cache_hits,
            "tasks": m.tasks,
        }
    return out


def event_to_proto(statement: int, event: Event) -> query_pb2.QueryEvent:
    out = query_pb2.QueryEvent(statement=statement)
    match event:
        case Planned(plan=plan, trace=None):
            out.planned.CopyFrom(_announced(plan))
        case Planned(plan=plan, trace=trace):
            out.planned.CopyFrom(plan_to_proto(plan, trace))
        case TaskFinished():
            out.task_done.CopyFrom(
                query_pb2.TaskDone(
                    task_id=event.task_id,
                    model=event.model,
                    kind=event.kind,
                    error=event.error,
                    from_cache=event.from_cache,
                    done=event.done,
                    total=event.total,
                )
            )
        case Progress():
            out.progress.CopyFrom(
                query_pb2.TaskProgressEvent(
                    task_id=event.task_id,
                    model=event.model,
                    stage=event.stage,
                    done=event.done,
                    total=event.total,
                    message=event.message,
                    executor=event.executor,
                )
            )
        case Eliminated(model=model, round=rnd, error=error):
            out.eliminated.CopyFrom(query_pb2.ModelEliminated(model=model, round=rnd, error=error))
        case Leaders(models=models, errors=errors):
            out.top_k.CopyFrom(query_pb2.TopK(models=models, errors=errors))
        case Table():
            table = query_pb2.ResultTable(
                title=event.title, columns=event.columns, remaining_tasks=event.remaining_tasks
            )
            for row in event.rows:
                table.rows.add(cells=[value_to_proto(c) for c in row])
            out.result.CopyFrom(table)
        case Note(text=text):
            out.message.CopyFrom(query_pb2.Message(text=text))
        case Finished(remaining_tasks=remaining, seconds=seconds, executed_steps=executed):
            out.finished.CopyFrom(
                query_pb2.StatementFinished(
                    remaining_tasks=remaining, seconds=seconds, executed_steps=executed
                )
            )
        case _:
            assert_never(event)
    return out


_ANNOUNCED_KEPT = 64
_announced_plans: OrderedDict[int, tuple[Plan, query_pb2.Plan]] = OrderedDict()
_announced_lock = threading.Lock()


def _announced(plan: Plan) -> query_pb2.Plan:
    """`plan_to_proto(plan)`, kept for the last plans announced (a plan is immutable, and the
    planner hands the same one to every run of a statement it has not planned again); keyed
    by identity, the plan held with it so that its id is not reused meanwhile."""
    with _announced_lock:
        found = _announced_plans.get(id(plan))
        if found is not None and found[0] is plan:
            _announced_plans.move_to_end(id(plan))
            return found[1]
    msg = plan_to_proto(plan)
    with _announced_lock:
        _announced_plans[id(plan)] = (plan, msg)
        while len(_announced_plans) > _ANNOUNCED_KEPT:
            _announced_plans.popitem(last=False)
    return msg


def status_to_proto(status: QueueStatus, now: float) -> query_pb2.GetStatusResponse:
    """`shift status`: the queue and its live executors (heartbeat ages against `now`, seconds
    on the queue's clock)."""
    stats = status.stats
    return query_pb2.GetStatusResponse(
        queue=query_pb2.QueueState(
            address=status.address,
            waiting=stats.waiting,
            running=stats.running,
            active_queries=stats.active_queries,
        ),
        executors=[
            query_pb2.ExecutorState(
                executor_id=e.executor_id,
                device=e.device,
                slots=e.slots,
                models=e.models,
                running_tasks=e.running,
                heartbeat_age_seconds=max(0.0, now - e.heartbeat_at),
            )
            for e in status.executors
        ],
    )
