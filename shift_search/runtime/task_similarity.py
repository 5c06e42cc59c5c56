"""Task2Vec's parameters and distance (Achille et al., "Task2Vec: Task Embedding for
Meta-Learning", ICCV 2019), torch-free: the planner computes the distance matrix of embeddings the
executors stored (`executor/task2vec`), and both sides send and key embeddings by the same
parameters.

An embedding is the diagonal of the Fisher information of a probe network's weights on a
dataset, averaged per filter (one value per output unit of each layer). Two tasks are compared by
the paper's symmetric distance, the cosine distance of the embeddings after each coordinate is
normalised by their sum: d(Fa, Fb) = d_cos(Fa / (Fa + Fb), Fb / (Fa + Fb)). It is 0 on the
diagonal, symmetric, and between 0 and 1 (both normalised vectors are non-negative).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from shift_search.runtime.errors import InvalidArgument

TASK2VEC_PARAMS: Mapping[str, Any] = MappingProxyType(
    {"samples": 1000, "head_steps": 200, "lr": 0.01, "batch_size": 32, "seed": 0}
)
"""What the planner sends with every Task2Vec task (and what keys its result): at most
`samples` rows of the dataset (spread over its segments), the probe's new classifier head
fitted for `head_steps` full-batch Adam steps at `lr`, Fisher gradients in batches of
`batch_size`, labels sampled with `seed`."""

EPSILON = 1e-8
"""Added to Fa + Fb before dividing, as the authors' code does (filters both tasks ignore)."""


def normalised_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The paper's symmetric Task2Vec distance of two embeddings of one probe."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise InvalidArgument(
            f"embeddings of different shapes {a.shape} and {b.shape}: not of one probe"
        )
    total = a + b + EPSILON
    x, y = a / total, b / total
    norms = float(np.linalg.norm(x) * np.linalg.norm(y))
    if norms == 0.0:
        return 0.0
    return float(min(1.0, max(0.0, 1.0 - float(x @ y) / norms)))


def distance_matrix(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Pairwise distances [n, n]: symmetric, with a zero diagonal."""
    n = len(embeddings)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = normalised_cosine(embeddings[i], embeddings[j])
    return out


def embedding_to_bytes(embedding: np.ndarray, samples: int, classes: int) -> bytes:
    """How an embedding is stored: an .npz of the float32 vector and what it was computed on."""
    out = io.BytesIO()
    np.savez(
        out,
        embedding=np.asarray(embedding, np.float32),
        samples=np.int64(samples),
        classes=np.int64(classes),
    )
    return out.getvalue()


def embedding_from_bytes(blob: bytes) -> tuple[np.ndarray, int, int]:
    """(embedding, samples, classes) from `embedding_to_bytes`; InvalidArgument if corrupt."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            embedding = np.asarray(stored["embedding"], np.float32)
            return embedding, int(stored["samples"]), int(stored["classes"])
    except (OSError, ValueError, KeyError) as error:
        raise InvalidArgument(f"not a stored Task2Vec embedding: {error}") from error
