"""`read_dataset`: labelled data from any supported format, with labels 0..K-1 and a fingerprint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, assert_never, get_args

import numpy as np

from shift_search.executor.datasets.builtin import read_builtin
from shift_search.executor.datasets.files import read_hf_disk, read_imagefolder, read_numpy
from shift_search.executor.datasets.fingerprint import fingerprint, input_digests
from shift_search.executor.datasets.rows import RawRows
from shift_search.executor.datasets.tables import read_table
from shift_search.runtime.confinement import dataset_path
from shift_search.runtime.errors import InvalidArgument

_SPLIT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=-]{0,127}")
DatasetFormat = Literal["csv", "jsonl", "parquet", "imagefolder", "hf_disk", "numpy", "builtin"]


@dataclass(frozen=True)
class LabelledData:
    """Inputs (texts or images), integer labels indexing `classes`, and a content fingerprint."""

    inputs: list[Any]
    labels: np.ndarray  # int64, values in 0..len(classes)-1
    classes: tuple[Any, ...]  # original label values, sorted
    fingerprint: str  # hex sha256 of the content
    digests: np.ndarray  # [N, 16] uint8: one digest per input (labels excluded)
    origin: str  # the file, folder or builtin name read
    input_column: str
    label_column: str

    def __len__(self) -> int:
        return len(self.inputs)


def read_dataset(
    format: str,
    uri: str,
    *,
    input_column: str | None,
    label_column: str | None,
    split: str | None = None,
    slice: str | None = None,
) -> LabelledData:
    """Read, slice ("start:stop" rows), then map labels to 0..K-1 in sorted order of the values.
    Files must lie under the data roots (`runtime/confinement.py`)."""
    kind = parse_format(format)
    if split is not None and (_SPLIT.fullmatch(split) is None or split.strip(".") == ""):
        raise InvalidArgument(f"split {split!r}: use letters, digits, '_', '.', '=' or '-'")
    location = uri if kind == "builtin" else str(dataset_path(uri))
    rows = _read_rows(kind, location, input_column, label_column, split)
    rows = _apply_slice(rows, slice)
    classes, labels = encode_labels(rows.labels)
    digests = input_digests(rows.inputs)
    return LabelledData(
        inputs=rows.inputs,
        labels=labels,
        classes=classes,
        fingerprint=fingerprint(digests, classes, labels),
        digests=digests,
        origin=rows.origin,
        input_column=rows.input_column,
        label_column=rows.label_column,
    )


def parse_format(name: str) -> DatasetFormat:
    """Validate a dataset format name coming from a request."""
    for known in get_args(DatasetFormat):
        if name == known:
            return known
    raise InvalidArgument(
        f"unknown dataset format {name!r}; expected one of {', '.join(get_args(DatasetFormat))}"
    )


def _read_rows(
    format: DatasetFormat,
    uri: str,
    input_column: str | None,
    label_column: str | None,
    split: str | None,
) -> RawRows:
    match format:
        case "csv" | "jsonl" | "parquet":
            return read_table(
                format, uri, input_column=input_column, label_column=label_column, split=split
            )
        case "imagefolder":
            return read_imagefolder(uri, split)
        case "numpy":
            return read_numpy(
                uri, input_column=input_column, label_column=label_column, split=split
            )
        case "hf_disk":
            return read_hf_disk(
                uri, input_column=input_column, label_column=label_column, split=split
            )
        case "builtin":
            return read_builtin(
                uri, input_column=input_column, label_column=label_column, split=split
            )
        case _:
            assert_never(format)


def parse_slice(text: str) -> tuple[int | None, int | None]:
    """ "start:stop" (either side may be empty, Python semantics) as a pair of ints or Nones."""
    parts = text.split(":")
    if len(parts) != 2:
        raise InvalidArgument(f"slice must look like 'start:stop', got {text!r}")
    try:
        start, stop = (int(part) if part.strip() else None for part in parts)
    except ValueError as error:
        raise InvalidArgument(f"slice bounds must be integers, got {text!r}") from error
    return start, stop


def _apply_slice(rows: RawRows, text: str | None) -> RawRows:
    if text is not None:
        start, stop = parse_slice(text)
        chosen = range(len(rows.inputs))[start:stop]
        rows = RawRows(
            [rows.inputs[i] for i in chosen],
            [rows.labels[i] for i in chosen],
            rows.origin,
            rows.input_column,
            rows.label_column,
        )
    if not rows.inputs:
        raise InvalidArgument(f"{rows.origin}: no rows to read (slice {text!r})")
    return rows


def encode_labels(values: list[Any]) -> tuple[tuple[Any, ...], np.ndarray]:
    """(sorted distinct values, int64 index of each value among them)."""
    plain = [value.item() if isinstance(value, np.generic) else value for value in values]
    try:
        classes = tuple(sorted(set(plain)))
    except TypeError:
        classes = tuple(sorted(set(plain), key=str))
    index = {value: position for position, value in enumerate(classes)}
    return classes, np.fromiter((index[v] for v in plain), dtype=np.int64, count=len(plain))
