"""The layout of every JSON value SHiFT stores besides catalog records (`records.py`): one frozen
record per kind, which both its writer and its readers use.

Field names are those stored since the first release, so values already in a cache read back;
fields a reader does not know are ignored and missing optional ones take their defaults. Binary
values keep their own codecs beside the code that computes them: feature chunks
(`executor/features/extract.py`) and 1-NN summaries (`executor/nearest_neighbour/summary.py`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from shift_search.cache.codec import dump_json, load_json


class _Stored:
    """JSON bytes to and from a frozen record whose fields are JSON values."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> bytes:
        return dump_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, raw: bytes) -> Self:
        return cls.from_dict(load_json(raw))


@dataclass(frozen=True)
class ProxyScore(_Stored):
    """A proxy's score of a model (`keys.proxy_result`): written by the executor's score task,
    read by it (a cached result) and by the planner (what the cache already holds)."""

    error: float
    proxy: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)  # resolved: defaults filled in
    model: str = ""  # ModelRecord.key
    train_samples: int = 0
    test_samples: int = 0
    seconds: float = 0.0
    train_counts: Sequence[int] = ()
    """Training samples per training segment (a prefix of each in chunk order); empty in
    results stored before it was recorded, which are rewritten byte for byte as they were."""

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if not self.train_counts:
            del out["train_counts"]
        else:
            out["train_counts"] = list(self.train_counts)
        return out


@dataclass(frozen=True)
class FinetuneScore(_Stored):
    """The outcome of a fine-tune (`keys.finetune_result`): the registered model's name (None
    when it was not registered) and its accuracies."""

    test_accuracy: float
    head_accuracy_before: float
    train_loss: float
    steps: int
    model: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class BenchmarkResult(_Stored):
    """One fine-tuning run of the table `benchmark_results` (`keys.benchmark_result`): loaded
    from a file in the SHiFT authors' CSV format (`shift register benchmark-results`), or written
    by an executor after each fine-tune SHiFT runs itself. `run` identifies the run, so loading
    the same run again adds nothing."""

    run: str  # "<file stem>:<the file's run hash>" or "shift:<digest of the fine-tune's key>"
    model: str  # a catalog name, or the id the file gives (a Hugging Face id)
    dataset: str  # the training dataset's name (`glue/cola`, `cifar100`, a catalog name)
    test_accuracy: float
    label: str = "label"  # what the task predicts (clevr predicts counts or distances)
    modality: str = ""  # text | image
    category: str | None = None  # `modality/group` (`image/natural`): meta-learned similarity
    train_slice: str = "all"  # the rows trained on (`:800`, `:80%`), "all" for every row
    test_split: str = ""  # where test_accuracy was measured (a split, or a dataset name)
    learning_rate: float | None = None
    epochs: int | None = None
    batch_size: int | None = None
    seconds: float | None = None  # wall-clock time of the run
    train_accuracy: float | None = None
    origin: str = ""  # the file loaded, or "shift" for SHiFT's own fine-tunes

    @property
    def setting(self) -> tuple[str, str, str, int | None, float | None, str]:
        """The protocol the run followed on its task: runs of one setting are comparable."""
        return (
            self.dataset,
            self.label,
            self.train_slice,
            self.epochs,
            self.learning_rate,
            self.test_split,
        )


@dataclass(frozen=True)
class HalvingState(_Stored):
    """One successive-halving round of a run (`keys.sh_state`): who survived, who was out."""

    proxy: str  # as the query spelled it
    round: int
    rounds: int
    samples: int  # training samples of this round
    survivors: Sequence[str]
    eliminated: Sequence[str]  # best first
    scores: Mapping[str, float]  # this round's error per model

    def to_json(self) -> bytes:
        """Errors may be NaN (a model without a score), which strict JSON cannot hold."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class StoredVariable(_Stored):
    """A DECLAREd variable of a session (`keys.session_variable`): the members its query
    produced and the canonical text of that query."""

    name: str
    kind: str  # models | datasets
    members: Sequence[str]
    query: str

    @classmethod
    def all_from_json(cls, raw: bytes) -> list[StoredVariable]:
        """The variables of a value: one, or a list (a session's value before each variable
        had its own key, `keys.session`)."""
        data = load_json(raw)
        return [cls.from_dict(v) for v in (data if isinstance(data, list) else [data])]


@dataclass(frozen=True)
class QueryLogEntry(_Stored):
    """One statement in the query history (`keys.history_entry`): when, in which session, what,
    how long, and how it ended (tasks still running, or the error's code)."""

    at: str  # ISO 8601, seconds, UTC
    session: str
    statement: str  # canonical text
    kind: str  # the statement's type
    seconds: float
    remaining_tasks: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in super().to_dict().items() if v is not None}
