"""The AO cost model: formulas by hand, cached work, and the SH decision in known regimes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shift_search.planner.costmodel import (
    PAPER_CONSTANTS,
    CachedWork,
    CostConstants,
    ModelCost,
    cost_with_sh,
    cost_with_sh_paper,
    cost_without_sh,
    decide,
    estimate_steps,
)
from shift_search.planner.halving import make_schedule
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument

# Inference ms per sample of the paper's 65 NLP models (data/paper_nlp_pool_65.csv, 2017 GPU).
PAPER_NLP_MS = (
    18, 17, 21, 22, 59, 18, 21, 19, 21, 19, 19, 55, 21, 21, 21, 17, 6, 21, 19, 19, 19, 21, 21,
    19, 17, 13, 19, 21, 19, 18, 20, 17, 22, 17, 17, 18, 19, 19, 19, 20, 19, 20, 21, 19, 19, 17,
    17, 21, 21, 19, 21, 17, 17, 19, 21, 2, 17, 17, 18, 21, 21, 17, 21, 21, 19,
)  # fmt: skip
PAPER_POOL = [ModelCost(load_seconds=2.0, infer_seconds_per_sample=ms / 1e3) for ms in PAPER_NLP_MS]
# BERT-base on a current GPU: about 19,000 sequences/s (BENCHMARKS.md), 2 s to load.
MODERN_POOL = [ModelCost(load_seconds=2.0, infer_seconds_per_sample=1 / 19_000)] * 65
SST2 = (67_349, 872)
VTAB = (800, 200)

# A small pool for hand computations: mean load 2 s, mean inference 0.02 s per sample.
SMALL = [ModelCost(1.0, 0.01), ModelCost(3.0, 0.03), ModelCost(1.0, 0.01), ModelCost(3.0, 0.03)]
SMALL_SCHEDULE = make_schedule(num_models=4, budget=8, chunk=10, train_size=1_000)  # 10, 30


PAPER = PAPER_CONSTANTS  # the hand computations below use the paper's T_O = 0.8, T_load = 0.7


def test_without_sh_matches_hand_computation() -> None:
    # (T_O + T_load + L + I (N_tr + N_te) + T_proxy N_te): 0.8 + 0.7 + L + 1,100 I + 0.5 (one
    # load per task: the task embeds both splits; the paper charges 2 L).
    per_cheap, per_dear = 0.8 + 0.7 + 1 + 11 + 0.5, 0.8 + 0.7 + 3 + 33 + 0.5
    cost = cost_without_sh(SMALL, 1_000, 100, "linear", devices=1, constants=PAPER)
    assert cost == pytest.approx(2 * per_cheap + 2 * per_dear)
    four = cost_without_sh(SMALL, 1_000, 100, "linear", devices=4, constants=PAPER)
    assert four == pytest.approx(cost / 4)


@pytest.mark.parametrize(("devices", "expected"), [(1, 34.0), (2, 17.0), (8, 10.8)])
def test_paper_sh_formula_matches_hand_computation(devices: int, expected: float) -> None:
    # Test set: Σ I_i N_te = 8 over min(D, 4) devices.
    # Round 0: 4 · (0.7 + 2 + 0.02 · 10 + 0.5 + 0.8) = 16.8 over min(D, 4) devices.
    # Round 1: 2 · (0.7 + 2 + 0.02 · 30 + 0.5 + 0.8) = 9.2 over min(D, 2) devices.
    cost = cost_with_sh_paper(SMALL, 1_000, 100, "linear", devices, SMALL_SCHEDULE, PAPER)
    assert cost == pytest.approx(expected)


def test_our_sh_embeds_only_new_whole_storage_chunks_each_round() -> None:
    # Storage chunks of 10 rows: round 0's 10 samples are one whole cached chunk, so round 1
    # embeds 20 new samples, not 30: 2 · (4.0 + 0.02 · 20) = 8.8.
    tens = replace(PAPER, storage_chunk=10)
    cost = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, constants=tens)
    assert cost == pytest.approx(8.0 + 16.8 + 8.8)
    assert cost < cost_with_sh_paper(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, PAPER)


def test_our_sh_re_embeds_the_partial_storage_chunk_of_the_last_round() -> None:
    # Storage chunks of 1,024 rows: round 0's 10 samples are part of a chunk, so round 1 embeds
    # all 30 again, as the paper's formula charges: 2 · (4.0 + 0.02 · 30) = 9.2.
    cost = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, constants=PAPER)
    assert cost == pytest.approx(8.0 + 16.8 + 9.2)
    # Chunks of 8: round 0 leaves one whole chunk (8 rows) cached; round 1 embeds 30 − 8 = 22.
    eights = replace(PAPER, storage_chunk=8)
    cost = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, constants=eights)
    assert cost == pytest.approx(8.0 + 16.8 + 2 * (4.0 + 0.02 * 22))


def test_fully_cached_results_cost_nothing() -> None:
    done = [CachedWork(proxy_done=True)] * 4
    assert cost_without_sh(SMALL, 1_000, 100, "linear", 1, done) == 0.0
    assert cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, done) == 0.0
    decision = decide(SMALL, 1_000, 100, "linear", 1, done)
    assert not decision.use_sh
    assert decision.cost_without_sh == 0.0


def test_cached_features_skip_loading_and_embedding() -> None:
    embedded = [CachedWork(train_samples=1_000, test_samples=100)] * 4
    # Only T_O + T_proxy N_te per task remain (the paper prices no reading of features).
    cost = cost_without_sh(SMALL, 1_000, 100, "linear", 1, embedded, PAPER)
    assert cost == pytest.approx(4 * 1.3)
    # Reading them is priced with our constants: T_lookup per cached sample, 1,100 per task.
    ours = CostConstants()
    cost = cost_without_sh(SMALL, 1_000, 100, "linear", 1, embedded, ours)
    per_task = ours.task_overhead + 1_100 * ours.lookup_per_sample + 5e-3 * 100
    assert cost == pytest.approx(4 * per_task)


def test_a_slice_shorter_than_a_cached_chunk_is_embedded_again() -> None:
    # The executor keys the leading part of a chunk by its own rows: all 1,000 samples cached
    # (one chunk) do not hold round 0's 10 or round 1's 30, which are embedded, and loaded for.
    embedded = [CachedWork(train_samples=1_000, test_samples=100)] * 4
    sh = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, embedded, PAPER)
    round_0 = 4 * (1.3 + 0.7 + 2 + 0.02 * 10)
    round_1 = 2 * (1.3 + 0.7 + 2 + 0.02 * 30)
    assert sh == pytest.approx(round_0 + round_1)
    # ... while whole chunks are reused: chunks of 10 rows hold both slices.
    tens = replace(PAPER, storage_chunk=10)
    sh = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, embedded, tens)
    assert sh == pytest.approx((4 + 2) * 1.3)


def test_auto_reads_cached_features_in_one_pass_rather_than_halving_over_them() -> None:
    """Issue 12: SH over cached features was chosen (estimated 1.6 s) and took 9.0 s, where a
    full pass from the cache took 0.4 s: priced honestly, AUTO takes the full pass."""
    pool = [ModelCost(2.0, 0.05)] * 8
    embedded = [CachedWork(train_samples=4_000, test_samples=1_000)] * 8
    decision = decide(pool, 4_000, 1_000, "cosine_nn", 1, embedded)
    assert not decision.use_sh
    assert decision.cost_without_sh < decision.cost_with_sh


def test_partly_cached_training_features_save_their_inference() -> None:
    cached = [CachedWork(train_samples=500), CachedWork(), CachedWork(), CachedWork()]
    full = cost_without_sh(SMALL, 1_000, 100, "linear", 1, constants=PAPER)
    cost = cost_without_sh(SMALL, 1_000, 100, "linear", 1, cached, PAPER)
    assert cost == pytest.approx(full - 5.0)


def test_cached_first_round_slices_are_not_re_embedded() -> None:
    cached = [CachedWork(train_samples=10)] * 4
    full = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, constants=PAPER)
    # Round 0 still loads (the test set is missing) but embeds no training sample.
    saved = 4 * 0.02 * 10
    cost = cost_with_sh(SMALL, 1_000, 100, "linear", 1, SMALL_SCHEDULE, cached, PAPER)
    assert cost == pytest.approx(full - saved)


def test_sh_chosen_for_sst2_with_the_papers_costs() -> None:
    decision = decide(PAPER_POOL, *SST2, "cosine_nn", devices=1)
    assert decision.use_sh
    assert (decision.budget, decision.chunk) == (455, 399)
    assert decision.schedule is not None and decision.schedule.chunk == 399
    assert decision.cost_with_sh * 5 < decision.cost_without_sh


def test_sh_chosen_for_sst2_with_modern_gpu_costs() -> None:
    assert decide(MODERN_POOL, *SST2, "cosine_nn", devices=1).use_sh


def test_sh_not_chosen_for_tiny_training_sets_where_overheads_dominate() -> None:
    decision = decide(MODERN_POOL, *VTAB, "cosine_nn", devices=1)
    assert not decision.use_sh
    assert decision.cost_with_sh > decision.cost_without_sh
    assert "saves nothing" in decision.reason


def test_more_devices_shrink_the_advantage_of_sh() -> None:
    def advantage(devices: int) -> float:
        decision = decide(PAPER_POOL, *SST2, "cosine_nn", devices)
        return decision.cost_without_sh / decision.cost_with_sh

    assert advantage(1) > advantage(4) > advantage(8) > advantage(64) > 1


def test_halving_a_pair_is_pointless_under_auto() -> None:
    # M = 2 gives one round on all the data: the same work as no SH.
    decision = decide(PAPER_POOL[:2], *SST2, "cosine_nn", devices=1)
    assert not decision.use_sh
    assert "first round" in decision.reason


def test_user_fixed_chunk_and_budget_force_sh() -> None:
    decision = decide(MODERN_POOL, *VTAB, "cosine_nn", devices=1, chunk=16, budget=910)
    assert decision.use_sh
    assert (decision.chunk, decision.budget) == (16, 910)
    assert decision.schedule is not None and decision.schedule.samples[0] == 16 * 2


def test_user_fixed_budget_gets_an_auto_chunk() -> None:
    decision = decide(PAPER_POOL, *SST2, "cosine_nn", devices=1, budget=455)
    assert decision.use_sh
    assert decision.chunk == 399


def test_user_budget_below_minimum_fails() -> None:
    with pytest.raises(FailedPrecondition, match="455"):
        decide(PAPER_POOL, *SST2, "cosine_nn", devices=1, chunk=64, budget=160)


def test_no_models_means_no_work() -> None:
    decision = decide([], *SST2, "cosine_nn", devices=1)
    assert not decision.use_sh
    assert decision.cost_without_sh == 0.0


CACHED_SOME = [CachedWork(train_samples=20, test_samples=50)] + [CachedWork()] * 3


def test_estimated_steps_without_sh_add_up_to_the_cost() -> None:
    steps = estimate_steps(SMALL, 1_000, 100, "linear", 2, None, CACHED_SOME)
    total = sum(step.seconds for step in steps)
    assert total == pytest.approx(cost_without_sh(SMALL, 1_000, 100, "linear", 2, CACHED_SOME))
    assert all(step.seconds >= 0 and step.detail for step in steps)


def test_estimated_steps_with_sh_are_per_round_and_add_up_to_the_cost() -> None:
    steps = estimate_steps(SMALL, 1_000, 100, "linear", 2, SMALL_SCHEDULE, CACHED_SOME)
    assert [step.name for step in steps] == ["embed test", "round 0", "round 1"]
    expected = cost_with_sh(SMALL, 1_000, 100, "linear", 2, SMALL_SCHEDULE, CACHED_SOME)
    assert sum(step.seconds for step in steps) == pytest.approx(expected)


def test_unknown_proxy_is_priced_like_a_linear_probe() -> None:
    linear = cost_without_sh(SMALL, 1_000, 100, "linear", 1)
    assert cost_without_sh(SMALL, 1_000, 100, "my_scorer", 1) == pytest.approx(linear)
    cheap = CostConstants(unknown_proxy_per_test_sample=0.0)
    assert cost_without_sh(SMALL, 1_000, 100, "my_scorer", 1, constants=cheap) < linear


def test_logme_is_priced_per_model_whatever_the_test_set() -> None:
    """LogME fits on the training features: a bigger test set embeds more, scores no longer."""

    def proxy(n_test: int) -> float:
        (step,) = [
            s for s in estimate_steps(SMALL, 1_000, n_test, "logme", 1, None) if s.name == "proxy"
        ]
        return step.seconds

    assert proxy(100) == pytest.approx(len(SMALL) * 0.1) == proxy(10_000)
    nn = cost_without_sh(SMALL, 1_000, 100, "cosine_nn", 1)
    assert cost_without_sh(SMALL, 1_000, 100, "logme", 1) == pytest.approx(
        nn + len(SMALL) * (0.1 - 1e-5 * 100)
    )


def test_nearest_neighbour_proxy_is_cheaper_than_linear() -> None:
    linear = cost_without_sh(SMALL, 1_000, 100, "linear", 1)
    assert cost_without_sh(SMALL, 1_000, 100, "euclidean_nn", 1) == pytest.approx(
        linear - 4 * (5e-3 - 1e-5) * 100
    )


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(InvalidArgument):
        cost_without_sh(SMALL, 1_000, 100, "linear", devices=0)
    with pytest.raises(InvalidArgument):
        cost_without_sh(SMALL, 1_000, 100, "linear", 1, [CachedWork()])
    with pytest.raises(InvalidArgument):
        cost_with_sh(SMALL[:3], 1_000, 100, "linear", 1, SMALL_SCHEDULE)
    with pytest.raises(InvalidArgument):
        decide(SMALL, 0, 100, "linear", 1)
