"""LogME: informative features rank above noise; the error is −score."""

from __future__ import annotations

import numpy as np
import pytest

from shift_search.executor.proxies.logme import logme_error, logme_score
from shift_search.runtime.errors import InvalidArgument


@pytest.mark.parametrize(("n", "dims"), [(400, 24), (40, 64)])
def test_informative_features_score_above_noise(n: int, dims: int) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, n)
    informative = rng.normal(0, 2, (3, dims))[labels] + rng.normal(0, 1, (n, dims))
    weak = rng.normal(0, 0.3, (3, dims))[labels] + rng.normal(0, 1, (n, dims))
    noise = rng.normal(0, 1, (n, dims))
    scores = [logme_score(f, labels) for f in (informative, weak, noise)]
    assert scores[0] > scores[1] > scores[2]
    assert logme_error(informative, labels) == -scores[0]


def test_bad_inputs_are_invalid() -> None:
    with pytest.raises(InvalidArgument):
        logme_score(np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(InvalidArgument):
        logme_score(np.full((2, 2), np.nan), np.array([0, 1]))
