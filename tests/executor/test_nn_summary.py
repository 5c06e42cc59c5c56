"""1-NN summaries: exactness against brute force, merge invariance, joined test blocks. Label
changes (relabelling stored summaries) are tested end to end in tests/incremental/test_paths.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shift_search.executor.nearest_neighbour.search import nn_search
from shift_search.executor.nearest_neighbour.summary import (
    Metric,
    NNSummary,
    concat_test,
    empty_summary,
    merge,
)
from shift_search.runtime.errors import InvalidArgument

METRICS: tuple[Metric, ...] = ("euclidean", "cosine")
COLUMNS = ("distance", "index", "neighbour_label", "test_label")


def same(a: NNSummary, b: NNSummary) -> bool:
    """Bit-for-bit equality of every column and the metric."""
    return a.metric == b.metric and all(
        np.array_equal(getattr(a, name), getattr(b, name)) for name in COLUMNS
    )


def brute_force(train: np.ndarray, test: np.ndarray, metric: Metric) -> np.ndarray:
    """Index of the nearest training row per test row, by float64 distances."""
    a, b = train.astype(np.float64), test.astype(np.float64)
    if metric == "cosine":
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
    d = ((b[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    return np.argmin(d, axis=1)


def blobs(
    rng: np.random.Generator, n: int, dims: int = 12, classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, classes, n)
    centres = rng.normal(0, 2, (classes, dims))
    return (centres[labels] + rng.normal(0, 1, (n, dims))).astype(np.float32), labels


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_search_matches_brute_force(metric: Metric, dtype: type) -> None:
    rng = np.random.default_rng(0)
    train, train_y = blobs(rng, 300)
    test, test_y = blobs(rng, 120)
    train, test = train.astype(dtype), test.astype(dtype)
    summary = nn_search(train, train_y, 1000, test, test_y, metric)
    expected = brute_force(train, test, metric)
    assert np.array_equal(summary.index, expected + 1000)
    assert np.array_equal(summary.neighbour_label, train_y[expected])
    assert summary.error() == pytest.approx(np.mean(train_y[expected] != test_y))
    assert summary.distance.dtype == np.float32


def test_error_is_share_of_mismatched_labels() -> None:
    train = np.array([[0.0], [10.0]], np.float32)
    test = np.array([[1.0], [9.0], [8.0], [-3.0]], np.float32)
    summary = nn_search(train, np.array([0, 1]), 0, test, np.array([0, 1, 0, 1]), "euclidean")
    assert summary.index.tolist() == [0, 1, 1, 0]
    assert summary.error() == 0.5


def test_ties_go_to_the_smaller_global_index() -> None:
    point = np.array([[1.0, 2.0]], np.float32)
    train = np.repeat(point, 20, axis=0)
    summary = nn_search(train, np.arange(20), 5, point, np.array([0]), "euclidean")
    assert summary.index.tolist() == [5]
    assert summary.distance.tolist() == [0.0]


def chunked_search(
    train: np.ndarray,
    labels: np.ndarray,
    test: np.ndarray,
    test_y: np.ndarray,
    metric: Metric,
    cuts: np.ndarray,
    rng: np.random.Generator,
) -> NNSummary:
    bounds = [0, *cuts.tolist(), len(train)]
    parts = [
        nn_search(train[lo:hi], labels[lo:hi], lo, test, test_y, metric)
        for lo, hi in itertools.pairwise(bounds)
    ]
    result = empty_summary(test_y, metric)
    for position in rng.permutation(len(parts)):
        part = parts[position]
        result = merge(part, result) if rng.random() < 0.5 else merge(result, part)
    return result


@pytest.mark.parametrize("metric", METRICS)
def test_merged_chunks_equal_full_search_bit_for_bit(metric: Metric) -> None:
    rng = np.random.default_rng(1)
    base, base_y = blobs(rng, 150, dims=24)
    # duplicated training points, some of them also in the test set, force exact ties
    train = np.concatenate([base, base[:40], base[10:30], base[:5] * 3.0]).astype(np.float32)
    labels = np.concatenate([base_y, rng.integers(0, 3, 65)])
    test = np.concatenate([base[:25], blobs(rng, 60, dims=24)[0]])
    test_y = rng.integers(0, 3, len(test))
    full = nn_search(train, labels, 0, test, test_y, metric)
    for _ in range(8):
        cuts = np.sort(rng.choice(np.arange(1, len(train)), rng.integers(1, 12), replace=False))
        merged = chunked_search(train, labels, test, test_y, metric, cuts, rng)
        assert same(merged, full)
        assert np.array_equal(merged.distance, full.distance)


def test_joined_test_blocks_equal_one_search_of_both() -> None:
    rng = np.random.default_rng(3)
    train, train_y = blobs(rng, 200)
    test, test_y = blobs(rng, 90)
    extra, extra_y = blobs(rng, 30)
    joined = concat_test(
        nn_search(train, train_y, 0, test, test_y, "cosine"),
        nn_search(train, train_y, 0, extra, extra_y, "cosine"),
    )
    both = (np.concatenate([test, extra]), np.concatenate([test_y, extra_y]))
    assert same(joined, nn_search(train, train_y, 0, *both, "cosine"))


def test_bytes_round_trip() -> None:
    rng = np.random.default_rng(4)
    train, train_y = blobs(rng, 50)
    summary = nn_search(train, train_y, 7, train[:13], train_y[:13], "cosine")
    blob = summary.to_bytes()
    assert len(blob) < 13 * 28 + 32
    assert same(NNSummary.from_bytes(blob), summary)
    with pytest.raises(InvalidArgument):
        NNSummary.from_bytes(blob[:-1])


def test_empty_training_part_is_merge_identity() -> None:
    rng = np.random.default_rng(5)
    train, train_y = blobs(rng, 40)
    summary = nn_search(train, train_y, 0, train[:9], train_y[:9], "euclidean")
    empty = nn_search(train[:0], train_y[:0], 0, train[:9], train_y[:9], "euclidean")
    assert same(merge(empty, summary), summary)
    assert same(merge(summary, empty), summary)
    assert empty.error() == 1.0


def test_bad_inputs_are_invalid_arguments() -> None:
    x = np.zeros((3, 2), np.float32)
    with pytest.raises(InvalidArgument, match="metric"):
        nn_search(x, [0, 1, 0], 0, x, [0, 1, 0], "manhattan")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="dimensions"):
        nn_search(x, [0, 1, 0], 0, np.zeros((2, 3)), [0, 1], "euclidean")
    with pytest.raises(InvalidArgument, match="NaN"):
        nn_search(x, [0, 1, 0], 0, np.full((1, 2), np.nan), [0], "euclidean")
    summary = nn_search(x, [0, 1, 0], 0, x, [0, 1, 0], "euclidean")
    with pytest.raises(InvalidArgument, match="merge"):
        merge(summary, nn_search(x, [0, 1, 0], 0, x[:2], [0, 1], "euclidean"))
