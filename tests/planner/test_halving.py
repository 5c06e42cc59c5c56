"""Successive-halving schedule, AUTO parameters, elimination and slicing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shift_search.planner.halving import (
    Schedule,
    auto_chunk,
    eliminate,
    make_schedule,
    minimal_budget,
    proportional_slices,
    rounds,
)
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument


def auto_parameters(num_models: int, train_size: int) -> tuple[int, int]:
    """BUDGET AUTO and CHUNK AUTO as the planner picks them: B = M · L, C = ceil(N / Σ R_k)."""
    budget = minimal_budget(num_models)
    return budget, auto_chunk(num_models, budget, train_size)


def total_pulls(schedule: Schedule) -> int:
    """Pulls a schedule spends: Σ_k S_k · r_k."""
    return sum(s * r for s, r in zip(schedule.survivors, schedule.pulls, strict=True))


@pytest.mark.parametrize(
    ("num_models", "expected"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (64, 6), (65, 7), (235, 8)]
)
def test_rounds_is_ceil_log2_with_one_round_for_one_model(num_models: int, expected: int) -> None:
    assert rounds(num_models) == expected


def test_rounds_rejects_an_empty_pool() -> None:
    with pytest.raises(InvalidArgument):
        rounds(0)


def test_hand_worked_schedule_four_models_budget_eight() -> None:
    # L = 2; S = [4, 2]; r_0 = 8 // (4 * 2) = 1, r_1 = 8 // (2 * 2) = 2; R = [1, 3].
    schedule = make_schedule(num_models=4, budget=8, chunk=10, train_size=1_000)
    assert schedule.num_rounds == 2
    assert schedule.survivors == (4, 2)
    assert schedule.pulls == (1, 2)
    assert schedule.cumulative_pulls == (1, 3)
    assert schedule.samples == (10, 30)
    assert total_pulls(schedule) == 4 * 1 + 2 * 2
    assert [schedule.keep_after(k) for k in range(2)] == [2, 1]
    assert [schedule.new_samples(k) for k in range(2)] == [10, 20]


def test_sst2_schedule_matches_the_authors_rule() -> None:
    schedule = make_schedule(num_models=65, budget=455, chunk=399, train_size=67_349)
    assert schedule.survivors == (65, 33, 17, 9, 5, 3, 2)
    assert schedule.pulls == (1, 1, 3, 7, 13, 21, 32)
    assert schedule.cumulative_pulls == (1, 2, 5, 12, 25, 46, 78)
    assert schedule.samples == tuple(399 * r for r in schedule.cumulative_pulls)
    assert total_pulls(schedule) <= schedule.budget
    assert schedule.keep_after(schedule.num_rounds - 1) == 1


def test_samples_are_capped_at_the_training_set() -> None:
    schedule = make_schedule(num_models=4, budget=8, chunk=600, train_size=1_000)
    assert schedule.samples == (600, 1_000)
    assert schedule.new_samples(1) == 400


@pytest.mark.parametrize(
    ("num_models", "train_size", "expected"),
    [
        (65, 8_551, (455, 51)),  # CoLA
        (65, 67_349, (455, 399)),  # SST-2
        (235, 50_000, (1_880, 112)),  # CIFAR-100
        (235, 1_020, (1_880, 3)),  # Flowers: the reference's C = 3 needs M = 235
    ],
)
def test_auto_parameters_reproduce_the_published_queries(
    num_models: int, train_size: int, expected: tuple[int, int]
) -> None:
    assert auto_parameters(num_models, train_size) == expected


def test_flowers_with_the_nlp_pool_size_gives_another_chunk() -> None:
    # Σ R_k = 169 for M = 65, so ceil(1,020 / 169) = 7, not the published 3.
    assert auto_parameters(65, 1_020) == (455, 7)


def test_auto_chunk_covers_the_training_set_across_rounds() -> None:
    budget, chunk = auto_parameters(65, 67_349)
    schedule = make_schedule(65, budget, chunk, 67_349)
    assert chunk * sum(schedule.cumulative_pulls) >= 67_349
    assert (chunk - 1) * sum(schedule.cumulative_pulls) < 67_349


def test_auto_chunk_for_a_larger_budget_is_smaller() -> None:
    assert auto_chunk(65, 910, 67_349) < auto_chunk(65, 455, 67_349)


def test_single_model_scores_on_everything_in_one_round() -> None:
    budget, chunk = auto_parameters(1, 500)
    schedule = make_schedule(1, budget, chunk, 500)
    assert (budget, chunk) == (1, 500)
    assert schedule.survivors == (1,)
    assert schedule.samples == (500,)


def test_budget_below_minimum_names_the_minimum() -> None:
    assert minimal_budget(65) == 455
    with pytest.raises(FailedPrecondition, match="455"):
        make_schedule(num_models=65, budget=454, chunk=10, train_size=1_000)


def test_minimal_budget_gives_everyone_one_pull_first() -> None:
    schedule = make_schedule(num_models=235, budget=minimal_budget(235), chunk=1, train_size=10)
    assert schedule.pulls[0] == 1
    assert all(r >= 1 for r in schedule.pulls)


@pytest.mark.parametrize("chunk", [0, -5])
def test_non_positive_chunk_is_invalid(chunk: int) -> None:
    with pytest.raises(InvalidArgument):
        make_schedule(num_models=4, budget=8, chunk=chunk, train_size=100)


def test_auto_parameters_need_training_data() -> None:
    with pytest.raises(InvalidArgument):
        auto_parameters(4, 0)


def test_eliminate_keeps_lowest_errors_ties_by_name() -> None:
    scores = {"d": 0.3, "b": 0.1, "c": 0.1, "a": 0.5, "e": math.nan}
    assert eliminate(scores, 2) == ["b", "c"]
    assert eliminate(scores, 4) == ["b", "c", "d", "a"]
    assert eliminate(scores, 10) == ["b", "c", "d", "a", "e"]
    assert eliminate(scores, 0) == []


def test_eliminate_ignores_insertion_order() -> None:
    scores = {f"m{i}": (i % 3) / 10 for i in range(12)}
    reversed_scores = dict(reversed(list(scores.items())))
    assert eliminate(scores, 5) == eliminate(reversed_scores, 5)


def test_eliminate_rejects_negative_keep() -> None:
    with pytest.raises(InvalidArgument):
        eliminate({"a": 0.1}, -1)


def test_proportional_slices_follow_segment_sizes() -> None:
    assert proportional_slices([600, 300, 100], 100) == [60, 30, 10]
    assert proportional_slices([1, 1, 1], 2) == [1, 1, 0]  # equal remainders: earlier first
    assert proportional_slices([500, 500], 5_000) == [500, 500]
    assert proportional_slices([0, 10], 4) == [0, 4]
    assert proportional_slices([], 4) == []
    assert proportional_slices([0, 0], 4) == [0, 0]
    # a small segment may give nothing; the executor then takes none of it (0 is not "all")
    assert proportional_slices([3_000, 3_000, 10], 300) == [150, 150, 0]
    assert proportional_slices([1_000_000, 4_000], 100) == [100, 0]


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=8),
    samples=st.integers(min_value=0, max_value=30_000),
)
def test_proportional_slices_sum_exactly_and_respect_quotas(sizes: list[int], samples: int) -> None:
    shares = proportional_slices(sizes, samples)
    total = sum(sizes)
    wanted = min(samples, total)
    assert sum(shares) == wanted
    for share, size in zip(shares, sizes, strict=True):
        assert 0 <= share <= size
        assert abs(share * total - wanted * size) < max(total, 1)  # within one of its quota


def test_proportional_slices_reject_negative_counts() -> None:
    with pytest.raises(InvalidArgument):
        proportional_slices([10, -1], 3)
