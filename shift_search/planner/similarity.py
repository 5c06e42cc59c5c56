"""SELECT vec: runs a plan's `physical.DatasetSimilarity` — a Task2Vec task for every dataset
whose embedding the cache does not hold, all at once on the executors — then reads every
embedding from the cache and answers the pairwise distance matrix (`runtime/task_similarity`).
The statement always waits for its embeddings: a matrix with holes would answer nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shift_search.cache.records import ModelRecord
from shift_search.planner.events import Event, Note
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import (
    DatasetSimilarity,
    DistanceMatrix,
    StepBase,
    TaskEmbedding,
)
from shift_search.planner.statements import QueryResult
from shift_search.planner.waiting import await_work
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.task_similarity import distance_matrix, embedding_from_bytes
from shift_search.tasks.results import Task2VecResult
from shift_search.tasks.specs import Task2VecTask

BlobReader = Callable[[str], bytes]


def run_similarity(
    step: DatasetSimilarity,
    pool: ExecutorPool,
    read_blob: BlobReader,
    emit: Callable[[Event], None],
    cancelled: threading.Event,
    trace: Trace,
) -> QueryResult:
    """The distance matrix of the step's datasets: a row per dataset, a column per dataset."""
    started = time.perf_counter()
    trace.ran(step)
    embeddings = [c for c in step.children if isinstance(c, TaskEmbedding)]
    (matrix_step,) = [c for c in step.children if isinstance(c, DistanceMatrix)]
    trace.ran(*embeddings)
    for done in (e for e in embeddings if e.cached):
        trace.add(done, rows=1, cache_hits=1)
    todo = [e for e in embeddings if not e.cached]
    if todo:
        embed(step, step.probe, step.params, todo, pool, emit, cancelled, trace)
    trace.ran(matrix_step)
    matrix_started = time.perf_counter()
    vectors = [embedding_from_bytes(read_blob(e.key))[0] for e in embeddings]
    distances = distance_matrix(vectors)
    labels = tuple(e.dataset.label for e in embeddings)
    trace.add(matrix_step, seconds=time.perf_counter() - matrix_started, rows=len(labels))
    trace.add(step, seconds=time.perf_counter() - started, rows=len(labels))
    rows = tuple(
        (label, *(float(d) for d in row)) for label, row in zip(labels, distances, strict=True)
    )
    return QueryResult("matrix", labels, ("dataset", *labels), rows)


def embed(
    step: StepBase,
    probe: ModelRecord,
    params: Mapping[str, Any],
    todo: Sequence[TaskEmbedding],
    pool: ExecutorPool,
    emit: Callable[[Event], None],
    cancelled: threading.Event,
    trace: Trace,
) -> None:
    """One Task2Vec task per dataset still to embed, through `probe`, run to the end (the
    first failure is raised); each stores its embedding where the plan's step says. `step` is
    the span their time is measured in (SELECT vec's, or a MetaLearned's)."""
    started = time.perf_counter()
    tasks = [Task2VecTask(probe, e.dataset.record, params) for e in todo]

    def on_result(index: int, outcome: TaskOutcome) -> None:
        if isinstance(outcome, ShiftError):
            return
        result = outcome.of(Task2VecResult)
        embedded = todo[index]
        trace.add_task(step, outcome.phase_seconds, outcome.seconds)
        trace.add(embedded, rows=1, tasks=1, cache_hits=int(outcome.from_cache))
        how = "read from the cache" if outcome.from_cache else f"{outcome.seconds:.2f}s"
        emit(
            Note(
                f"task2vec {embedded.dataset.label}: {result.samples:,} rows, "
                f"{result.classes} classes, {result.dimension:,} filters ({how})"
            )
        )

    batch = pool.submit(tasks, on_result=on_result)
    await_work(batch, cancelled, None)
    failures = [r for r in batch.results.values() if isinstance(r, ShiftError)]
    if failures:
        raise failures[0]
    wall = time.perf_counter() - started
    trace.close_span(step, wall, list(todo))
