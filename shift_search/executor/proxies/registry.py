"""The registry of proxies: canonical name → how to compute an error-like score from features.

Every proxy returns an error in the sense "lower is better": 1-NN / k-NN / linear-probe test error,
−LogME for LogME, −LEEP and −NCE for LEEP and NCE. LEEP and NCE read the softmax outputs of the
model's own classifier instead of its features (`inputs="head"`): `scorers/task.run_head_proxy`
computes them, with the same code as the RANK scorers of those names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from shift_search.executor.nearest_neighbour.knn import knn_error
from shift_search.executor.nearest_neighbour.search import nn_search
from shift_search.executor.nearest_neighbour.summary import METRICS, Metric
from shift_search.executor.proxies.device import DeviceLike
from shift_search.executor.proxies.linear_probe import OPTIMIZERS, linear_probe_error
from shift_search.executor.proxies.logme import logme_error
from shift_search.executor.proxies.params import (
    Param,
    ParamValue,
    choice,
    positive_float,
    positive_int,
    resolve_params,
    whole_number,
)
from shift_search.executor.scorers.transferability import leep_score, nce_score
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.proxy_names import (
    COSINE_NN,
    EUCLIDEAN_NN,
    EXECUTOR_PROXIES,
    KNN,
    LEEP,
    LINEAR,
    LOGME,
    NCE,
)


@dataclass(frozen=True)
class ProxyInputs:
    """Features and integer labels of both sets, and where to compute."""

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    device: DeviceLike = None
    should_stop: Callable[[], bool] | None = None  # checked by the proxies that train


Runner = Callable[[ProxyInputs, Mapping[str, Any]], float]


@dataclass(frozen=True)
class ProxyResult:
    """An error-like score (lower is better), what it cost, and the canonical parameters used."""

    error: float
    cost_seconds: float
    params: dict[str, ParamValue]


@dataclass(frozen=True)
class Proxy:
    """A named proxy: its parameters and how to run it."""

    name: str
    description: str
    params: tuple[Param, ...]
    run: Runner
    mergeable: bool = False  # per-chunk summaries merge (1-NN): see nn_summary
    inputs: Literal["features", "head"] = "features"
    """What the proxy reads: the model's features, or its own classifier's predictions."""

    def resolve(self, params: Mapping[str, object]) -> dict[str, ParamValue]:
        """Canonical parameters (aliases resolved, defaults filled); InvalidArgument if bad."""
        return resolve_params(self.name, self.params, params)

    def compute_on(self, data: ProxyInputs, params: Mapping[str, object]) -> ProxyResult:
        """Run the proxy on prepared inputs with (not yet resolved) parameters."""
        resolved = self.resolve(params)
        start = time.perf_counter()
        error = self.run(data, resolved)
        return ProxyResult(error=error, cost_seconds=time.perf_counter() - start, params=resolved)


def _nn(metric: Metric) -> Runner:
    def run(data: ProxyInputs, _: Mapping[str, Any]) -> float:
        return nn_search(*data.train, 0, *data.test, metric, device=data.device).error()

    return run


def _knn(data: ProxyInputs, p: Mapping[str, Any]) -> float:
    return knn_error(*data.train, *data.test, p["k"], p["metric"], device=data.device)


def _linear(data: ProxyInputs, p: Mapping[str, Any]) -> float:
    hyper = {name: p[name] for name in ("lr", "epochs", "optimizer", "seed")}
    return linear_probe_error(
        *data.train, *data.test, device=data.device, should_stop=data.should_stop, **hyper
    )


def _logme(data: ProxyInputs, _: Mapping[str, Any]) -> float:
    return logme_error(*data.train)


def _leep(data: ProxyInputs, _: Mapping[str, Any]) -> float:
    return -leep_score(*data.train)


def _nce(data: ProxyInputs, _: Mapping[str, Any]) -> float:
    return -nce_score(*data.train)


_REGISTRY: tuple[Proxy, ...] = (
    Proxy(EUCLIDEAN_NN, "1-NN test error, Euclidean distance", (), _nn("euclidean"), True),
    Proxy(COSINE_NN, "1-NN test error, cosine distance", (), _nn("cosine"), True),
    Proxy(
        KNN,
        "k-NN majority-vote test error",
        (
            Param("k", 5, positive_int, doc="number of neighbours"),
            Param("metric", "euclidean", choice(*METRICS), aliases=("distance",)),
        ),
        _knn,
    ),
    Proxy(
        LINEAR,
        "linear-probe test error (full-batch, standardised features)",
        (
            Param("lr", 0.1, positive_float, aliases=("learning_rate",)),
            Param("epochs", 100, positive_int, aliases=("num_epochs",)),
            Param("optimizer", "sgd", choice(*OPTIMIZERS)),
            Param("seed", 0, whole_number),
        ),
        _linear,
    ),
    Proxy(LOGME, "−LogME evidence (LogME on training features only)", (), _logme),
    Proxy(
        LEEP, "−LEEP of the model's own classifier on the training data", (), _leep, inputs="head"
    ),
    Proxy(NCE, "−NCE of the source classifier on the training data", (), _nce, inputs="head"),
)

PROXIES: Mapping[str, Proxy] = {proxy.name: proxy for proxy in _REGISTRY}
if set(PROXIES) != set(EXECUTOR_PROXIES):  # the planner binds names against that list
    raise RuntimeError(
        f"proxy registry {sorted(PROXIES)} differs from runtime.proxy_names "
        f"{sorted(EXECUTOR_PROXIES)}"
    )


def get_proxy(name: str) -> Proxy:
    """The proxy called `name` (any case); InvalidArgument listing the known ones if none."""
    proxy = PROXIES.get(name.lower())
    if proxy is None:
        raise InvalidArgument(f"unknown proxy {name!r}; known proxies: {', '.join(PROXIES)}")
    return proxy
