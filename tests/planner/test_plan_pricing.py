"""Pricing what EXPLAIN shows: what each estimate is made of, fine-tuning (FINETUNE and halving
over epochs), several proxies sharing features, and cached work costing nothing."""

from __future__ import annotations

import pytest

from shift_search.planner.costmodel import (
    PAPER_CONSTANTS,
    CachedWork,
    ModelCost,
    decide,
    estimate_parts,
    estimate_steps,
)
from shift_search.planner.finetune_cost import finetune_steps, halving_steps, survivors
from shift_search.planner.halving import Schedule, make_schedule
from shift_search.planner.search_cost import Stored, price_search

# Mean load 2 s, mean inference 0.02 s per sample (as in test_costmodel).
SMALL = [ModelCost(1.0, 0.01), ModelCost(3.0, 0.03), ModelCost(1.0, 0.01), ModelCost(3.0, 0.03)]
SCHEDULE = make_schedule(num_models=4, budget=8, chunk=10, train_size=1_000)  # 10, 30 samples
# The golden catalog's 65 text models: 2 s to load, 16 or 53 µs per sample.
POOL = [ModelCost(2.0, 53e-6 if i % 2 else 16e-6) for i in range(65)]
SST2 = (67_349, 872)
PAPER = PAPER_CONSTANTS  # hand computations use the paper's T_O = 0.8, T_load = 0.7


@pytest.mark.parametrize("schedule", [None, SCHEDULE])
@pytest.mark.parametrize("cached", [None, [CachedWork(20, 50)] + [CachedWork()] * 3])
def test_parts_add_up_to_each_step(
    schedule: Schedule | None, cached: list[CachedWork] | None
) -> None:
    args = (SMALL, 1_000, 100, "linear", 2, schedule, cached)
    steps, parts = estimate_steps(*args), estimate_parts(*args)
    assert len(parts) == len(steps)
    for step, part in zip(steps, parts, strict=True):
        assert sum(part.values()) == pytest.approx(step.seconds)
        assert set(part) <= {"features", "proxy", "other"}


def test_parts_put_task_overhead_in_other_and_the_proxy_apart() -> None:
    parts = estimate_parts(SMALL, 1_000, 100, "linear", 1, None, constants=PAPER)
    assert parts[0]["other"] == pytest.approx(4 * 0.8)  # T_O per task
    assert parts[0]["features"] == pytest.approx(4 * 0.7)  # T_load: loading is feature work
    assert parts[-1] == {"proxy": pytest.approx(4 * 5e-3 * 100)}
    round_0 = estimate_parts(SMALL, 1_000, 100, "linear", 1, SCHEDULE, constants=PAPER)[1]
    # 4 tasks: T_O; T_load + L + I · 10 new samples; T_proxy · N_te.
    assert round_0["other"] == pytest.approx(3.2)
    assert round_0["features"] == pytest.approx(4 * 0.7 + 8 + 0.8)
    assert round_0["proxy"] == pytest.approx(2.0)


def test_finetune_steps_match_hand_computation() -> None:
    steps = finetune_steps(SMALL, 1_000, 100, epochs=2, devices=1, constants=PAPER)
    seconds = {s.name: s.seconds for s in steps}
    assert seconds["task overhead"] == pytest.approx(4 * 0.8)
    assert seconds["load models"] == pytest.approx(4 * 0.7 + 8)
    assert seconds["fine-tune"] == pytest.approx(3 * 0.08 * 2 * 1_000)  # 3× inference
    assert seconds["evaluate"] == pytest.approx(2 * 0.08 * 100)  # before and after
    halved = finetune_steps(SMALL, 1_000, 100, epochs=2, devices=2, constants=PAPER)
    assert sum(s.seconds for s in halved) == pytest.approx(sum(s.seconds for s in steps) / 2)


