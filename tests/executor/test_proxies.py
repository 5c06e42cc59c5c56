"""The proxy registry: names, parameters with aliases, errors that name the culprit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shift_search.executor.nearest_neighbour.knn import knn_error
from shift_search.executor.nearest_neighbour.search import nn_search
from shift_search.executor.proxies.linear_probe import linear_probe_error
from shift_search.executor.proxies.logme import logme_score
from shift_search.executor.proxies.registry import PROXIES, ProxyInputs, ProxyResult, get_proxy
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.proxy_names import EXECUTOR_PROXIES, SECONDS_PER_TEST_SAMPLE

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def compute_proxy(
    name: str, tx: np.ndarray, ty: np.ndarray, vx: np.ndarray, vy: np.ndarray, **params: object
) -> ProxyResult:
    """A proxy computed as the score task computes it: looked up by name, run on inputs."""
    return get_proxy(name).compute_on(ProxyInputs((tx, ty), (vx, vy)), params)


@pytest.fixture(scope="module")
def data() -> Data:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 160)
    x = (rng.normal(0, 2, (3, 8))[labels] + rng.normal(0, 1, (160, 8))).astype(np.float32)
    return x[:120], labels[:120], x[120:], labels[120:]


def test_registry_holds_the_canonical_names() -> None:
    assert set(PROXIES) == {"euclidean_nn", "cosine_nn", "knn", "linear", "logme", "leep", "nce"}
    assert set(PROXIES) == set(EXECUTOR_PROXIES)  # what the planner binds queries against
    assert set(SECONDS_PER_TEST_SAMPLE) <= set(PROXIES)  # the cost model prices only these
    assert get_proxy("Cosine_NN").name == "cosine_nn"
    assert PROXIES["euclidean_nn"].mergeable and not PROXIES["linear"].mergeable
    assert {n for n, p in PROXIES.items() if p.inputs == "head"} == {"leep", "nce"}


def test_each_proxy_matches_its_implementation(data: Data) -> None:
    tx, ty, vx, vy = data
    expected = {
        "euclidean_nn": nn_search(tx, ty, 0, vx, vy, "euclidean").error(),
        "cosine_nn": nn_search(tx, ty, 0, vx, vy, "cosine").error(),
        "knn": knn_error(tx, ty, vx, vy, 5),
        "linear": linear_probe_error(tx, ty, vx, vy),
        "logme": -logme_score(tx, ty),
    }
    for name, error in expected.items():
        result = compute_proxy(name, tx, ty, vx, vy)
        assert result.error == pytest.approx(error)
        assert result.cost_seconds >= 0


def test_parameters_accept_aliases_and_report_canonical_names(data: Data) -> None:
    tx, ty, vx, vy = data
    result = compute_proxy("linear", tx, ty, vx, vy, learning_rate=0.05, num_epochs="20")
    assert result.params == {"lr": 0.05, "epochs": 20, "optimizer": "sgd", "seed": 0}
    assert result.error == pytest.approx(linear_probe_error(tx, ty, vx, vy, lr=0.05, epochs=20))
    knn = compute_proxy("knn", tx, ty, vx, vy, k=3.0, metric="COSINE")
    assert knn.params == {"k": 3, "metric": "cosine"}


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("bogus", {}, "unknown proxy 'bogus'; known proxies: euclidean_nn, cosine_nn, knn"),
        ("linear", {"momentum": 0.9}, "no parameter 'momentum'; known parameters: lr, epochs"),
        ("linear", {"lr": 0}, "parameter lr"),
        ("linear", {"epochs": 2.5}, "parameter epochs"),
        ("linear", {"lr": 0.1, "learning_rate": 0.2}, "given twice"),
        ("knn", {"k": True}, "parameter k"),
        ("knn", {"metric": "manhattan"}, "parameter metric"),
        ("logme", {"k": 3}, "known parameters: none"),
    ],
)
def test_bad_names_and_parameters_are_invalid(
    data: Data, name: str, params: dict[str, Any], message: str
) -> None:
    tx, ty, vx, vy = data
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(")):
        compute_proxy(name, tx, ty, vx, vy, **params)
