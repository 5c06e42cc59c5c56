"""The builtin real datasets load offline with their known sizes."""

from __future__ import annotations

import pytest

from shift_search.executor.datasets.reader import read_dataset

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("name", "size", "classes"),
    [
        ("fine_food_train", 4000, ("great", "other")),
        ("fine_food_test", 1000, ("great", "other")),
        ("tweet_sentiment", 38158, ("negative", "neutral", "positive")),
        ("digits", 1797, tuple(range(10))),
    ],
)
def test_builtin_sizes_and_classes(name: str, size: int, classes: tuple[object, ...]) -> None:
    data = read_dataset("builtin", name, input_column=None, label_column=None)
    assert len(data) == size and data.classes == classes
    assert set(data.labels.tolist()) == set(range(len(classes)))


def test_trump_tweets_label_the_device() -> None:
    data = read_dataset("builtin", "trump_tweets", input_column=None, label_column=None)
    assert len(data) == 20761 and "Twitter for Android" in data.classes
    assert all(isinstance(text, str) for text in data.inputs[:100])


def test_fine_food_split_names_pick_the_builtin_and_fingerprints_are_stable() -> None:
    first = read_dataset("builtin", "fine_food", input_column=None, label_column=None, split="test")
    again = read_dataset("builtin", "fine_food_test", input_column="review", label_column="score")
    assert len(first) == 1000 and first.fingerprint == again.fingerprint
