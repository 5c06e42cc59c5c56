"""Seeded benchmark splits for search-vs-enumeration, written to disk once: a subsample of the
fine-food reviews (CSV) and a disjoint train/test split of sklearn's 8x8 digits (.npz)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.data import tweet_split
from shift_search.cache.records import DatasetRecord

Splitter = Callable[[Path, int, int, int], tuple[DatasetRecord, ...]]
DIGITS_TOTAL = 1797
FINE_FOOD_TOTAL = {"train": 4000, "test": 1000}


def seeded_split(total: int, train: int, test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint train/test row positions from one seeded permutation of `total` rows."""
    if train < 1 or test < 1 or train + test > total:
        raise ValueError(f"cannot split {total} rows into {train} train + {test} test")
    order = np.random.default_rng(seed).permutation(total)
    return order[:train], order[train : train + test]


def digits_split(folder: Path, train: int, test: int, seed: int = 0) -> tuple[DatasetRecord, ...]:
    """Disjoint train/test .npz files (x: uint8 8x8 images, y: digit) of the builtin digits."""
    from shift_search.executor.datasets.reader import read_dataset

    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / f"digits-train-{train}-{seed}.npz", folder / f"digits-test-{test}-{seed}.npz"
    if not all(p.exists() for p in paths):
        data = read_dataset("builtin", "digits", input_column=None, label_column=None)
        x = np.stack([np.asarray(image, dtype=np.uint8) for image in data.inputs])
        y = np.asarray([data.classes[i] for i in data.labels], dtype=np.int64)
        for path, rows in zip(paths, seeded_split(len(x), train, test, seed), strict=True):
            np.savez(path, x=x[rows], y=y[rows])
    return tuple(_record(p, "numpy", "x", "y") for p in paths)


def fine_food_split(
    folder: Path, train: int, test: int, seed: int = 0, max_chars: int | None = None
) -> tuple[DatasetRecord, ...]:
    """Seeded subsamples of builtin fine_food_train / fine_food_test as (review, score) CSVs,
    each review cut to its first `max_chars` characters when given."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    cut = f"c{max_chars}-" if max_chars else ""
    for split, size in (("train", train), ("test", test)):
        path = folder / f"fine_food-{split}-{cut}{size}-{seed}.csv"
        if not path.exists():
            _write_fine_food(path, split, size, seed, max_chars)
        out.append(_record(path, "csv", "review", "score"))
    return tuple(out)


def split(
    name: str, folder: Path, train: int, test: int, seed: int, max_chars: int | None = None
) -> tuple[DatasetRecord, ...]:
    """A dataset's seeded train/test split (only fine-food reviews are long enough to cut)."""
    if name == "fine_food":
        return fine_food_split(folder, train, test, seed, max_chars)
    return SPLITTERS[name](folder, train, test, seed)


def _write_fine_food(
    path: Path, split: str, size: int, seed: int, max_chars: int | None = None
) -> None:
    from shift_search.executor.datasets.reader import read_dataset

    data = read_dataset(
        "builtin", f"fine_food_{split}", input_column="review", label_column="score"
    )
    rows = np.random.default_rng(seed).permutation(len(data))[:size]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "score"])
        for i in rows:
            text = str(data.inputs[i])
            writer.writerow([text[:max_chars] if max_chars else text, data.classes[data.labels[i]]])


def _record(path: Path, fmt: str, inputs: str, labels: str) -> DatasetRecord:
    return DatasetRecord(
        name=path.stem.split("-", 2)[0] + "-" + path.stem.split("-", 2)[1],
        uri=str(path),
        format=fmt,
        input_column=inputs,
        label_column=labels,
    )


SPLITTERS: dict[str, Splitter] = {
    "fine_food": fine_food_split,
    "tweets": tweet_split,
    "digits": digits_split,
}
MODALITY = {"fine_food": "text", "tweets": "text", "digits": "image"}


def capped(dataset: str, train: int, test: int) -> tuple[int, int]:
    """Sizes within what the source holds (digits: 1,797 rows; fine food: 4,000 / 1,000)."""
    if dataset == "fine_food":
        return min(train, FINE_FOOD_TOTAL["train"]), min(test, FINE_FOOD_TOTAL["test"])
    if dataset == "digits" and train + test > DIGITS_TOTAL:
        scale = DIGITS_TOTAL / (train + test)
        return int(train * scale), int(test * scale)
    return train, test
