"""Catalog records: the models and datasets SHiFT knows about.

These are transport-free types. The cache service stores them, the planner binds queries against
them, and `shift_search/cache/convert.py` is the only place they meet protobuf.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

MODALITIES = ("text", "image")
MODEL_OUTPUT_FIELDS = ("source", "uri", "revision", "modality", "pooling", "tokenizer")
"""The ModelRecord fields that change what a model computes, so its key (and with it every
feature, 1-NN summary, proxy and fine-tune result and SH state derived from it) changes with
them: `source` picks the loader, `uri` and `revision` the weights, `modality` the input
pipeline, `pooling` how token states become one vector, `tokenizer` how text becomes tokens.
Weights rewritten in place at the same `uri` are not detected: give them a new `revision`."""
MODEL_METADATA_FIELDS = (
    "name",
    "num_params",
    "upstream_accuracy",
    "dimension",
    "inference_cost",
    "load_cost",
    "finetuned",
    "date_added",
    "parent",
    "tags",
)
"""The other fields: facts about the model that change none of its outputs, so re-registering
with new values keeps every cached result. `name` stays in the key as the catalog identity;
`dimension` and `num_params` follow from the weights; `inference_cost` and `load_cost` are
measurements (profiling rewrites them); `finetuned`, `parent`, `date_added` and `tags` describe
where the model came from."""
MODEL_SOURCES = ("huggingface", "onnx", "efficientnet", "torchvision", "local")
DATASET_FORMATS = ("csv", "jsonl", "parquet", "imagefolder", "hf_disk", "numpy", "builtin")


def now_stamp() -> str:
    """Now, as `date_added` holds it (UTC, seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ModelRecord:
    """A pre-trained network and its metadata (DESIGN.md, Concepts)."""

    name: str
    source: str
    uri: str
    modality: str = "text"
    num_params: int | None = None
    upstream_accuracy: float | None = None
    dimension: int | None = None
    inference_cost: float | None = None  # seconds per 1k samples on the reference device
    load_cost: float | None = None  # seconds to load once
    finetuned: bool = False
    date_added: str = field(default_factory=now_stamp)
    revision: str = "main"
    pooling: str = "mean"  # mean | pooler | first
    tokenizer: str | None = None  # for ONNX models: a folder or a known model to borrow from
    parent: str | None = None  # lineage: the model this one was fine-tuned from
    tags: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def key(self) -> str:
        """Stable, content-based identifier: models/{source}/{name}@{revision}~{outputs digest}.

        Derived data is stored under this key, so a change to any of `MODEL_OUTPUT_FIELDS`
        gives a new key (nothing stale is read) and a metadata change keeps it (nothing is
        recomputed). The catalog keeps one record per name either way."""
        return f"models/{self.source}/{self.name}@{self.revision}~{self.outputs_digest}"

    @cached_property
    def outputs_digest(self) -> str:
        """sha256 (16 hex digits) of the fields that change the model's outputs."""
        fields = {name: getattr(self, name) for name in MODEL_OUTPUT_FIELDS}
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["tags"] = dict(self.tags)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model field(s): {', '.join(unknown)}")
        values = dict(data)
        values["tags"] = dict(values.get("tags") or {})
        return cls(**values)


@dataclass(frozen=True)
class SegmentRecord:
    """One immutable piece of a dataset version: a source, a slice and a fingerprint."""

    uri: str
    format: str
    size: int
    fingerprint: str
    split: str | None = None
    slice: str | None = None  # python-style "start:stop" over the split's rows
    input_column: str | None = None  # None: the dataset's
    label_column: str | None = None  # None: the dataset's


@dataclass(frozen=True)
class ChangeRecord:
    """`CHANGE [indices] TO source [source_indices]`: replace samples of a dataset."""

    indices: tuple[int, ...]
    source: DatasetRecord
    source_indices: tuple[int, ...] | None = None


@dataclass(frozen=True)
class DatasetRecord:
    """A registered, named, immutable version of labelled data."""

    name: str
    uri: str
    format: str
    input_column: str | None = None
    label_column: str | None = None
    split: str | None = None
    slice: str | None = None
    size: int | None = None
    modality: str = "text"
    num_classes: int | None = None
    fingerprint: str = ""
    segments: tuple[SegmentRecord, ...] = ()
    date_added: str = field(default_factory=now_stamp)
    tags: Mapping[str, str] = field(default_factory=dict)
    changes: tuple[ChangeRecord, ...] = ()
    mean_input_chars: float | None = None
    """Mean characters per input of a text dataset (from its content; the cost model scales a
    text model's profiled inference cost by it where tokens are unknown)."""
    mean_input_tokens: float | None = None
    """Mean tokens per input of a text dataset by the reference tokenizer (what the cost model
    scales a text model's inference cost by; None where that tokenizer is not installed)."""

    @cached_property
    def key(self) -> str:
        """Stable identifier: datasets/{name}@{fingerprint} (fingerprint of the description when
        the content has not been read yet)."""
        return f"datasets/{self.name}@{self.fingerprint or self.description_hash()}"

    def description_hash(self) -> str:
        skipped = ("date_added", "tags", "mean_input_chars", "mean_input_tokens")
        desc = {k: v for k, v in self.to_dict().items() if k not in skipped}
        return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["tags"] = dict(self.tags)
        out["segments"] = [dataclasses.asdict(s) for s in self.segments]
        del out["changes"]  # query-time mutations are never part of a catalog entry
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetRecord:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown dataset field(s): {', '.join(unknown)}")
        values = dict(data)
        values["tags"] = dict(values.get("tags") or {})
        values["segments"] = tuple(SegmentRecord(**s) for s in values.get("segments") or ())
        return cls(**values)
