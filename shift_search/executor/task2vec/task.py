"""The Task2Vec task: a dataset version embedded through a probe model, stored in the cache
(`keys.task_embedding`, an .npz blob written whole) and read back without work the next time."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shift_search.cache import keys
from shift_search.executor.runner import TaskEnv, selected_blocks
from shift_search.executor.task2vec.fisher import task_embedding
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from shift_search.runtime.task_similarity import (
    TASK2VEC_PARAMS,
    embedding_from_bytes,
    embedding_to_bytes,
)
from shift_search.tasks.results import Task2VecResult, TaskResult
from shift_search.tasks.specs import Task2VecTask


def run_task2vec(env: TaskEnv, task: Task2VecTask) -> TaskResult[Task2VecResult]:
    """Embed `task.dataset` through `task.probe`; from the cache when it is stored."""
    params = resolved(task.params)
    probe, dataset = task.probe, task.dataset
    if not dataset.fingerprint:
        raise FailedPrecondition(f'dataset "{dataset.name}" is not described (no fingerprint)')
    key = keys.task_embedding(probe.key, dataset.fingerprint, params)
    try:
        stored, samples, classes = embedding_from_bytes(env.cache.get_blob(key))
        return TaskResult(Task2VecResult(key, len(stored), samples, classes), from_cache=True)
    except NotFound:
        pass
    env.progress("read", 0, 1, "reading data")
    with env.phases.timed("read"):
        segments = env.reader.read(dataset)
    counts = spread([s.size for s in segments], int(params["samples"]))
    blocks = selected_blocks(segments, counts, task.chunk_size)
    if not blocks:
        raise FailedPrecondition(f'dataset "{dataset.name}" holds no rows')
    store = env.features(probe, task.chunk_size)
    env.progress("embed", 0, sum(counts), "features of the probe")
    features, labels = store.gather(blocks)
    inputs = [b.segment.data.inputs[i] for b in blocks for i in b.rows]
    env.progress("train", 0, len(inputs), "fitting the head, then the Fisher information")
    encoder = env.encoders.get(probe)
    with env.phases.timed("extract"):
        embedding = task_embedding(
            encoder,
            inputs,
            labels,
            features,
            head_steps=int(params["head_steps"]),
            lr=float(params["lr"]),
            batch_size=int(params["batch_size"]),
            seed=int(params["seed"]),
            should_stop=env.should_stop,
        )
    classes = len(set(labels.tolist()))
    with env.phases.timed("store"):
        env.cache.put_blob(key, embedding_to_bytes(embedding, len(inputs), classes))
    return TaskResult(Task2VecResult(key, len(embedding), len(inputs), classes))


def resolved(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter (defaults for the missing ones); InvalidArgument for unknown or bad."""
    unknown = sorted(set(given) - set(TASK2VEC_PARAMS))
    if unknown:
        known = ", ".join(TASK2VEC_PARAMS)
        raise InvalidArgument(f"Task2Vec has no parameter {unknown[0]!r}; known: {known}")
    params = {**TASK2VEC_PARAMS, **given}
    for name in ("samples", "head_steps", "batch_size"):
        if not isinstance(params[name], int | float) or int(params[name]) < 1:
            raise InvalidArgument(f"Task2Vec's {name} must be a whole number >= 1")
        params[name] = int(params[name])
    lr = params["lr"]
    if not isinstance(lr, int | float) or not 0 < float(lr) < math.inf:
        raise InvalidArgument("Task2Vec's lr must be a number > 0")
    return params


def spread(sizes: Sequence[int], total: int) -> list[int]:
    """`total` rows taken from segments in proportion to their sizes (all when they hold
    fewer); the rounding remainder goes to the largest fractional shares."""
    whole = sum(sizes)
    if total >= whole:
        return list(sizes)
    exact = [total * s / whole for s in sizes]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(len(sizes)), key=lambda i: counts[i] - exact[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
