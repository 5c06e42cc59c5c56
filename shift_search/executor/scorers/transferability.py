"""LEEP and NCE: how well a source model's own classifier predicts a target task's labels, from
its softmax outputs θ(x) over the source classes z on the target's training rows (x, y).

- LEEP (Nguyen et al., ICML 2020): the empirical joint P̂(y, z) = 1/n Σ_{i: y_i = y} θ(x_i)_z
  gives P̂(y | z) = P̂(y, z) / Σ_y P̂(y, z); LEEP = 1/n Σ_i log Σ_z P̂(y_i | z) θ(x_i)_z, the mean
  log-likelihood of the "expected empirical predictor". At most 0; higher is better.
- NCE (Tran et al., ICCV 2019): with hard source labels z_i = argmax θ(x_i), the negative
  conditional entropy −H(Y | Z) = Σ_{y,z} P̂(y, z) log P̂(y | z) of the counts. At most 0;
  higher is better.

Both are used as RANK scorers and as proxies (`ORDER BY LEEP`, whose error is −LEEP).
"""

from __future__ import annotations

import numpy as np

from shift_search.executor.nearest_neighbour.summary import as_labels
from shift_search.runtime.errors import InvalidArgument

_TINY = 1e-300  # log's floor: a probability the float16 cache rounded to zero


def leep_score(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """LEEP of source-class `probabilities` [n, Z] (rows sum to 1) for target `labels` [n]."""
    theta, target = _checked(probabilities, labels)
    _, y = np.unique(target, return_inverse=True)
    joint = np.zeros((int(y.max()) + 1, theta.shape[1]))
    np.add.at(joint, y, theta)
    joint /= len(y)
    marginal = joint.sum(axis=0)
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    expected = (theta * conditional[y]).sum(axis=1)
    return float(np.mean(np.log(np.maximum(expected, _TINY))))


def nce_score(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """NCE of the source classes argmax `probabilities` [n, Z] for target `labels` [n]."""
    theta, target = _checked(probabilities, labels)
    _, y = np.unique(target, return_inverse=True)
    z = np.argmax(theta, axis=1)
    joint = np.zeros((int(y.max()) + 1, theta.shape[1]))
    np.add.at(joint, (y, z), 1.0)
    joint /= len(y)
    marginal = joint.sum(axis=0)
    present = joint > 0
    conditional = joint[present] / np.broadcast_to(marginal, joint.shape)[present]
    return float(np.sum(joint[present] * np.log(conditional)))


def _checked(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta = np.asarray(probabilities, dtype=np.float64)
    target = as_labels(labels, "labels")
    if theta.ndim != 2 or len(theta) != len(target) or len(target) == 0:
        raise InvalidArgument("LEEP and NCE need source-class probabilities [n, Z] and n labels")
    if not np.isfinite(theta).all() or (theta < 0).any():
        raise InvalidArgument("source-class probabilities must be finite and non-negative")
    return theta, target
