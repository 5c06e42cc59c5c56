"""FINETUNE models WITH data [USING …]: fine-tune each model of the plan's `physical.Finetune`
step and register the results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from shift_search.cache.convert import dataset_to_proto, model_to_proto
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.planner import physical
from shift_search.planner.events import Event, Note, Table, TaskFinished
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.measurements import Trace, split
from shift_search.planner.waiting import await_work
from shift_search.proto.v1 import executor_pb2
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.values import params_to_proto


def finetune_request(
    model: ModelRecord,
    train: DatasetRecord,
    test: DatasetRecord,
    params: Mapping[str, Any],
    output_name: str,
) -> executor_pb2.RunTaskRequest:
    """The executor task that fine-tunes one model and registers the result."""
    return executor_pb2.RunTaskRequest(
        finetune=executor_pb2.FinetuneTask(
            model=model_to_proto(model),
            train=dataset_to_proto(train),
            test=dataset_to_proto(test),
            params=params_to_proto(params),
            output_name=output_name,
            register=True,
        )
    )


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
    models, train = step.models, step.train
    trace.ran_tree(step)
    started = time.perf_counter()
    test = step.test.record
    requests = [
        finetune_request(m, train.record, test, step.params, f"{m.name}-ft-{train.label}")
        for m in models
    ]

    def on_result(index: int, outcome: executor_pb2.TaskResult | ShiftError) -> None:
        if not isinstance(outcome, ShiftError):
            trace.add(step, rows=1, tasks=1, cache_hits=int(outcome.from_cache))
            emit(
                TaskFinished(
                    "",
                    models[index].name,
                    "finetune",
                    1.0 - outcome.finetune.test_accuracy,
                    outcome.from_cache,
                    index + 1,
                    len(models),
                )
            )

    batch = pool.submit(requests, on_result=on_result)
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
        ft = outcome.finetune
        rows.append(
            (ft.model.name, model.name, ft.test_accuracy, ft.head_accuracy_before, ft.steps)
        )
    emit(
        Table(
            "FINETUNE",
            ("model", "parent", "test_accuracy", "head_accuracy_before", "steps"),
            tuple(rows),
            batch.remaining,
        )
    )
    return batch.remaining
