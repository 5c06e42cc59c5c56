"""The proxies SHiFT computes, by canonical name, with how people write them.

The one list both sides share without importing torch: the planner binds the proxies of a query
against it, and the executor's registry (`executor/proxies/registry.py`) must hold exactly
these.
"""

from __future__ import annotations

from collections.abc import Mapping

EXECUTOR_PROXIES: Mapping[str, str] = {
    "euclidean_nn": "Euclidean NN",
    "cosine_nn": "Cosine NN",
    "knn": "kNN",
    "linear": "Linear",
    "logme": "LogME",
}
"""Proxies an executor computes from features (canonical name → spelling)."""

PLANNER_PROXIES: Mapping[str, str] = {"finetune": "FineTune"}
"""Rankings the planner runs itself (ORDER BY FineTune(...): successive halving over epochs)."""

PROXY_NAMES: Mapping[str, str] = {**EXECUTOR_PROXIES, **PLANNER_PROXIES}
"""Every proxy a query may name."""
