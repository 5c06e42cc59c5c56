"""LogME (You et al., ICML 2021): the log maximum evidence of a Bayesian linear model on features.

For each class c the one-hot target y_c gets a linear model y = f·w + ε with prior w ~ N(0, α⁻¹I)
and noise ε ~ N(0, β⁻¹); α and β are set by the MacKay fixed-point iteration, and the score is the
per-sample log evidence averaged over classes. Higher is better. SHiFT ranks by error-like values
(lower is better), so `logme_error` returns −score.
"""

from __future__ import annotations

import numpy as np

from shift_search.executor.nearest_neighbour.summary import as_labels
from shift_search.runtime.errors import InvalidArgument

_MAX_ITERATIONS = 11
_TOLERANCE = 1e-3
_EPS = 1e-5


def logme_score(features: np.ndarray, labels: np.ndarray) -> float:
    """The LogME score of `features` [N, D] for integer class `labels` [N] (higher is better)."""
    f = np.asarray(features, dtype=np.float64)
    y = as_labels(labels, "labels")
    if f.ndim != 2 or len(f) != len(y) or len(y) == 0:
        raise InvalidArgument("LogME needs 2-D features with one integer label per row")
    if not np.isfinite(f).all():
        raise InvalidArgument("LogME features contain NaN or infinite values")
    n, dims = f.shape
    one_hot = (y[:, None] == np.unique(y)[None, :]).astype(np.float64)
    sigma, x2 = _spectrum(f, one_hot)
    evidences = [
        _class_evidence(sigma, x2[:, c], float(one_hot[:, c].sum()), n, dims)
        for c in range(one_hot.shape[1])
    ]
    return float(np.mean(evidences))


def logme_error(features: np.ndarray, labels: np.ndarray) -> float:
    """−LogME: the error-like ordering SHiFT sorts by (lower is better)."""
    return -logme_score(features, labels)


def _spectrum(f: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues σ [D] of fᵀf and the squared coordinates [D, C] of each target column along
    the matching left singular vectors of f (zero where σ is zero)."""
    n, dims = f.shape
    if n > dims:  # eigen-decompose the small D×D Gram matrix instead of an N×D SVD
        sigma, v = np.linalg.eigh(f.T @ f)
        sigma = np.clip(sigma, 0.0, None)
        live = sigma > 1e-12 * max(float(sigma.max()), 1e-300)
        scale = np.where(live, 1.0 / np.sqrt(np.where(live, sigma, 1.0)), 0.0)
        return sigma, ((v.T @ (f.T @ targets)) * scale[:, None]) ** 2
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    x2 = np.zeros((dims, targets.shape[1]))
    x2[: len(s)] = (u.T @ targets) ** 2
    return np.concatenate([s**2, np.zeros(dims - len(s))]), x2


def _class_evidence(sigma: np.ndarray, x2: np.ndarray, y_sq: float, n: int, dims: int) -> float:
    """Maximised per-sample log evidence for one one-hot target column (‖y‖² = `y_sq`)."""
    residual_outside = max(y_sq - float(x2.sum()), 0.0)  # part of y outside the span of f
    alpha, beta = 1.0, 1.0
    for _ in range(_MAX_ITERATIONS):
        t = alpha / beta
        gamma = float((sigma / (sigma + t)).sum())
        m2 = float((sigma * x2 / (t + sigma) ** 2).sum())
        res2 = float((x2 / (1.0 + sigma / t) ** 2).sum()) + residual_outside
        alpha = gamma / (m2 + _EPS)
        beta = (n - gamma) / (res2 + _EPS)
        if abs(alpha / beta - t) / t <= _TOLERANCE:
            break
    evidence = (
        dims / 2.0 * np.log(alpha)
        + n / 2.0 * np.log(beta)
        - 0.5 * np.sum(np.log(alpha + beta * sigma))
        - beta / 2.0 * res2
        - alpha / 2.0 * m2
        - n / 2.0 * np.log(2.0 * np.pi)
    )
    return float(evidence / n)
