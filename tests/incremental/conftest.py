"""The incremental tests' tiny world (noisy labels), and pairs of stores that share nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.incremental.support import NOISE, Env
from tests.tiny_world import make_tiny_bert, make_tiny_tokenizer, write_reviews


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    make_tiny_bert(root / "bert-a", seed=0)
    make_tiny_bert(root / "bert-b", seed=3)
    make_tiny_tokenizer(root / "tokenizer-shuffled", seed=1)
    write_reviews(root / "train.csv", 300, seed=0, noise=NOISE)
    write_reviews(root / "extra.csv", 40, seed=5, noise=NOISE)
    write_reviews(root / "test.csv", 90, seed=1, noise=NOISE)
    write_reviews(root / "test-extra.csv", 30, seed=7, noise=NOISE)
    with (root / "relabel.csv").open("w", newline="") as f:  # labels only: a label-only CHANGE
        writer = csv.writer(f)
        writer.writerow(["label"])
        writer.writerows([["neg"] if i % 3 else ["pos"] for i in range(300)])
    with (root / "train.csv").open(newline="") as f:  # a second label column: fixed labels
        rows = list(csv.reader(f))
    with (root / "train-fixed.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*rows[0], "fixed"])
        for i, (text, label) in enumerate(rows[1:]):
            writer.writerow([text, label, ("neg" if label == "pos" else "pos") if i % 4 else label])
    return root


@pytest.fixture
def envs(tmp_path: Path) -> Iterator[tuple[Env, Env]]:
    """(incremental, from scratch): two SQLite stores that share nothing."""
    pair = (
        Env(f"sqlite:///{tmp_path / 'incremental.sqlite3'}"),
        Env(f"sqlite:///{tmp_path / 'scratch.sqlite3'}"),
    )
    yield pair
    for env in pair:
        env.close()
