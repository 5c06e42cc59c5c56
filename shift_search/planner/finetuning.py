"""FINETUNE models WITH data [USING …]: fine-tune each model and register the results."""

from __future__ import annotations

import threading
from collections.abc import Callable

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.planner.binder import Binder
from shift_search.planner.events import Event, Note, Table, TaskFinished
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.predicates import literal
from shift_search.planner.waiting import await_work
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.proxy_names import FINETUNE
from shift_search.tasks.results import FinetuneResult
from shift_search.tasks.specs import FinetuneTask


def models_of(names: tuple[ast.ModelName, ...], binder: Binder) -> list[ModelRecord]:
    """Model names or variables holding models, in order, without repeats."""
    out: list[ModelRecord] = []
    for item in names:
        if not item.quoted and binder.session.has(item.name):
            members = binder.session.get(item.name).members
        else:
            members = (item.name,)
        out += [binder.cache.get_model(n) for n in members if n not in {m.name for m in out}]
    return out


def run_finetune(
    stmt: ast.Finetune,
    binder: Binder,
    pool: ExecutorPool,
    emit: Callable[[Event], None],
    cancelled: threading.Event,
    no_wait_seconds: float = 2.0,
) -> int:
    """Dispatch one fine-tune task per model; `test=NAME` in USING picks the evaluation data."""
    params = {k: literal(v) for k, v in stmt.params}
    test_name = params.pop("test", None)
    train = binder.dataset(stmt.dataset)
    test = binder.dataset(ast.DatasetName(str(test_name))) if test_name else train
    if not test_name:
        emit(Note("no test=… given: accuracy is measured on the training data"))
    models = models_of(stmt.models, binder)
    tasks = [
        FinetuneTask(m, train.record, test.record, params, f"{m.name}-ft-{train.label}", True)
        for m in models
    ]

    def on_result(index: int, outcome: TaskOutcome) -> None:
        if not isinstance(outcome, ShiftError):
            emit(
                TaskFinished(
                    "",
                    models[index].name,
                    FINETUNE,
                    1.0 - outcome.of(FinetuneResult).test_accuracy,
                    outcome.from_cache,
                    index + 1,
                    len(models),
                )
            )

    batch = pool.submit(tasks, on_result=on_result)
    # without WAIT: say what is done after a while; the fine-tunes go on and register themselves
    await_work(batch, cancelled, None if stmt.wait else no_wait_seconds)
    rows = []
    for index, model in enumerate(models):
        outcome = batch.results.get(index)
        if outcome is None:
            continue
        if isinstance(outcome, ShiftError):
            raise outcome
        ft = outcome.of(FinetuneResult)
        name = ft.model.name if ft.model is not None else ""
        rows.append((name, model.name, ft.test_accuracy, ft.head_accuracy_before, ft.steps))
    emit(
        Table(
            "FINETUNE",
            ("model", "parent", "test_accuracy", "head_accuracy_before", "steps"),
            tuple(rows),
            batch.remaining,
        )
    )
    return batch.remaining
