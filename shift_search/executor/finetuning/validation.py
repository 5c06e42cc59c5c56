"""Holding out a validation split of the training data, stratified by class and seeded, for
learning-rate selection and early stopping."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shift_search.runtime.errors import InvalidArgument


def validation_split(
    labels: Sequence[int] | np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): `fraction` of each class (at least one row of every
    class with two or more rows), drawn with `seed`; both sorted."""
    if not 0 < fraction < 1:
        raise InvalidArgument(f"validation_fraction must be in (0, 1), not {fraction}")
    array = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for label in np.unique(array):
        rows = np.flatnonzero(array == label)
        if len(rows) < 2:
            continue
        count = min(len(rows) - 1, max(1, round(fraction * len(rows))))
        held.append(rng.choice(rows, size=count, replace=False))
    validation = np.sort(np.concatenate(held)) if held else np.empty(0, dtype=np.int64)
    if len(validation) == 0:
        raise InvalidArgument("too few training rows to hold out a validation split")
    training = np.setdiff1d(np.arange(len(array)), validation)
    return training, validation
