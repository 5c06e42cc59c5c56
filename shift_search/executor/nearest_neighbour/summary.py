"""Stored 1-NN results: per test point its best distance, the neighbour's global index and label.

Summaries of disjoint training parts merge by minimum (distance, then smaller global index), so a
merge of per-chunk summaries equals one search over all training points, bit for bit; summaries of
test blocks join with `concat_test`. Label changes need no search: `task.py` relabels a merged
summary with the current labels. The search itself lives in `search.nn_search`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from shift_search.runtime.errors import InvalidArgument

Metric = Literal["euclidean", "cosine"]
METRICS: tuple[Metric, ...] = get_args(Metric)

NO_NEIGHBOUR = -1
"""Index and label of a test point that has not met any training point yet."""

_MAGIC = b"SNN1"
_HEADER = struct.Struct("<4sBQ")
_COLUMNS = (
    ("distance", "<f4"),
    ("index", "<i8"),
    ("neighbour_label", "<i8"),
    ("test_label", "<i8"),
)


@dataclass(frozen=True, eq=False)
class NNSummary:
    """The 1-NN search result for every test point (all arrays have one row per test point)."""

    distance: np.ndarray  # float32, squared L2 (on L2-normalised features for cosine)
    index: np.ndarray  # int64, global index into the training set, NO_NEIGHBOUR if none
    neighbour_label: np.ndarray  # int64
    test_label: np.ndarray  # int64
    metric: Metric

    def __post_init__(self) -> None:
        n = len(self.test_label)
        if any(len(a) != n for a in (self.distance, self.index, self.neighbour_label)):
            raise InvalidArgument("1-NN summary arrays must all have one entry per test point")
        if self.metric not in METRICS:
            raise InvalidArgument(f"unknown 1-NN metric {self.metric!r}; known: {METRICS}")

    def __len__(self) -> int:
        return len(self.test_label)

    def error(self) -> float:
        """Share of test points whose nearest training point has another label (0 if empty)."""
        if len(self) == 0:
            return 0.0
        return float(np.mean(self.neighbour_label != self.test_label))

    def to_bytes(self) -> bytes:
        """Compact little-endian encoding: header, then the four columns back to back."""
        header = _HEADER.pack(_MAGIC, METRICS.index(self.metric), len(self))
        body = b"".join(
            np.ascontiguousarray(getattr(self, name), dtype=dtype).tobytes()
            for name, dtype in _COLUMNS
        )
        return header + body

    @classmethod
    def from_bytes(cls, data: bytes) -> NNSummary:
        """Decode `to_bytes` output; raises InvalidArgument on malformed data."""
        if len(data) < _HEADER.size:
            raise InvalidArgument("1-NN summary blob is truncated")
        magic, metric_code, n = _HEADER.unpack_from(data)
        expected = _HEADER.size + n * sum(np.dtype(dtype).itemsize for _, dtype in _COLUMNS)
        if magic != _MAGIC or metric_code >= len(METRICS) or len(data) != expected:
            raise InvalidArgument("not a 1-NN summary blob (bad header or length)")
        columns: dict[str, np.ndarray] = {}
        offset = _HEADER.size
        for name, dtype in _COLUMNS:
            column = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
            columns[name] = column.astype(np.dtype(dtype).newbyteorder("="))
            offset += column.nbytes
        return cls(metric=METRICS[metric_code], **columns)


def empty_summary(test_labels: np.ndarray, metric: Metric) -> NNSummary:
    """The summary of a search over no training points: the identity of `merge`."""
    labels = as_labels(test_labels, "test labels")
    n = len(labels)
    return NNSummary(
        distance=np.full(n, np.inf, np.float32),
        index=np.full(n, NO_NEIGHBOUR, np.int64),
        neighbour_label=np.full(n, NO_NEIGHBOUR, np.int64),
        test_label=labels,
        metric=metric,
    )


def merge(a: NNSummary, b: NNSummary) -> NNSummary:
    """Per test point the better of two summaries over disjoint (or equal) training parts.

    Better = smaller distance, ties to the smaller global index; commutative and associative.
    """
    if a.metric != b.metric:
        raise InvalidArgument(f"cannot merge 1-NN summaries of metrics {a.metric} and {b.metric}")
    if not np.array_equal(a.test_label, b.test_label):
        raise InvalidArgument("cannot merge 1-NN summaries over different test points")
    take_b = prefer_second(a.distance, a.index, b.distance, b.index)
    return NNSummary(
        distance=np.where(take_b, b.distance, a.distance),
        index=np.where(take_b, b.index, a.index),
        neighbour_label=np.where(take_b, b.neighbour_label, a.neighbour_label),
        test_label=a.test_label.copy(),
        metric=a.metric,
    )


def prefer_second(d1: np.ndarray, i1: np.ndarray, d2: np.ndarray, i2: np.ndarray) -> np.ndarray:
    """Where (d2, i2) orders before (d1, i1); a missing neighbour orders last."""
    k1, k2 = _index_key(i1), _index_key(i2)
    return (d2 < d1) | ((d2 == d1) & (k2 < k1))


def concat_test(a: NNSummary, b: NNSummary) -> NNSummary:
    """The test points of `a`, then those of `b` (both searched over the same training set)."""
    if a.metric != b.metric:
        raise InvalidArgument(f"cannot join 1-NN summaries of metrics {a.metric} and {b.metric}")
    return NNSummary(
        distance=np.concatenate([a.distance, b.distance]),
        index=np.concatenate([a.index, b.index]),
        neighbour_label=np.concatenate([a.neighbour_label, b.neighbour_label]),
        test_label=np.concatenate([a.test_label, b.test_label]),
        metric=a.metric,
    )


def as_labels(labels: object, what: str) -> np.ndarray:
    """`labels` as a 1-D int64 array; InvalidArgument if they are not integers."""
    array = np.asarray(labels)
    if array.ndim != 1 or not (
        np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_ or array.size == 0
    ):
        raise InvalidArgument(f"{what} must be a 1-D array of integer class ids")
    return array.astype(np.int64)


def _index_key(index: np.ndarray) -> np.ndarray:
    return np.where(index == NO_NEIGHBOUR, np.iinfo(np.int64).max, index)
