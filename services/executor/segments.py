"""The data of a dataset version, segment by segment, read once and kept while in use."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from services.cache.records import DatasetRecord, SegmentRecord
from services.executor.datasets import LabelledData, read_dataset


@dataclass(frozen=True)
class Segment:
    """One segment's description (fingerprint filled in), its data, and its global offset."""

    record: SegmentRecord
    data: LabelledData
    offset: int

    @property
    def size(self) -> int:
        return len(self.data)


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
        """Every segment of `dataset`, with labels encoded over the union of their classes."""
        parts = [self._read_one(dataset, seg) for seg in segment_records(dataset)]
        parts = _common_classes(parts)
        out, offset = [], 0
        for seg, data in zip(segment_records(dataset), parts, strict=True):
            filled = replace(seg, size=len(data), fingerprint=data.fingerprint)
            out.append(Segment(filled, data, offset))
            offset += len(data)
        return out

    def _read_one(self, dataset: DatasetRecord, seg: SegmentRecord) -> LabelledData:
        input_column = seg.input_column or dataset.input_column
        label_column = seg.label_column or dataset.label_column
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


def _common_classes(parts: list[LabelledData]) -> list[LabelledData]:
    """Re-encode labels so every segment indexes one shared, sorted class list."""
    classes = sorted({c for part in parts for c in part.classes}, key=lambda c: (str(type(c)), c))
    if all(part.classes == tuple(classes) for part in parts):
        return parts
    position = {c: i for i, c in enumerate(classes)}
    out = []
    for part in parts:
        mapping = np.array([position[c] for c in part.classes], dtype=np.int64)
        out.append(replace(part, labels=mapping[part.labels], classes=tuple(classes)))
    return out


def describe(dataset: DatasetRecord, segments: list[Segment]) -> DatasetRecord:
    """The dataset with sizes, fingerprints and the class count filled in from its content."""
    fingerprint = hashlib.sha256(
        "+".join(s.record.fingerprint for s in segments).encode()
    ).hexdigest()
    classes = segments[0].data.classes if segments else ()
    return replace(
        dataset,
        segments=tuple(s.record for s in segments),
        size=sum(s.size for s in segments),
        num_classes=len(classes),
        fingerprint=fingerprint,
    )
