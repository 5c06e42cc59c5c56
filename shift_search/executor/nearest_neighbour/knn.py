"""k-nearest-neighbour error for k > 1: majority vote among the k nearest, ties to the nearest."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from shift_search.executor.nearest_neighbour.index import nearest
from shift_search.executor.nearest_neighbour.search import comparable_features
from shift_search.executor.nearest_neighbour.summary import Metric, as_labels
from shift_search.executor.proxies.device import DeviceLike
from shift_search.runtime.errors import InvalidArgument


def knn_predict(
    train: np.ndarray,
    train_labels: ArrayLike,
    test: np.ndarray,
    k: int,
    metric: Metric = "euclidean",
    *,
    device: DeviceLike = None,
) -> np.ndarray:
    """Predicted label per test row: the most frequent label among its k nearest training rows;
    among equally frequent labels, the one whose first occurrence is nearest."""
    labels = as_labels(train_labels, "training labels")
    x_train = comparable_features(train, metric, "training features")
    x_test = comparable_features(test, metric, "test features")
    if len(x_train) != len(labels):
        raise InvalidArgument("training features and labels must have the same number of rows")
    if k < 1 or k > len(x_train):
        raise InvalidArgument(
            f"k must be between 1 and the {len(x_train)} training points, not {k}"
        )
    if len(x_test) == 0:
        return np.zeros(0, np.int64)
    _, neighbours = nearest(x_train, x_test, k, device)
    return majority_vote(labels[neighbours])


def majority_vote(votes: np.ndarray) -> np.ndarray:
    """Per row of `votes` (labels ordered nearest first) the winning label."""
    winners = np.empty(len(votes), votes.dtype)
    step = max(1, 2**24 // max(1, votes.shape[1] ** 2))
    for start in range(0, len(votes), step):
        block = votes[start : start + step]
        counts = (block[:, :, None] == block[:, None, :]).sum(axis=2)
        first_best = np.argmax(counts == counts.max(axis=1, keepdims=True), axis=1)
        winners[start : start + step] = block[np.arange(len(block)), first_best]
    return winners


def knn_error(
    train: np.ndarray,
    train_labels: ArrayLike,
    test: np.ndarray,
    test_labels: ArrayLike,
    k: int,
    metric: Metric = "euclidean",
    *,
    device: DeviceLike = None,
) -> float:
    """Share of test rows whose k-NN majority label differs from their own (0 if no test rows)."""
    truth = as_labels(test_labels, "test labels")
    predicted = knn_predict(train, train_labels, test, k, metric, device=device)
    if len(truth) != len(predicted):
        raise InvalidArgument("test features and labels must have the same number of rows")
    return float(np.mean(predicted != truth)) if len(truth) else 0.0
