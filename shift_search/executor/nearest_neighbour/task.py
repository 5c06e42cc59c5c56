"""1-NN error, incrementally: one stored search per (training block, test block) pair.

Blocks are chunks (or the leading part of a chunk) of a segment, keyed by content: row positions
and input digests, never labels. A pair's stored summary keeps, per test point, the squared
distance and the segment row of its nearest training point. The error is then assembled by
merging pairs by minimum (ties to the smaller global index) and relabelling with the current
labels. So a new model runs only its own pairs, appended data searches only new blocks, a
changed test set searches only new test blocks, and a label change searches nothing at all: each
path gives bit for bit the from-scratch result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shift_search.cache import keys
from shift_search.executor.datasets.segments import Segment
from shift_search.executor.features.store import Block
from shift_search.executor.nearest_neighbour.search import nn_search
from shift_search.executor.nearest_neighbour.summary import (
    NO_NEIGHBOUR,
    NNSummary,
    concat_test,
    merge,
)
from shift_search.runtime.errors import InvalidArgument

Features = Callable[[Segment, np.ndarray], np.ndarray]
Lookup = Callable[[list[str]], list[bytes | None]]
Store = Callable[[dict[str, bytes]], None]


@dataclass
class PairStats:
    searched: int = 0
    reused: int = 0


def nn_error(
    model_key: str,
    train: list[Block],
    test: list[Block],
    metric: str,
    features: Features,
    lookup: Lookup,
    store: Store,
    stats: PairStats | None = None,
) -> NNSummary:
    """The merged, relabelled 1-NN summary of the test blocks against the training blocks."""
    if not train:
        raise InvalidArgument("the training selection is empty")
    stats = stats or PairStats()
    train_fps = [b.fingerprint for b in train]
    loaded: dict[int, np.ndarray] = {}  # training features, read at most once per task

    def train_features(i: int) -> np.ndarray:
        if i not in loaded:
            loaded[i] = features(train[i].segment, train[i].rows)
        return loaded[i]

    parts = []
    test_fps = [b.fingerprint for b in test]
    all_keys = [[keys.nn_pair(model_key, fp, t, metric) for fp in train_fps] for t in test_fps]
    everything = lookup([k for row in all_keys for k in row])  # one round trip for all pairs
    for t, test_block in enumerate(test):
        pair_keys = all_keys[t]
        found = everything[t * len(train) : (t + 1) * len(train)]
        merged: NNSummary | None = None
        test_x: np.ndarray | None = None
        for i, (block, key, raw) in enumerate(zip(train, pair_keys, found, strict=True)):
            if raw is None:
                if test_x is None:
                    test_x = features(test_block.segment, test_block.rows)
                summary = _search(block, train_features(i), test_x, metric)
                store({key: summary.to_bytes()})
                stats.searched += 1
            else:
                summary = NNSummary.from_bytes(raw)
                stats.reused += 1
            summary = _globalise(summary, block.segment.offset)
            merged = summary if merged is None else merge(merged, summary)
        assert merged is not None
        parts.append(_relabel(merged, train, test_block))
    out = parts[0]
    for part in parts[1:]:
        out = concat_test(out, part)
    return out


def _search(block: Block, train_x: np.ndarray, test_x: np.ndarray, metric: str) -> NNSummary:
    """Search one pair; the stored index is the training point's row in its segment."""
    zeros = np.zeros(len(block.rows), np.int64)
    local = nn_search(train_x, zeros, 0, test_x, np.zeros(len(test_x), np.int64), metric)  # type: ignore[arg-type]
    index = local.index.copy()
    valid = index != NO_NEIGHBOUR
    index[valid] = block.rows[index[valid]]
    return NNSummary(local.distance, index, local.neighbour_label, local.test_label, local.metric)


def _globalise(summary: NNSummary, offset: int) -> NNSummary:
    index = summary.index.copy()
    index[index != NO_NEIGHBOUR] += offset
    return NNSummary(
        summary.distance, index, summary.neighbour_label, summary.test_label, summary.metric
    )


def _relabel(summary: NNSummary, train: list[Block], test_block: Block) -> NNSummary:
    """Current labels: of each neighbour (by global index) and of each test point."""
    segments = {id(b.segment): b.segment for b in train}.values()
    total = max(s.offset + s.size for s in segments)
    labels = np.full(total, -1, dtype=np.int64)
    for segment in segments:
        labels[segment.offset : segment.offset + segment.size] = segment.data.labels
    neighbour = np.where(summary.index == NO_NEIGHBOUR, -1, labels[summary.index])
    test_labels = test_block.segment.data.labels[test_block.rows]
    return NNSummary(summary.distance, summary.index, neighbour, test_labels, summary.metric)
