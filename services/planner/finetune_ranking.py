"""ORDER BY FineTune(...): rank by real fine-tuned accuracy, with successive halving over
fine-tuning epochs (the paper had none): every model gets a few epochs, the better half goes on
with twice as many, until the survivors train for the full `epochs`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from services.cache.convert import dataset_to_proto, model_to_proto
from services.cache.records import ModelRecord
from services.planner import halving
from services.planner.binder import BoundDataset
from services.planner.events import Eliminated, Event, Leaders, TaskFinished
from services.planner.executors import ExecutorPool
from services.planner.statements import QueryResult
from services.planner.task_aware import Proxy, best_first
from services.runtime.errors import ShiftError
from services.runtime.values import params_to_proto
from shift.v1 import executor_pb2

DEFAULT_EPOCHS = 3


def epoch_schedule(num_models: int, epochs: int) -> list[int]:
    """Epochs per round: halving rounds end at the full `epochs`, each round doubling."""
    rounds = halving.rounds(num_models) if num_models > 1 else 1
    return [max(1, math.ceil(epochs / 2 ** (rounds - 1 - k))) for k in range(rounds)]


def rank_by_finetuning(
    models: Sequence[ModelRecord],
    train: BoundDataset,
    test: BoundDataset,
    proxy: Proxy,
    pool: ExecutorPool,
    emit: Callable[[Event], None],
    limit: int | None,
) -> QueryResult:
    params = dict(proxy.params)
    epochs = int(params.pop("epochs", DEFAULT_EPOCHS))
    survivors = list(models)
    errors: dict[str, float] = {}
    eliminated: list[str] = []
    schedule = epoch_schedule(len(models), epochs)
    for k, round_epochs in enumerate(schedule):
        scores = _round(survivors, train, test, {**params, "epochs": round_epochs}, pool, emit)
        errors.update(scores)
        keep = math.ceil(len(survivors) / 2) if k + 1 < len(schedule) else len(survivors)
        kept = halving.eliminate(scores, keep)
        for name in best_first(scores, False):
            if name not in kept:
                emit(Eliminated(name, k, scores[name]))
        eliminated = [n for n in best_first(scores, False) if n not in kept] + eliminated
        survivors = [m for m in survivors if m.name in kept]
        emit(Leaders(tuple(kept[:5]), tuple(scores[n] for n in kept[:5])))
    order = best_first({m.name: errors[m.name] for m in survivors}, False) + eliminated
    if limit is not None:
        order = order[:limit]
    rows = tuple((name, proxy.label, errors[name]) for name in order)
    return QueryResult("models", tuple(order), ("name", "proxy", "error"), rows)


def _round(
    models: Sequence[ModelRecord],
    train: BoundDataset,
    test: BoundDataset,
    params: dict[str, object],
    pool: ExecutorPool,
    emit: Callable[[Event], None],
) -> dict[str, float]:
    requests = [
        executor_pb2.RunTaskRequest(
            finetune=executor_pb2.FinetuneTask(
                model=model_to_proto(m),
                train=dataset_to_proto(train.record),
                test=dataset_to_proto(test.record),
                params=params_to_proto(params),
                register=False,
            )
        )
        for m in models
    ]
    batch = pool.submit(requests)
    batch.wait()
    scores = {}
    for index, model in enumerate(models):
        outcome = batch.results[index]
        if isinstance(outcome, ShiftError):
            raise outcome
        scores[model.name] = 1.0 - outcome.finetune.test_accuracy
        emit(
            TaskFinished(
                "",
                model.name,
                "finetune",
                scores[model.name],
                outcome.from_cache,
                index + 1,
                len(models),
            )
        )
    return scores
