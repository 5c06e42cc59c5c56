"""Checks a catalog record must pass before it is stored; each message names the bad field."""

from __future__ import annotations

import math
import re

from shift_search.cache.records import (
    DATASET_FORMATS,
    MODALITIES,
    MODEL_SOURCES,
    DatasetRecord,
    ModelRecord,
    SegmentRecord,
)
from shift_search.runtime.errors import InvalidArgument

POOLINGS = ("mean", "pooler", "first")
_SLICE = re.compile(r"^-?\d*:-?\d*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_model(record: ModelRecord) -> None:
    where = f'model "{record.name}"'
    _name(record.name, "model")
    _text(record.uri, "uri", where)
    _text(record.revision, "revision", where)
    _choice(record.source, "source", MODEL_SOURCES, where)
    _choice(record.modality, "modality", MODALITIES, where)
    _choice(record.pooling, "pooling", POOLINGS, where)
    _count(record.num_params, "num_params", where)
    _count(record.dimension, "dimension", where, minimum=1)
    _amount(record.upstream_accuracy, "upstream_accuracy", where)
    _amount(record.inference_cost, "inference_cost", where)
    _amount(record.load_cost, "load_cost", where)


def validate_dataset(record: DatasetRecord) -> None:
    where = f'dataset "{record.name}"'
    _name(record.name, "dataset")
    _text(record.uri, "uri", where)
    _choice(record.format, "format", DATASET_FORMATS, where)
    _choice(record.modality, "modality", MODALITIES, where)
    _slice(record.slice, where)
    _count(record.size, "size", where)
    _count(record.num_classes, "num_classes", where, minimum=1)
    for index, segment in enumerate(record.segments):
        _segment(segment, f"{where} segment {index}")


def _segment(segment: SegmentRecord, where: str) -> None:
    _text(segment.uri, "uri", where)
    _text(segment.fingerprint, "fingerprint", where)
    _choice(segment.format, "format", DATASET_FORMATS, where)
    _count(segment.size, "size", where)
    _slice(segment.slice, where)


def _name(name: str, kind: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"{kind} name must not be empty")
    if _CONTROL.search(name) or name != name.strip():
        raise InvalidArgument(f"{kind} name {name!r} has surrounding spaces or control characters")


def _text(value: str, field: str, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{where}: field '{field}' must not be empty")


def _choice(value: str, field: str, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise InvalidArgument(
            f"{where}: unknown {field} {value!r}; expected one of {', '.join(allowed)}"
        )


def _count(value: int | None, field: str, where: str, minimum: int = 0) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(
            f"{where}: field '{field}' must be an integer >= {minimum}, got {value!r}"
        )


def _amount(value: float | None, field: str, where: str) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise InvalidArgument(
            f"{where}: field '{field}' must be a finite number >= 0, got {value!r}"
        )


def _slice(value: str | None, where: str) -> None:
    if value is not None and not _SLICE.match(value):
        raise InvalidArgument(f"{where}: field 'slice' must look like 'start:stop', got {value!r}")
