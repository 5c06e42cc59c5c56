"""The data of a dataset version, segment by segment, read once and kept while in use.

Labels are encoded over the classes of all segments (and of CHANGE sources) together, and every
segment keeps a digest per input, so chunks can be keyed by content: features and 1-NN distances
survive label changes, and an input change touches only the chunks that hold changed rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from shift_search.cache.dataset_versions import (
    Replacement,
    changed_segment_fingerprint,
    version_fingerprint,
)
from shift_search.cache.records import ChangeRecord, DatasetRecord, SegmentRecord
from shift_search.executor.datasets.reader import LabelledData, read_dataset
from shift_search.executor.datasets.token_length import mean_tokens
from shift_search.runtime.errors import InvalidArgument, NotFound


@dataclass(frozen=True)
class Segment:
    """One segment: its description (fingerprint filled in), data, global offset, digests."""

    record: SegmentRecord
    data: LabelledData
    offset: int
    digests: np.ndarray  # [size, 16] uint8, one per input

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class _Part:
    """A segment being assembled: inputs, raw label values, digests."""

    record: SegmentRecord
    source: LabelledData
    inputs: list[Any]
    values: list[Any]
    digests: np.ndarray
    changed: bool = False
    labels_only: bool = False  # the file has labels and no inputs (a label-only CHANGE source)
    owns_digests: bool = False  # digests are shared with the reader's cache until copied
    replaced: list[Replacement] = field(default_factory=list)  # rows CHANGE replaced, in order


def segment_records(dataset: DatasetRecord) -> tuple[SegmentRecord, ...]:
    """The segments of a dataset; a dataset registered without any is one segment."""
    if dataset.segments:
        return dataset.segments
    return (
        SegmentRecord(
            uri=dataset.uri,
            format=dataset.format,
            size=dataset.size or 0,
            fingerprint=dataset.fingerprint,
            split=dataset.split,
            slice=dataset.slice,
            input_column=dataset.input_column,
            label_column=dataset.label_column,
        ),
    )


class SegmentReader:
    """Reads segments with an LRU of recently used ones (datasets are re-read across tasks)."""

    def __init__(self, capacity: int = 8) -> None:
        self._cache: OrderedDict[tuple[object, ...], LabelledData] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def read(self, dataset: DatasetRecord) -> list[Segment]:
        """Every segment of `dataset` with its CHANGE mutations applied."""
        parts = [self._part(dataset, seg) for seg in segment_records(dataset)]
        for change in dataset.changes:
            self._apply(parts, change)
        return _assemble(parts)

    def _part(self, dataset: DatasetRecord, seg: SegmentRecord) -> _Part:
        """A segment's data; a file without an input column gives labels only."""
        labels_only = False
        try:
            data = self._read_one(dataset, seg)
        except (NotFound, InvalidArgument) as missing:
            if "input column" not in missing.message or seg.input_column or dataset.input_column:
                raise
            data = self._read_one(dataset, seg, labels_only=True)
            labels_only = True
        values = [data.classes[i] for i in data.labels]
        return _Part(seg, data, list(data.inputs), values, data.digests, labels_only=labels_only)

    def _read_one(
        self, dataset: DatasetRecord, seg: SegmentRecord, labels_only: bool = False
    ) -> LabelledData:
        label_column = seg.label_column or dataset.label_column
        input_column = label_column if labels_only else seg.input_column or dataset.input_column
        key = (seg.format, seg.uri, input_column, label_column, seg.split, seg.slice)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = read_dataset(
            seg.format,
            seg.uri,
            input_column=input_column,
            label_column=label_column,
            split=seg.split,
            slice=seg.slice,
        )
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return data

    def _apply(self, parts: list[_Part], change: ChangeRecord) -> None:
        """Replace samples of the base (global indices) by samples of the change's source."""
        source, labels_only = self._source(change.source)
        targets = np.asarray(change.indices, dtype=np.int64)
        picks = np.asarray(change.source_indices or change.indices, dtype=np.int64)
        if len(targets) != len(picks):
            raise InvalidArgument(
                f"CHANGE lists {len(targets)} indices but {len(picks)} source indices"
            )
        total = sum(len(p.inputs) for p in parts)
        _check_range(targets, total, "the changed dataset")
        _check_range(picks, len(source.values), f"change source {change.source.name!r}")
        offsets = np.cumsum([0, *(len(p.inputs) for p in parts)])
        for target, pick in zip(targets.tolist(), picks.tolist(), strict=True):
            which = int(np.searchsorted(offsets, target, side="right")) - 1
            part, row = parts[which], target - int(offsets[which])
            part.values[row] = source.values[pick]
            part.replaced.append((row, source.source.fingerprint, pick))
            if not labels_only:
                part.inputs[row] = source.inputs[pick]
                if not part.owns_digests:
                    part.digests, part.owns_digests = part.digests.copy(), True
                part.digests[row] = source.digests[pick]
            part.changed = True

    def _source(self, dataset: DatasetRecord) -> tuple[_Part, bool]:
        """A CHANGE source as one part, and whether it provides labels only."""
        segments = segment_records(dataset)
        if len(segments) != 1:
            raise InvalidArgument(f"change source {dataset.name!r} must be a single dataset")
        part = self._part(dataset, segments[0])
        return part, part.labels_only


