"""Benchmark datasets written to disk once: seeded, shuffled, stratified-by-chance splits of the
offline real data (the CrowdFlower tweets ship sorted by class, so raw slices would be
single-class)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from shift_search.cache.records import DatasetRecord


def tweet_split(folder: Path, train: int, test: int, seed: int = 0) -> tuple[DatasetRecord, ...]:
    """Disjoint train/test CSVs (text, sentiment) drawn from a seeded shuffle of all tweets; the
    test file's name carries both sizes, since its rows depend on how many training took first."""
    from shift_search.executor.datasets.reader import read_dataset

    folder.mkdir(parents=True, exist_ok=True)
    paths = (
        folder / f"tweets-train-{train}-{seed}.csv",
        folder / f"tweets-test-{train}+{test}-{seed}.csv",
    )
    if not all(p.exists() for p in paths):
        data = read_dataset(
            "builtin", "tweet_sentiment", input_column="text", label_column="sentiment"
        )
        order = np.random.default_rng(seed).permutation(len(data))
        for path, rows in zip(paths, (order[:train], order[train : train + test]), strict=True):
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["text", "sentiment"])
                for i in rows:
                    writer.writerow([data.inputs[i], data.classes[data.labels[i]]])
    return tuple(
        DatasetRecord(
            name=path.stem.rsplit("-", 2)[0],
            uri=str(path),
            format="csv",
            input_column="text",
            label_column="sentiment",
        )
        for path in paths
    )
