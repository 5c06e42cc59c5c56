"""FINETUNE models WITH data [USING …]: fine-tune each model of the plan's `physical.Finetune`
step and register the results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shift_search.cache.records import ModelRecord
from shift_search.planner import physical
from shift_search.planner.events import Event, Note, Table, TaskFinished
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.measurements import Trace, split
from shift_search.planner.waiting import await_work, forward_progress
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.proxy_names import FINETUNE
from shift_search.tasks.results import FinetuneResult
from shift_search.tasks.specs import FinetuneTask


def finetune_task(model: ModelRecord, step: physical.Finetune) -> FinetuneTask:
    """The executor task that fine-tunes one model of the step and registers the result."""
    train, test = step.train, step.test.record
    output = f"{model.name}-ft-{train.label}"
    return FinetuneTask(model, train.record, test, step.params, output, register=True)


def run_finetune(
    step: physical.Finetune,
    pool: ExecutorPool,
    emit: Callable[[Event], None],
    cancelled: threading.Event,
    wait: bool,
    no_wait_seconds: float,
    trace: Trace,
) -> int:
    """Dispatch one fine-tune task per model; without WAIT, answer after `no_wait_seconds`."""
    if not step.test_given:
        emit(Note("no test=… given: accuracy is measured on the training data"))
    models = step.models
    trace.ran_tree(step)
    started = time.perf_counter()
    tasks = [finetune_task(m, step) for m in models]

    def on_result(index: int, outcome: TaskOutcome) -> None:
        if not isinstance(outcome, ShiftError):
            trace.add(step, rows=1, tasks=1, cache_hits=int(outcome.from_cache))
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

    progress = forward_progress(emit, [m.name for m in models])
    batch = pool.submit(tasks, on_result=on_result, on_progress=progress)
    # without WAIT: say what is done after a while; the fine-tunes go on and register themselves
    await_work(batch, cancelled, None if wait else no_wait_seconds)
    wall = time.perf_counter() - started
    trace.add(step, seconds=wall)
    for child, seconds in zip(step.children, split(wall, {}, step.children), strict=True):
        trace.add(child, seconds=seconds)
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