@pytest.mark.parametrize(("devices", "expected"), [(1, (270.0, 255.0)), (4, (67.5, 127.5))])
def test_halving_over_epochs_matches_hand_computation(
    devices: int, expected: tuple[float, float]
) -> None:
    # Mean model: 0.8 + 0.7 + 2 + 2 · 0.02 · 100 + E · 3 · 0.02 · 1,000 = 7.5 + 60 E.
    # Round 0: 4 models, 1 epoch: 4 · 67.5; round 1: 2 models, 2 epochs: 2 · 127.5.
    steps = halving_steps(SMALL, 1_000, 100, [1, 2], devices, PAPER)
    assert [s.name for s in steps] == ["round 0", "round 1"]
    assert [s.seconds for s in steps] == pytest.approx(list(expected))
    assert "keep 2" in steps[0].detail and "rank them" in steps[1].detail


def test_halving_survivors_round_up() -> None:
    assert survivors(65, 7) == [65, 33, 17, 9, 5, 3, 2]
    assert survivors(1, 1) == [1]


@pytest.mark.parametrize("data", [SST2, (800, 200), (8_551, 1_043)])
def test_one_proxy_is_priced_as_the_cost_model_decides(data: tuple[int, int]) -> None:
    priced = price_search(POOL, *data, ["euclidean_nn"], 1)
    decided = decide(POOL, *data, "euclidean_nn", 1)
    assert priced.decision == decided
    chosen = decided.cost_with_sh if decided.use_sh else decided.cost_without_sh
    assert priced.seconds == pytest.approx(chosen)


def test_a_later_proxy_pays_only_its_tasks_and_itself() -> None:
    priced = price_search(SMALL, 100, 100, ["euclidean_nn", "linear"], 1, constants=PAPER)
    assert not priced.decision.use_sh
    first, second = ([s.seconds for s in p.steps] for p in priced.proxies)
    assert first[1:4] != [0.0, 0.0, 0.0]
    assert second == pytest.approx([4 * 0.8, 0.0, 0.0, 0.0, 4 * 5e-3 * 100])


def test_auto_decides_on_every_proxy_together() -> None:
    # Alone, Euclidean NN on SST-2 pays for SH (on a device half as fast as the golden pool's);
    # a second proxy repeats every SH round's tasks (and re-embeds the slices the first proxy
    # dropped), while without SH it only pays 65 tasks.
    pool = [ModelCost(c.load_seconds, 2 * c.infer_seconds_per_sample) for c in POOL]
    assert price_search(pool, *SST2, ["euclidean_nn"], 1, constants=PAPER).decision.use_sh
    both = price_search(pool, *SST2, ["euclidean_nn", "knn"], 1, constants=PAPER)
    assert not both.decision.use_sh
    assert both.seconds == pytest.approx(both.decision.cost_without_sh)
    with_sh = price_search(pool, *SST2, ["euclidean_nn", "knn"], 1, budget=455, constants=PAPER)
    assert with_sh.decision.use_sh
    assert with_sh.seconds == pytest.approx(both.decision.cost_with_sh)


def test_stored_results_and_features_cost_nothing() -> None:
    n_train, n_test = 1_000, 100
    scored = Stored([n_train] * 4, [n_test] * 4, [[{n_train: (0.5, "key")}] * 4])
    assert price_search(SMALL, n_train, n_test, ["linear"], 1, stored=scored).seconds == 0.0
    embedded = Stored([n_train] * 4, [n_test] * 4, [[{}] * 4])
    priced = price_search(SMALL, n_train, n_test, ["linear"], 1, stored=embedded, constants=PAPER)
    assert priced.seconds == pytest.approx(4 * (0.8 + 5e-3 * 100))  # tasks and proxy only
    assert scored.summary(n_train).startswith("results of 4 of 4 models, features of 4")
    assert Stored([0] * 4, [0] * 4, [[{}] * 4]).summary(n_train) == ""


def test_a_replayed_halving_run_costs_nothing() -> None:
    # Every model scored on round 0's slice before: the same SH search replays from the cache.
    first = SCHEDULE.samples[0]
    stored = Stored([30] * 4, [100] * 4, [[{first: (0.5, "a"), 30: (0.4, "b")}] * 4])
    priced = price_search(SMALL, 1_000, 100, ["linear"], 1, chunk=10, budget=8, stored=stored)
    assert priced.decision.use_sh and priced.seconds == 0.0
