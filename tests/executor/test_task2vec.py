"""Task2Vec's pieces: the per-filter Fisher diagonal of a small real network, its estimator
against the exact expectation, the distance (symmetric, zero diagonal, in [0, 1]) and storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch

from shift_search.executor.features.extract import extract_features
from shift_search.executor.task2vec.fisher import (
    filterwise,
    fit_head,
    probe_weights,
    task_embedding,
)
from shift_search.executor.task2vec.task import resolved, spread
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument
from shift_search.runtime.task_similarity import (
    distance_matrix,
    embedding_from_bytes,
    embedding_to_bytes,
    normalised_cosine,
)


class TinyProbe:
    """A real `Encoder`: an embedding table, then two linear layers and a layer norm."""

    modality = "image"
    device = torch.device("cpu")
    dimension = 4

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.net = torch.nn.ModuleDict(
            {
                "table": torch.nn.Embedding(10, 3),
                "first": torch.nn.Linear(3, 5),
                "norm": torch.nn.LayerNorm(5),
                "second": torch.nn.Linear(5, 4),
                "unused": torch.nn.Linear(4, 2),
            }
        )

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return {"ids": torch.tensor([int(i) for i in inputs])}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = torch.relu(self.net["first"](self.net["table"](batch["ids"])))
        out: torch.Tensor = self.net["second"](self.net["norm"](hidden))
        return out

    def trainable(self) -> torch.nn.Module:
        return self.net

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def embed(probe: TinyProbe, inputs: list[int], labels: np.ndarray, **kw: Any) -> np.ndarray:
    params = {"head_steps": 50, "lr": 0.05, "batch_size": 4, "seed": 0, **kw}
    return task_embedding(probe, inputs, labels, probe.embed(inputs), **params)


def test_one_value_per_filter_of_the_weights_the_forward_pass_uses() -> None:
    probe = TinyProbe()
    inputs = list(range(10)) * 3
    labels = np.array([i % 2 for i in inputs])
    embedding = embed(probe, inputs, labels)
    # first: 5 outputs, norm: 5 channels, second: 4 outputs; no table, nothing unused
    assert embedding.shape == (14,) and embedding.dtype == np.float32
    assert (embedding >= 0).all() and embedding.sum() > 0
    assert np.array_equal(embedding, embed(probe, inputs, labels))  # seeded: the same again
    assert all(p.requires_grad for p in probe.net.parameters())  # flags put back


def test_filterwise_averages_all_but_the_first_dimension() -> None:
    fisher = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    assert filterwise(fisher).tolist() == [5.5, 17.5]
    assert filterwise(torch.tensor([1.0, 3.0])).tolist() == [1.0, 3.0]
    weights = probe_weights(TinyProbe().net)
    assert [tuple(w.shape) for w in weights] == [(5, 3), (5,), (4, 5), (2, 4)]


def exact_fisher(probe: TinyProbe, inputs: list[int], head: torch.nn.Linear) -> np.ndarray:
    """The per-filter Fisher diagonal E_x Σ_y p(y|x) (∂ log p(y|x) / ∂w)², label by label."""
    weights = probe_weights(probe.net)[:3]  # the unused layer gets no gradient
    exact = [torch.zeros_like(w) for w in weights]
    for i in inputs:
        logits = head(probe.forward({"ids": torch.tensor([i])}))
        probabilities = torch.softmax(logits, -1).detach()[0]
        for y in range(2):
            log_p = torch.log_softmax(logits, -1)[0, y]
            grads = torch.autograd.grad(log_p, weights, retain_graph=True)
            for e, g in zip(exact, grads, strict=True):
                e += probabilities[y] * g**2 / len(inputs)
    return np.concatenate([filterwise(e) for e in exact])


def test_the_estimate_is_unbiased_for_the_fisher_diagonal() -> None:
    """With labels sampled from the model (not the dataset's), a row's squared gradient
    estimates its Fisher diagonal: over the ten inputs repeated 40 times (one gradient per row,
    where the variance is smallest; larger batches add cross terms of mean zero), the estimate
    is close to the exact diagonal of the fitted head."""
    probe = TinyProbe()
    inputs = list(range(10)) * 40
    labels = np.array([i % 2 for i in inputs])
    features = probe.embed(inputs)
    params = {"head_steps": 20, "lr": 0.05, "seed": 0}
    estimate = task_embedding(probe, inputs, labels, features, batch_size=1, **params)
    head = fit_head(features, labels, 2, steps=20, lr=0.05, seed=0)
    exact = exact_fisher(probe, list(range(10)), head)
    assert np.abs(estimate - exact).sum() < 0.1 * exact.sum()


def test_a_single_class_has_no_task_to_embed() -> None:
    with pytest.raises(FailedPrecondition, match="two classes"):
        embed(TinyProbe(), [1, 2, 3], np.zeros(3, np.int64))


def test_the_distance_is_the_papers_normalised_cosine() -> None:
    rng = np.random.default_rng(0)
    a, b, c = (rng.random(20) for _ in range(3))
    matrix = distance_matrix([a, b, c, 3.0 * a])
    assert matrix.shape == (4, 4)
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 0.0)
    assert ((matrix >= 0) & (matrix <= 1)).all()
    assert matrix[0, 3] == pytest.approx(0.0, abs=1e-9)  # proportional embeddings: one task
    x, y = a / (a + b + 1e-8), b / (a + b + 1e-8)
    cosine = 1 - x @ y / (np.linalg.norm(x) * np.linalg.norm(y))
    assert normalised_cosine(a, b) == pytest.approx(cosine)
    with pytest.raises(InvalidArgument, match="not of one probe"):
        normalised_cosine(a, a[:5])


def test_embeddings_are_stored_whole_and_read_back() -> None:
    embedding = np.arange(7, dtype=np.float32)
    assert [
        np.asarray(v).tolist() for v in embedding_from_bytes(embedding_to_bytes(embedding, 40, 3))
    ] == [
        embedding.tolist(),
        40,
        3,
    ]
    with pytest.raises(InvalidArgument, match="not a stored Task2Vec embedding"):
        embedding_from_bytes(b"junk")


def test_parameters_and_rows_per_segment() -> None:
    assert resolved({"samples": 10.0})["samples"] == 10
    with pytest.raises(InvalidArgument, match="no parameter 'epochs'"):
        resolved({"epochs": 3})
    with pytest.raises(InvalidArgument, match="lr"):
        resolved({"lr": 0})
    assert spread([100, 50, 50], 1000) == [100, 50, 50]
    assert spread([100, 50, 50], 11) == [5, 3, 3]  # 5.5, 2.75, 2.75: largest remainders
    assert sum(spread([7, 7, 7], 10)) == 10
