"""The scorers SHiFT ships: LEEP and NCE on the source model's own classifier, LogME and kNN on
features, random. Each matches its entry in `runtime/scorer_names.BUILTIN_SCORERS` (what the
planner binds and prices), which `registry.py` checks when it loads."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from shift_search.executor.nearest_neighbour.knn import knn_error
from shift_search.executor.proxies.logme import logme_score
from shift_search.executor.scorers.api import Scorer, ScorerInputs
from shift_search.executor.scorers.transferability import leep_score, nce_score
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.scorer_names import BUILTIN_SCORERS, KNN, LEEP, LOGME, NCE, RANDOM

_KNN = BUILTIN_SCORERS[KNN].params


def _leep(inputs: ScorerInputs) -> float:
    return leep_score(inputs.train, inputs.train_labels)


def _nce(inputs: ScorerInputs) -> float:
    return nce_score(inputs.train, inputs.train_labels)


def _logme(inputs: ScorerInputs) -> float:
    return logme_score(inputs.train, inputs.train_labels)


def _knn(inputs: ScorerInputs) -> float:
    if inputs.test is None or inputs.test_labels is None:
        raise FailedPrecondition("scorer kNN needs TESTED ON data")
    k = min(int(_KNN["k"]), len(inputs.train))
    error = knn_error(
        inputs.train, inputs.train_labels, inputs.test, inputs.test_labels, k, _KNN["metric"]
    )
    return 1.0 - error


def _random(inputs: ScorerInputs) -> float:
    """A uniform number in [0, 1), the same for the same model and data (its identity)."""
    digest = hashlib.sha256(inputs.identity.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _scorer(name: str, score: Scorer) -> Scorer:
    info = BUILTIN_SCORERS[name]
    return Scorer(name, score.score, info.description, info.inputs, info.needs_test, info.params)


BUILTINS: Mapping[str, Scorer] = {
    name: _scorer(name, Scorer(name, function))
    for name, function in (
        (LEEP, _leep),
        (NCE, _nce),
        (LOGME, _logme),
        (KNN, _knn),
        (RANDOM, _random),
    )
}
