"""A text model's profiled cost holds for texts as long as the profiling ones; the planner scales
it to the query's texts (and leaves image models and undescribed datasets alone)."""

from __future__ import annotations

import pytest

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.planner.bound import BoundDataset
from shift_search.planner.model_costs import describe_scale, model_cost, text_length_scale
from shift_search.runtime.profile_inputs import (
    PROFILE_TEXT_CHARS,
    PROFILE_TEXT_TOKENS,
    profile_texts,
)


def bound(name: str, size: int, chars: float | None, tokens: float | None = None) -> BoundDataset:
    record = DatasetRecord(
        name=name,
        uri=name,
        format="csv",
        size=size,
        mean_input_chars=chars,
        mean_input_tokens=tokens,
    )
    return BoundDataset(name, record)


def test_profiling_texts_have_the_length_the_planner_assumes() -> None:
    texts = profile_texts()
    assert sum(map(len, texts)) / len(texts) == PROFILE_TEXT_CHARS


def test_scale_is_the_size_weighted_mean_length_over_the_profiling_length() -> None:
    train = bound("train", 3_000, 2 * PROFILE_TEXT_CHARS)
    test = bound("test", 1_000, 6 * PROFILE_TEXT_CHARS)
    assert text_length_scale(train, test) == pytest.approx(3.0)
    assert text_length_scale(train) == pytest.approx(2.0)


def test_tokens_measure_length_where_every_dataset_knows_them() -> None:
    # tweets: 1.3x the profiling texts' characters, but 1.8x their tokens
    train = bound("train", 3_000, 1.3 * PROFILE_TEXT_CHARS, 1.8 * PROFILE_TEXT_TOKENS)
    test = bound("test", 1_000, 1.3 * PROFILE_TEXT_CHARS, 1.8 * PROFILE_TEXT_TOKENS)
    assert text_length_scale(train, test) == pytest.approx(1.8)
    assert "tokens" in describe_scale(1.8, train, test)
    chars_only = bound("old", 1_000, 1.3 * PROFILE_TEXT_CHARS)  # described before tokens
    assert text_length_scale(train, chars_only) == pytest.approx(1.3)
    assert "characters" in describe_scale(1.3, train, chars_only)


def test_scale_is_clipped_and_unknown_lengths_leave_costs_alone() -> None:
    assert text_length_scale(bound("long", 10, 1_000 * PROFILE_TEXT_CHARS)) == 8.0
    assert text_length_scale(bound("tiny", 10, 1.0)) == 0.25
    assert text_length_scale(bound("t", 10, 80.0), bound("undescribed", 10, None)) == 1.0
    assert text_length_scale(bound("empty", 0, None)) == 1.0


def test_only_text_models_are_scaled() -> None:
    text = ModelRecord(name="t", source="huggingface", uri="/t", inference_cost=2.0, load_cost=1.0)
    image = ModelRecord(
        name="i", source="efficientnet", uri="/i", modality="image", inference_cost=2.0
    )
    assert model_cost(text, 1.5).infer_seconds_per_sample == pytest.approx(0.003)
    assert model_cost(text, 1.5).load_seconds == 1.0
    assert model_cost(image, 1.5).infer_seconds_per_sample == pytest.approx(0.002)
