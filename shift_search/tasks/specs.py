"""What a task asks an executor to do: embed, score with a proxy, fine-tune, profile, rank with a
scorer, embed a dataset as a task (Task2Vec).

A task carries the catalog records it works on, so an executor needs nothing else to run it, and
it is named by the content hash of these inputs (`convert.task_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, assert_never

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.runtime.profile_inputs import PROFILE_SAMPLES

CHUNK_SIZE = 1024
"""Rows per stored feature chunk: the executor embeds and caches features in chunks this big, and
the cost model prices successive-halving rounds by them. Part of a proxy result's key."""

Selection = tuple[int, ...] | None
"""Training samples to use. None: every sample of every segment. Otherwise one count per segment
of the dataset, taken from the start of its seeded shuffled order (0 takes none of that segment;
more than it holds takes all of it)."""


@dataclass(frozen=True)
class ProxySpec:
    """A proxy by canonical name (`runtime/proxy_names.py`) and the parameters the query gave."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbedTask:
    """Embed (a selection of) a dataset with a model into the feature cache."""

    model: ModelRecord
    dataset: DatasetRecord
    selection: Selection = None
    chunk_size: int = CHUNK_SIZE


@dataclass(frozen=True)
class ScoreTask:
    """Score a model with a proxy trained on (a selection of) `train`, tested on `test`."""

    model: ModelRecord
    train: DatasetRecord
    test: DatasetRecord
    proxy: ProxySpec
    selection: Selection = None
    chunk_size: int = CHUNK_SIZE


@dataclass(frozen=True)
class FinetuneTask:
    """Fine-tune a model on `train`, evaluate it on `test`; register the result when asked."""

    model: ModelRecord
    train: DatasetRecord
    test: DatasetRecord
    params: Mapping[str, Any] = field(default_factory=dict)  # lr, epochs, batch_size, optimizer
    output_name: str = ""  # "": {model}-ft-{train}
    register: bool = False


@dataclass(frozen=True)
class ProfileTask:
    """Measure a model's load time and inference time per sample on the executor's device."""

    model: ModelRecord
    samples: int = PROFILE_SAMPLES


@dataclass(frozen=True)
class ScorerSpec:
    """A scorer by canonical name (`runtime/scorer_names.py`) and every parameter it takes."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RankTask:
    """Score a model with a scorer (RANK … BY) on `train`, and on `test` when the query gave
    one; answered by a `ScoreResult` whose error is the score negated."""

    model: ModelRecord
    train: DatasetRecord
    scorer: ScorerSpec
    test: DatasetRecord | None = None
    chunk_size: int = CHUNK_SIZE


@dataclass(frozen=True)
class Task2VecTask:
    """Embed `dataset` as a task through the `probe` model (Task2Vec): the diagonal Fisher
    information of its weights, stored in the cache (`runtime/task_similarity.py`)."""

    probe: ModelRecord
    dataset: DatasetRecord
    params: Mapping[str, Any] = field(default_factory=dict)
    chunk_size: int = CHUNK_SIZE


@dataclass(frozen=True)
class DescribeTask:
    """Read a dataset once: per-segment sizes and fingerprints, its size and classes (REGISTER
    DATASET, on whichever executor takes it from the queue)."""

    dataset: DatasetRecord


Task = EmbedTask | ScoreTask | FinetuneTask | ProfileTask | RankTask | Task2VecTask | DescribeTask
"""Every kind of task an executor runs."""

NO_MODEL = "-"
"""The model key of a task that needs no model's weights."""


def kind_of(task: Task) -> str:
    """A short label for the work queue and metrics: embed, score, finetune, profile, rank,
    task2vec, describe."""
    match task:
        case EmbedTask():
            return "embed"
        case ScoreTask():
            return "score"
        case FinetuneTask():
            return "finetune"
        case ProfileTask():
            return "profile"
        case RankTask():
            return "rank"
        case Task2VecTask():
            return "task2vec"
        case DescribeTask():
            return "describe"
        case _:
            assert_never(task)


def model_of(task: Task) -> str:
    """The key of the model whose weights the task needs (the queue prefers executors that
    hold it); NO_MODEL when it needs none."""
    match task:
        case EmbedTask() | ScoreTask() | FinetuneTask() | ProfileTask() | RankTask():
            return task.model.key
        case Task2VecTask():
            return task.probe.key
        case DescribeTask():
            return NO_MODEL
        case _:
            assert_never(task)
