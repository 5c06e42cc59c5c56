"""Plans of the strategies that are not one task-aware search, priced as they run: BENCHMARK
(one full-data search per benchmark pair, then an aggregate), ORDER BY FineTune (successive
halving over fine-tuning epochs) and FINETUNE (one fine-tuning task per model)."""

from __future__ import annotations

from collections.abc import Sequence

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.planner import costmodel
from shift_search.planner.binder import Binder, BoundDataset
from shift_search.planner.events import PlanInfo, Step
from shift_search.planner.finetune_cost import (
    FINETUNE_FACTOR,
    finetune_steps,
    halving_steps,
    survivors,
)
from shift_search.planner.finetune_ranking import DEFAULT_EPOCHS, epoch_schedule
from shift_search.planner.finetuning import models_of
from shift_search.planner.predicates import literal
from shift_search.planner.search_cost import Stored
from shift_search.planner.task_aware import Proxy, cost_source, model_cost, text_length_scale

FINETUNE_COST = (
    f"{FINETUNE_FACTOR:g}× the measured inference cost per training sample (forward + backward)"
)


def benchmark_plan(
    models: Sequence[ModelRecord],
    proxy: Proxy,
    pairs: Sequence[tuple[BoundDataset, BoundDataset]],
    func: str,
    devices: int,
    stored: Sequence[Stored] | None = None,
) -> PlanInfo:
    """One priced full-data search per (train, test) pair, then `func` per model. A dataset
    embedded for an earlier pair is cached for the later ones (features are keyed by content)."""
    costs = [model_cost(m, text_length_scale(*(d for pair in pairs for d in pair))) for m in models]
    steps: list[Step] = []
    seen: set[str] = set()
    for j, (train, test) in enumerate(pairs, 1):
        cached = stored[j - 1].work(0, train.size) if stored else None
        work = [
            costmodel.CachedWork(
                train.size if train.record.fingerprint in seen else w.train_samples,
                test.size if test.record.fingerprint in seen else w.test_samples,
                w.proxy_done,
            )
            for w in cached or [costmodel.CachedWork()] * len(models)
        ]
        args = (costs, train.size, test.size, proxy.name, devices, None, work)
        pair = f"pair {j}"
        estimates = costmodel.estimate_steps(*args)
        for est, parts in zip(estimates, costmodel.estimate_parts(*args), strict=True):
            steps.append(
                Step(f"{pair}: {est.name}", est.detail, est.seconds, span=pair, parts=parts)
            )
        seen |= {train.record.fingerprint, test.record.fingerprint}
    steps.append(
        Step("aggregate", f"{func}(err) of {len(pairs)} errors per model, then rank; no GPU work")
    )
    decisions = {
        "models": str(len(models)),
        "proxy": proxy.label,
        "benchmark": "; ".join(
            f"pair {j}: {train.label} ({train.size:,}) → {test.label} ({test.size:,})"
            for j, (train, test) in enumerate(pairs, 1)
        ),
        "aggregate": f"{func}(err) per model",
        "devices": str(devices),
        "successive_halving": "false",
        "reason": "BENCHMARK runs one full-data search per benchmark pair",
        "costs": cost_source(models),
    }
    return PlanInfo("benchmark", steps, decisions)


def finetune_ranking_plan(
    models: Sequence[ModelRecord],
    train: BoundDataset,
    test: BoundDataset,
    proxy: Proxy,
    devices: int,
) -> PlanInfo:
    """ORDER BY FineTune: a step per halving round, priced from the epoch schedule."""
    epochs = int(proxy.params.get("epochs", DEFAULT_EPOCHS))
    schedule = epoch_schedule(len(models), epochs)
    costs = [model_cost(m, text_length_scale(train, test)) for m in models]
    estimates = halving_steps(costs, train.size, test.size, schedule, devices)
    alive = survivors(len(models), len(schedule))
    decisions = {
        "models": str(len(models)),
        "proxy": proxy.label,
        "trained_on": f"{train.label} ({train.size:,} samples)",
        "tested_on": f"{test.label} ({test.size:,} samples)",
        "devices": str(devices),
        "successive_halving": "over fine-tuning epochs",
        "rounds": str(len(schedule)),
        "survivors": " → ".join(str(s) for s in alive),
        "epochs": " → ".join(str(e) for e in schedule),
        "fine-tune cost": FINETUNE_COST,
        "costs": cost_source(models),
    }
    steps = [
        Step(s.name, s.detail, s.seconds, tasks=n) for s, n in zip(estimates, alive, strict=True)
    ]
    return PlanInfo("finetune_ranking", steps, decisions)


def finetune_plan(stmt: ast.Finetune, binder: Binder, devices: int) -> PlanInfo:
    """FINETUNE: one fine-tuning task per model, on all the data for `epochs` epochs."""
    params = {k: literal(v) for k, v in stmt.params}
    test_name = params.pop("test", None)
    train = binder.dataset(stmt.dataset)
    test = binder.dataset(ast.DatasetName(str(test_name))) if test_name else train
    models = models_of(stmt.models, binder)
    epochs = int(params.get("epochs", DEFAULT_EPOCHS))
    costs = [model_cost(m, text_length_scale(train, test)) for m in models]
    estimates = finetune_steps(costs, train.size, test.size, epochs, devices)
    tested = f"{test.label} ({test.size:,} samples)" if test_name else "the training data"
    decisions = {
        "models": ", ".join(m.name for m in models),
        "trained_on": f"{train.label} ({train.size:,} samples)",
        "tested_on": tested,
        "epochs": str(epochs),
        "devices": str(devices),
        "registers": f"{len(models)} new model(s), finetuned = true",
        "fine-tune cost": FINETUNE_COST,
        "costs": cost_source(models),
    }
    steps = [Step(s.name, s.detail, s.seconds) for s in estimates]
    return PlanInfo("finetune", steps, decisions)