def _check_range(indices: np.ndarray, size: int, what: str) -> None:
    bad = indices[(indices < 0) | (indices >= size)]
    if len(bad):
        raise InvalidArgument(
            f"CHANGE index {int(bad[0])} is out of range for {what} ({size} rows)"
        )


def _assemble(parts: Sequence[_Part]) -> list[Segment]:
    """Encode labels over the classes of every part; a changed part gets the fingerprint of its
    base and replacements (`dataset_versions`), which the planner computes alike."""
    classes = tuple(sorted({v for p in parts for v in p.values}, key=lambda c: (str(type(c)), c)))
    position = {c: i for i, c in enumerate(classes)}
    out, offset = [], 0
    for part in parts:
        data = part.source
        if part.changed or data.classes != classes:
            labels = np.array([position[v] for v in part.values], dtype=np.int64)
            data = replace(
                data,
                inputs=part.inputs,
                labels=labels,
                classes=classes,
                fingerprint=(
                    changed_segment_fingerprint(data.fingerprint, part.replaced)
                    if part.changed
                    else data.fingerprint
                ),
                digests=part.digests,
            )
        record = replace(part.record, size=len(data), fingerprint=data.fingerprint)
        out.append(Segment(record, data, offset, part.digests))
        offset += len(data)
    return out


def describe(dataset: DatasetRecord, segments: list[Segment]) -> DatasetRecord:
    """The dataset with sizes, fingerprints and the class count filled in from its content."""
    fingerprint_ = version_fingerprint([s.record.fingerprint for s in segments])
    classes = segments[0].data.classes if segments else ()
    size = sum(s.size for s in segments)
    chars = _mean_chars(segments, size) if dataset.modality == "text" else None
    return replace(
        dataset,
        segments=tuple(s.record for s in segments),
        size=size,
        num_classes=len(classes),
        fingerprint=fingerprint_,
        mean_input_chars=chars,
        # known characters: every input is text (None without the reference tokenizer)
        mean_input_tokens=None if chars is None else mean_tokens(_texts(segments)),
    )


def _texts(segments: list[Segment]) -> list[str]:
    return [text for segment in segments for text in segment.data.inputs]


def _mean_chars(segments: list[Segment], size: int) -> float | None:
    """Mean characters per text input (None when empty or the inputs are not text)."""
    if not size:
        return None
    total = 0
    for segment in segments:
        for text in segment.data.inputs:
            if not isinstance(text, str):
                return None
            total += len(text)
    return total / size
