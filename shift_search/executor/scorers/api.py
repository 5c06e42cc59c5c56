"""What a scorer is, for built-ins and third-party plug-ins alike (NumPy only: a plug-in needs
neither torch nor any other part of SHiFT).

A plug-in is a distribution with an entry point in the `shift.scorers` group whose name is the
scorer's name (what `RANK … BY "<name>"` says) and whose object is a `Scorer`, or a plain
function from `ScorerInputs` to a float (read as `Scorer(name, function)`):

    [project.entry-points."shift.scorers"]
    margin = "my_scorers:margin"

    # my_scorers.py
    from shift_search.executor.scorers.api import Scorer, ScorerInputs

    def _margin(inputs: ScorerInputs) -> float:  # higher is better
        ...

    margin = Scorer("margin", _margin, "mean distance between class centroids")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shift_search.runtime.scorer_names import Inputs


def _never() -> bool:
    return False


@dataclass(frozen=True)
class ScorerInputs:
    """What a scorer reads, as arrays: rows of the training data, and of the test data when the
    query gave TESTED ON (else None). Rows are the model's features [n, D] for a scorer whose
    `inputs` is "features", the softmax outputs of the model's own classifier [n, Z] for
    "head", and empty [n, 0] for "none"; labels are integer class ids [n]."""

    train: np.ndarray
    train_labels: np.ndarray
    test: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    identity: str = ""
    """The model's key and the data's fingerprints: a stable seed for a scorer that needs one."""
    should_stop: Callable[[], bool] = _never
    """True once the task is cancelled: a long scorer checks it and returns early."""


ScoreFunction = Callable[[ScorerInputs], float]


@dataclass(frozen=True)
class Scorer:
    """A named score of a model on a task; `score` returns a float where higher is better."""

    name: str
    score: ScoreFunction
    description: str = ""
    inputs: Inputs = "features"
    needs_test: bool = False
    """Whether the scorer needs TESTED ON data; it is refused a task without any."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """What it computes with (part of each result's key); a plug-in's is its version."""
