"""What a task answers: its progress while it runs, then one result in an envelope that says
whether it came from the cache and where its time went."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.runtime.errors import ShiftError


@dataclass(frozen=True)
class EmbedResult:
    chunks_computed: int
    chunks_cached: int
    samples: int
    dimension: int


@dataclass(frozen=True)
class ScoreResult:
    proxy: str
    error: float
    train_samples: int
    test_samples: int
    result_key: str  # where the score is stored
    chunks_computed: int = 0
    chunks_cached: int = 0
    pairs_searched: int = 0  # 1-NN: (train block, test block) searches run
    pairs_reused: int = 0  # 1-NN: searches found in the cache


@dataclass(frozen=True)
class FinetuneResult:
    model: ModelRecord | None  # the registered model; None when not registered
    test_accuracy: float
    head_accuracy_before: float
    train_loss: float
    steps: int


@dataclass(frozen=True)
class ProfileResult:
    load_seconds: float
    infer_seconds_per_sample: float
    dimension: int
    num_params: int
    device: str


@dataclass(frozen=True)
class Task2VecResult:
    """Where a dataset's Task2Vec embedding is stored, and what it was computed on."""

    embedding_key: str
    dimension: int
    samples: int
    classes: int


@dataclass(frozen=True)
class DescribeResult:
    dataset: DatasetRecord  # with sizes, fingerprints and classes filled in


Outcome = (
    EmbedResult | ScoreResult | FinetuneResult | ProfileResult | Task2VecResult | DescribeResult
)
"""What each kind of task answers."""

R_co = TypeVar("R_co", bound=Outcome, covariant=True)
K = TypeVar("K", bound=Outcome)


@dataclass(frozen=True)
class TaskResult(Generic[R_co]):
    """A task's outcome, whether it came from the cache, its seconds on the executor and where
    they went per phase (read, lookup, extract, store, proxy; see `executor/phases.py`)."""

    outcome: R_co
    from_cache: bool = False
    seconds: float = 0.0
    phase_seconds: Mapping[str, float] = field(default_factory=dict)

    def of(self, kind: type[K]) -> K:
        """The outcome as the kind of result its task gives; an executor that answers another
        kind broke the contract."""
        if not isinstance(self.outcome, kind):
            raise ShiftError(
                f"the executor answered {type(self.outcome).__name__}, expected {kind.__name__}"
            )
        return self.outcome


@dataclass(frozen=True)
class TaskProgress:
    stage: str  # load | read | embed | proxy | train | evaluate | save
    done: int
    total: int
    message: str = ""
    elapsed_seconds: float = 0.0


TaskEvent = TaskProgress | TaskResult[Outcome]
"""What a running task reports: progress any number of times, then its result."""


@dataclass(frozen=True)
class Capacity:
    """An executor's device, its slots, how many are busy and the ids of the running tasks."""

    device: str
    slots: int
    busy: int = 0
    running_tasks: tuple[str, ...] = ()
