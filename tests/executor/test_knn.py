"""k-NN majority vote against a NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shift_search.executor.nearest_neighbour import index as knn_index
from shift_search.executor.nearest_neighbour.knn import knn_error, knn_predict, majority_vote
from shift_search.executor.nearest_neighbour.summary import Metric
from shift_search.runtime.errors import InvalidArgument


def reference_predict(
    train: np.ndarray, labels: np.ndarray, test: np.ndarray, k: int, metric: Metric
) -> np.ndarray:
    a, b = train.astype(np.float64), test.astype(np.float64)
    if metric == "cosine":
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
    order = np.argsort(((b[:, None, :] - a[None, :, :]) ** 2).sum(-1), axis=1, kind="stable")
    predictions = []
    for row in labels[order[:, :k]]:
        counts = {label: int((row == label).sum()) for label in row}
        best = max(counts.values())
        predictions.append(next(label for label in row if counts[label] == best))
    return np.array(predictions)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("k", [3, 4, 10])
def test_knn_matches_numpy_reference(metric: Metric, k: int) -> None:
    rng = np.random.default_rng(k)
    labels = rng.integers(0, 4, 250)
    train = (rng.normal(0, 1.5, (4, 10))[labels] + rng.normal(0, 1, (250, 10))).astype(np.float32)
    test = rng.normal(0, 1.5, (90, 10)).astype(np.float32)
    test_y = rng.integers(0, 4, 90)
    expected = reference_predict(train, labels, test, k, metric)
    assert np.array_equal(knn_predict(train, labels, test, k, metric), expected)
    assert knn_error(train, labels, test, test_y, k, metric) == pytest.approx(
        np.mean(expected != test_y)
    )


def test_vote_ties_go_to_the_nearest_label() -> None:
    votes = np.array([[2, 1, 1, 2], [5, 6, 7, 8], [3, 4, 4, 4]])
    assert majority_vote(votes).tolist() == [2, 5, 4]


def test_k_out_of_range_is_invalid() -> None:
    x = np.zeros((3, 2), np.float32)
    with pytest.raises(InvalidArgument, match="k must be"):
        knn_predict(x, np.array([0, 1, 0]), x, 4)


def test_torch_search_agrees_with_faiss() -> None:
    """The CUDA fallback (torch) path, run on CPU, finds the same neighbours as faiss."""
    rng = np.random.default_rng(7)
    train = rng.normal(size=(300, 12)).astype(np.float32)
    test = rng.normal(size=(50, 12)).astype(np.float32)
    faiss_d, faiss_i = knn_index._faiss_cpu(train, test, 5)
    torch_d, torch_i = knn_index._torch(train, test, 5, torch.device("cpu"))
    assert np.array_equal(faiss_i, torch_i)
    assert np.allclose(faiss_d, torch_d, rtol=1e-4, atol=1e-4)
