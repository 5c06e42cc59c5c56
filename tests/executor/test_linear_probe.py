"""Linear probe: separable data is learnt, random labels stay at chance, runs are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from shift_search.executor.proxies.linear_probe import Optimizer, linear_probe_error
from shift_search.runtime.errors import Cancelled, InvalidArgument


def blobs(
    rng: np.random.Generator, n: int, classes: int, shift: float = 6.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = rng.integers(0, classes, n)
    centres = rng.normal(0, shift, (classes, 16))
    return (centres[labels] + rng.normal(0, 1, (n, 16))).astype(np.float32), labels, centres


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_separable_blobs_reach_near_zero_error(optimizer: Optimizer) -> None:
    rng = np.random.default_rng(0)
    train, train_y, centres = blobs(rng, 300, 4)
    test_y = rng.integers(0, 4, 200)
    test = (centres[test_y] + rng.normal(0, 1, (200, 16))).astype(np.float32)
    lr = 0.1 if optimizer == "sgd" else 0.05
    error = linear_probe_error(train, train_y + 10, test, test_y + 10, lr=lr, optimizer=optimizer)
    assert error <= 0.02


def test_random_labels_stay_near_chance() -> None:
    rng = np.random.default_rng(1)
    train = rng.normal(size=(200, 16)).astype(np.float32)
    test = rng.normal(size=(600, 16)).astype(np.float32)
    error = linear_probe_error(train, rng.integers(0, 2, 200), test, rng.integers(0, 2, 600))
    assert 0.4 <= error <= 0.6


def test_seeded_runs_are_deterministic_and_unseen_labels_count_as_errors() -> None:
    rng = np.random.default_rng(2)
    train, train_y, _ = blobs(rng, 100, 3, shift=1.0)
    first = linear_probe_error(train, train_y, train, train_y, epochs=20, seed=3)
    assert linear_probe_error(train, train_y, train, train_y, epochs=20, seed=3) == first
    assert linear_probe_error(train, train_y, train[:5], np.full(5, 99)) == 1.0


def test_bad_hyperparameters_are_invalid() -> None:
    x = np.zeros((4, 2), np.float32)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(InvalidArgument, match="optimizer"):
        linear_probe_error(x, y, x, y, optimizer="lbfgs")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="lr"):
        linear_probe_error(x, y, x, y, lr=-1.0)


def test_a_stop_request_ends_training_with_cancelled() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 2, 40)
    checks: list[int] = []

    def stop_on_second_check() -> bool:
        checks.append(1)
        return len(checks) > 1

    with pytest.raises(Cancelled):
        linear_probe_error(x, y, x, y, epochs=10_000, should_stop=stop_on_second_check)
    assert len(checks) == 2  # checked every STOP_CHECK_EVERY steps, not every step
