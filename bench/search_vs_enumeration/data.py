"""Seeded benchmark splits for search-vs-enumeration, written to disk once (`bench.data`'s
parts and names): all the distinct fine-food reviews (CSV) and sklearn's 8x8 digits (.npz)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.data import part_name, part_sizes, seeded_split, split_paths, tweet_split, write_csv
from shift_search.cache.records import DatasetRecord

Splitter = Callable[[Path, int, int, int, int], tuple[DatasetRecord, ...]]
DIGITS_TOTAL = 1797
FINE_FOOD_TOTAL = 4973
"""Distinct reviews in the builtin fine_food_train (4,000 rows) and fine_food_test (1,000): 27
rows repeat an earlier review (7 of them across the two files)."""


def digits_split(
    folder: Path, train: int, test: int, seed: int = 0, search: int = 0
) -> tuple[DatasetRecord, ...]:
    """Disjoint train/test(/search) .npz files (x: uint8 8x8 images, y: digit) of the digits."""
    from shift_search.executor.datasets.reader import read_dataset

    folder.mkdir(parents=True, exist_ok=True)
    sizes = part_sizes(train, test, search)
    paths = split_paths(folder, "digits", sizes, seed, ".npz")
    if not all(p.exists() for p in paths):
        data = read_dataset("builtin", "digits", input_column=None, label_column=None)
        x = np.stack([np.asarray(image, dtype=np.uint8) for image in data.inputs])
        y = np.asarray([data.classes[i] for i in data.labels], dtype=np.int64)
        for path, rows in zip(paths, seeded_split(len(x), sizes, seed), strict=True):
            np.savez(path, x=x[rows], y=y[rows])
    return tuple(_record(p, "numpy", "x", "y") for p in paths)


def fine_food_split(
    folder: Path,
    train: int,
    test: int,
    seed: int = 0,
    search: int = 0,
    max_chars: int | None = None,
) -> tuple[DatasetRecord, ...]:
    """Disjoint train/test(/search) (review, score) CSVs from one seeded shuffle of the 4,973
    distinct reviews (the builtin train and test files pooled, so a test set may exceed the
    builtin test file's 1,000, and no review is in two parts), each review cut to its first
    `max_chars` characters when given."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = part_sizes(train, test, search)
    cut = f"c{max_chars}-" if max_chars else ""
    paths = split_paths(folder, "fine_food", sizes, seed, ".csv", cut)
    if not all(p.exists() for p in paths):
        reviews, scores = _all_fine_food()
        for path, rows in zip(paths, seeded_split(len(reviews), sizes, seed), strict=True):
            labelled = (
                (reviews[i][:max_chars] if max_chars else reviews[i], scores[i]) for i in rows
            )
            write_csv(path, ("review", "score"), labelled)
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
    name: str,
    folder: Path,
    sizes: tuple[int, int, int],
    seed: int,
    max_chars: int | None = None,
) -> tuple[DatasetRecord, ...]:
    """A dataset's seeded train/test/search split (sizes in that order; a search of 0: none).
    Only fine-food reviews are long enough to cut."""
    train, test, search = sizes
    if name == "fine_food":
        return fine_food_split(folder, train, test, seed, search, max_chars)
    return SPLITTERS[name](folder, train, test, seed, search)


def _record(path: Path, fmt: str, inputs: str, labels: str) -> DatasetRecord:
    return DatasetRecord(
        name=part_name(path),
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


def capped(dataset: str, sizes: tuple[int, int, int]) -> tuple[int, int, int]:
    """Train/test/search sizes within what the source holds (digits: 1,797 rows, all scaled
    down; fine food: 4,973 distinct reviews, test and search kept, training given the rest)."""
    train, test, search = sizes
    if dataset == "fine_food" and train + test + search > FINE_FOOD_TOTAL:
        return max(FINE_FOOD_TOTAL - test - search, 1), test, search
    if dataset == "digits" and train + test + search > DIGITS_TOTAL:
        scale = DIGITS_TOTAL / (train + test + search)
        return int(train * scale), int(test * scale), int(search * scale)
    return sizes
