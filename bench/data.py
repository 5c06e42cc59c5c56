"""Benchmark datasets written to disk once: seeded, shuffled, stratified-by-chance splits of the
offline real data (the CrowdFlower tweets ship sorted by class, so raw slices would be
single-class).

A split is disjoint parts of one seeded permutation, in order: training, test and, when asked for,
a search split (held out from both: what search-vs-enumeration's strategies are tested on, so no
search sees the test set its pick is judged on). A part's rows depend on the sizes of the parts
before it, so its file name carries them all: `<name>-train-800-0`, `<name>-test-800+2000-0`,
`<name>-search-800+2000+500-0` (seed last)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from shift_search.cache.records import DatasetRecord

PARTS = ("train", "test", "search")


def seeded_split(total: int, sizes: Sequence[int], seed: int) -> tuple[np.ndarray, ...]:
    """Disjoint row positions, one array per size, from one seeded permutation of `total` rows."""
    if not sizes or min(sizes) < 1 or sum(sizes) > total:
        parts = " + ".join(f"{n} {part}" for n, part in zip(sizes, PARTS, strict=False))
        raise ValueError(f"cannot split {total} rows into {parts}")
    order = np.random.default_rng(seed).permutation(total)
    ends = np.cumsum(sizes)
    return tuple(order[end - n : end] for n, end in zip(sizes, ends, strict=True))


def part_sizes(train: int, test: int, search: int = 0) -> tuple[int, ...]:
    """A split's part sizes: train, test and, when asked for (search > 0), search."""
    return (train, test, search) if search else (train, test)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """One part's CSV: a header line, then the rows."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def split_paths(
    folder: Path, name: str, sizes: Sequence[int], seed: int, suffix: str, tag: str = ""
) -> tuple[Path, ...]:
    """The files of a split's parts (sizes: train, test[, search]; `tag` marks a variant)."""
    return tuple(
        folder / f"{name}-{part}-{tag}{'+'.join(map(str, sizes[: k + 1]))}-{seed}{suffix}"
        for k, part in enumerate(PARTS[: len(sizes)])
    )


def part_name(path: Path) -> str:
    """A part's dataset name: `<name>-<part>` of its file's name."""
    name, part, _ = path.stem.split("-", 2)
    return f"{name}-{part}"


def tweet_split(
    folder: Path, train: int, test: int, seed: int = 0, search: int = 0
) -> tuple[DatasetRecord, ...]:
    """Disjoint train/test(/search) CSVs (text, sentiment) from a seeded shuffle of all tweets."""
    from shift_search.executor.datasets.reader import read_dataset

    folder.mkdir(parents=True, exist_ok=True)
    sizes = part_sizes(train, test, search)
    paths = split_paths(folder, "tweets", sizes, seed, ".csv")
    if not all(p.exists() for p in paths):
        data = read_dataset(
            "builtin", "tweet_sentiment", input_column="text", label_column="sentiment"
        )
        for path, rows in zip(paths, seeded_split(len(data), sizes, seed), strict=True):
            labelled = ((data.inputs[i], data.classes[data.labels[i]]) for i in rows)
            write_csv(path, ("text", "sentiment"), labelled)
    return tuple(
        DatasetRecord(
            name=part_name(path),
            uri=str(path),
            format="csv",
            input_column="text",
            label_column="sentiment",
        )
        for path in paths
    )
