"""Seeded benchmark splits for search-vs-enumeration, written to disk once: a disjoint train/test
split of all the fine-food reviews (CSV) and of sklearn's 8x8 digits (.npz)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.data import tweet_split
from shift_search.cache.records import DatasetRecord

Splitter = Callable[[Path, int, int, int], tuple[DatasetRecord, ...]]
DIGITS_TOTAL = 1797
FINE_FOOD_TOTAL = 4973
"""Distinct reviews in the builtin fine_food_train (4,000 rows) and fine_food_test (1,000): 27
rows repeat an earlier review (7 of them across the two files)."""


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
    """Disjoint train/test (review, score) CSVs from one seeded shuffle of the 4,973 distinct
    reviews (the builtin train and test files pooled, so a test set may exceed the builtin test
    file's 1,000, and no review is in both), each review cut to its first `max_chars` characters
    when given. The test file's name carries both sizes: its rows depend on how many the
    training set took first."""
    folder.mkdir(parents=True, exist_ok=True)
    cut = f"c{max_chars}-" if max_chars else ""
    paths = (
        folder / f"fine_food-train-{cut}{train}-{seed}.csv",
        folder / f"fine_food-test-{cut}{train}+{test}-{seed}.csv",
    )
    if not all(p.exists() for p in paths):
        reviews, scores = _all_fine_food()
        for path, rows in zip(paths, seeded_split(len(reviews), train, test, seed), strict=True):
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["review", "score"])
                for i in rows:
                    writer.writerow(
                        [reviews[i][:max_chars] if max_chars else reviews[i], scores[i]]
                    )
    return tuple(_record(p, "csv", "review", "score") for p in paths)


def _all_fine_food() -> tuple[list[str], list[str]]:
    """Every distinct review and its score, in order: the builtin train file's rows, then the
    test file's, a repeated review kept where it first appears."""
    from shift_search.executor.datasets.reader import read_dataset

    scores: dict[str, str] = {}
    for part in ("fine_food_train", "fine_food_test"):
        data = read_dataset("builtin", part, input_column="review", label_column="score")
        for text, label in zip(data.inputs, data.labels, strict=True):
            scores.setdefault(str(text), str(data.classes[label]))
    return list(scores), list(scores.values())


def split(
    name: str, folder: Path, train: int, test: int, seed: int, max_chars: int | None = None
) -> tuple[DatasetRecord, ...]:
    """A dataset's seeded train/test split (only fine-food reviews are long enough to cut)."""
    if name == "fine_food":
        return fine_food_split(folder, train, test, seed, max_chars)
    return SPLITTERS[name](folder, train, test, seed)


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
    """Sizes within what the source holds (digits: 1,797 rows, both scaled down; fine food:
    4,973 distinct reviews, the test set kept and training given the rest)."""
    if dataset == "fine_food" and train + test > FINE_FOOD_TOTAL:
        return FINE_FOOD_TOTAL - min(test, FINE_FOOD_TOTAL - 1), min(test, FINE_FOOD_TOTAL - 1)
    if dataset == "digits" and train + test > DIGITS_TOTAL:
        scale = DIGITS_TOTAL / (train + test)
        return int(train * scale), int(test * scale)
    return train, test
