"""Exact, reproducible 1-NN search producing an `NNSummary`.

A fast search (faiss, or torch on CUDA) proposes candidates with approximate distances; every
candidate whose approximate distance could tie with the best is re-measured exactly (float64 sum
of squared differences, rounded to float32), and the winner is the smallest (distance, global
index). The exact distance of a pair depends only on the two feature rows, so the result does not
depend on how the training set was cut into parts: merging per-part summaries with
`nn_summary.merge` gives the single full search bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from shift_search.executor.nearest_neighbour.index import nearest
from shift_search.executor.nearest_neighbour.summary import (
    METRICS,
    Metric,
    NNSummary,
    as_labels,
    empty_summary,
)
from shift_search.executor.proxies.device import DeviceLike
from shift_search.runtime.errors import InvalidArgument

_FIRST_CANDIDATES = 2
_REFINE_BLOCK_BYTES = 64 * 1024 * 1024
_FLOAT32_EPS = 2.0**-24


def nn_search(
    train: np.ndarray,
    train_labels: ArrayLike,
    train_offset: int,
    test: np.ndarray,
    test_labels: ArrayLike,
    metric: Metric,
    *,
    device: DeviceLike = None,
) -> NNSummary:
    """Exact 1-NN of every test row among `train`, whose row i has global index train_offset + i.

    Features may be float16/float32/float64 and are compared in float32 (cosine: after L2
    normalisation). Labels are integer class ids.
    """
    if metric not in METRICS:
        raise InvalidArgument(f"unknown 1-NN metric {metric!r}; known: {', '.join(METRICS)}")
    train_y = as_labels(train_labels, "training labels")
    test_y = as_labels(test_labels, "test labels")
    x_train = comparable_features(train, metric, "training features")
    x_test = comparable_features(test, metric, "test features")
    if len(x_train) != len(train_y) or len(x_test) != len(test_y):
        raise InvalidArgument("features and labels must have the same number of rows")
    if len(x_train) == 0 or len(x_test) == 0:
        return empty_summary(test_y, metric)
    if x_train.shape[1] != x_test.shape[1]:
        raise InvalidArgument(
            f"training features have {x_train.shape[1]} dimensions, test features {x_test.shape[1]}"
        )
    distance, local = exact_nearest(x_train, x_test, device)
    return NNSummary(
        distance=distance,
        index=local + np.int64(train_offset),
        neighbour_label=train_y[local],
        test_label=test_y,
        metric=metric,
    )


def comparable_features(features: np.ndarray, metric: Metric, what: str) -> np.ndarray:
    """Float32 rows as the metric compares them: as they are, or L2-normalised for cosine."""
    array = np.asarray(features)
    if array.ndim != 2:
        raise InvalidArgument(f"{what} must be a 2-D array [rows, dimensions]")
    if not np.isfinite(array).all():
        raise InvalidArgument(f"{what} contain NaN or infinite values")
    if metric == "euclidean":
        return np.ascontiguousarray(array, dtype=np.float32)
    wide = array.astype(np.float64)
    norms = np.sqrt(np.square(wide).sum(axis=1, keepdims=True))
    return np.ascontiguousarray(wide / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def exact_nearest(
    train: np.ndarray, test: np.ndarray, device: DeviceLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per test row the smallest (exact float32 squared distance, training row) pair."""
    n = len(train)
    # Candidates are searched on centred copies: smaller norms make the error window tighter.
    centre = test.mean(axis=0, dtype=np.float64).astype(np.float32)
    near_train, near_test = train - centre, test - centre
    window = _error_window(near_train, near_test)
    distance = np.empty(len(test), np.float32)
    local = np.empty(len(test), np.int64)
    rows = np.arange(len(test))
    k = min(_FIRST_CANDIDATES, n)
    while len(rows):
        approx, candidates = nearest(near_train, near_test[rows], k, device)
        distance[rows], local[rows] = _refine(train, test[rows], candidates)
        if k == n:
            break
        # Where the k-th candidate is still within reach of the best, a tie may lie beyond it.
        rows = rows[approx[:, -1] <= approx[:, 0] + window[rows]]
        k = min(2 * k, n)
    return distance, local


def _error_window(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per test row, how far apart two approximate distances may be while exactly tied.

    Twice a bound on the float32 error of ‖x‖² + ‖y‖² − 2x·y on centred rows (a D-term dot
    product errs by at most D·u·‖x‖‖y‖; centring itself adds ≤ 4u(‖x‖² + ‖y‖²)), plus room for
    rounding the exact distance to float32.
    """
    dims = train.shape[1]
    test_sq = np.square(test.astype(np.float64)).sum(axis=1)
    train_sq_max = float(np.square(train.astype(np.float64)).sum(axis=1).max())
    bound = 4.0 * (dims + 2) * _FLOAT32_EPS * (test_sq + train_sq_max)
    return 2.0 * bound + 1e-30


def _refine(
    train: np.ndarray, test: np.ndarray, candidates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact distances to the candidates; per row the smallest (distance, index)."""
    k, dims = candidates.shape[1], train.shape[1]
    step = max(1, _REFINE_BLOCK_BYTES // (8 * k * dims))
    best_d = np.empty(len(test), np.float32)
    best_i = np.empty(len(test), np.int64)
    for start in range(0, len(test), step):
        block = candidates[start : start + step]
        diff = train[block].astype(np.float64) - test[start : start + step, None, :]
        exact = np.square(diff).sum(axis=2).astype(np.float32)
        low = exact.min(axis=1)
        tied = np.where(exact == low[:, None], block, np.iinfo(np.int64).max)
        best_d[start : start + step] = low
        best_i[start : start + step] = tied.min(axis=1)
    return best_d, best_i
