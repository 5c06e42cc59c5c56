"""The search-vs-enumeration fine-tuning protocol: intervals, the rate chosen on validation, the
ledger, the CPU-time estimate, and `--quick` end to end on a tiny model."""

from __future__ import annotations

import dataclasses
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path

import pytest

import bench.search_vs_enumeration.command as svse
import bench.search_vs_enumeration.protocol as protocol_module
from bench.search_vs_enumeration import estimate as estimating
from bench.search_vs_enumeration.command import FULL_RUN
from bench.search_vs_enumeration.config import CPU_PROTOCOLS, QUICK
from bench.search_vs_enumeration.protocol import (
    Protocol,
    Run,
    choose_rate,
    estimate_seconds,
    ground_truth,
    interval,
    run_seconds,
)
from bench.search_vs_enumeration.queries import STRATEGIES
from bench.search_vs_enumeration.run import Setting, run_strategies
from bench.source_revision import source_revision
from shift_search.cache.records import ModelRecord
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews

TINY = Protocol(lr_grid=(1e-3, 1e-2), max_epochs=2, patience=1, seeds=(0, 1, 2), batch_size=8)


def test_interval_is_the_student_t_95_percent_half_width() -> None:
    mean, half = interval([0.80, 0.82, 0.84])
    assert mean == pytest.approx(0.82)
    assert half == pytest.approx(4.303 * 0.02 / 3**0.5)
    assert interval([0.7]) == (0.7, 0.0)


def test_a_batchnorm_momentum_is_recorded_only_where_the_protocol_sets_one() -> None:
    text = CPU_PROTOCOLS["text"]
    assert "batchnorm_momentum" not in text.describe()  # text recordings keep their digest
    assert CPU_PROTOCOLS["image"].describe()["batchnorm_momentum"] == 0.1
    set_apart = dataclasses.replace(text, batchnorm_momentum=0.1)
    assert set_apart.digest() != text.digest()


def test_the_rate_with_the_best_validation_accuracy_wins_and_ties_go_to_the_smaller() -> None:
    def run(lr: float, val: float, test: float) -> Run:
        return Run(lr, 0, val, test, 1, 1, 1.0)

    assert choose_rate([run(1e-4, 0.7, 0.9), run(1e-3, 0.8, 0.6)]) == 1e-3  # test is not read
    assert choose_rate([run(1e-3, 0.8, 0.6), run(1e-4, 0.8, 0.5)]) == 1e-4


def test_the_estimate_counts_every_run_epoch_and_pass() -> None:
    p = Protocol(lr_grid=(1.0, 2.0), max_epochs=4, patience=1, seeds=(0, 1, 2))
    assert p.runs_per_model() == 4
    # 100 training rows: 80 train (3 forward passes each) + 20 validation per epoch; test once
    assert run_seconds(0.01, 3.0, 100, 50, p, 4) == pytest.approx(0.01 * (4 * 260 + 50))
    total = estimate_seconds({"a": 0.01, "b": 0.02}, 3.0, 100, 50, p, 0.5)
    assert total == pytest.approx(4 * (0.01 + 0.02) * (2 * 260 + 50))
    per_model = estimating.enumeration_seconds({"a": 0.01}, 3.0, 100, 50, p, 1.0)
    assert per_model == {"a": pytest.approx(4 * run_seconds(0.01, 3.0, 100, 50, p, 4))}


def test_the_strategies_estimate_counts_searches_overheads_and_halving() -> None:
    out = estimating.strategy_seconds({"a": 0.01, "b": 0.03}, 3.0, 100, 50, keep=1, epochs=2)
    assert out["embeddings"] == pytest.approx(estimating.SEARCHES * (0.01 + 0.03) * 150)
    expected = (estimating.SEARCHES + estimating.STORES) * estimating.PER_MODEL_AND_SEARCH_SECONDS
    assert out["overheads"] == pytest.approx(2 * expected)
    # keep 1 + the prior: 2 contenders, one round of 2 epochs (then the winner), mean 0.02 s
    assert out["halving_over_epochs"] == pytest.approx(2 * 2 * 0.02 * (2 * 3.0 * 100 + 2 * 50))


def test_ground_truth_runs_the_grid_then_the_seeds_and_keeps_a_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ModelRecord("tiny", "huggingface", str(make_tiny_bert(tmp_path / "tiny")))
    train = reviews_dataset("train", write_reviews(tmp_path / "train.csv", 40, seed=1, noise=0.1))
    test = reviews_dataset("test", write_reviews(tmp_path / "test.csv", 24, seed=2, noise=0.1))
    ledger = tmp_path / "ledger.json"
    lines: list[str] = []
    truth = ground_truth([model], train, test, TINY, "cpu", ledger, lines.append)["tiny"]
    assert len(truth.runs) == 4 and [r.lr for r in truth.runs[:2]] == [1e-3, 1e-2]
    chosen = max(truth.runs[:2], key=lambda r: (r.validation_accuracy, -r.lr))
    assert truth.lr == chosen.lr and [r.seed for r in truth.runs[2:]] == [1, 2]
    assert truth.accuracies[0] == chosen.test_accuracy and len(truth.accuracies) == 3
    assert truth.mean == pytest.approx(sum(truth.accuracies) / 3)
    assert all(1 <= r.best_epoch <= r.epochs_run <= 2 for r in truth.runs)
    assert truth.selection_seconds == pytest.approx(sum(r.seconds for r in truth.runs[:2]))
    assert len(json.loads(ledger.read_text())) == 1

    def no_more(*args: object, **kwargs: object) -> None:
        raise AssertionError("the ledger should have answered")

    monkeypatch.setattr(protocol_module, "finetune_once", no_more)
    again = ground_truth([model], train, test, TINY, "cpu", ledger, lines.append)["tiny"]
    assert again == truth


def test_quick_mode_runs_end_to_end_on_a_tiny_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bench.search_vs_enumeration --quick` (the smoke check), on tweets, with the
    pool swapped for two tiny BERTs and a one-rate, one-epoch protocol so it takes seconds."""
    monkeypatch.setenv("SHIFT_HOME", str(tmp_path / "home"))
    pool = [
        ModelRecord(f"tiny{i}", "huggingface", str(make_tiny_bert(tmp_path / f"t{i}", seed=i)))
        for i in (0, 1)
    ]
    monkeypatch.setattr(svse, "search_pool", lambda modality: pool)
    monkeypatch.setattr(svse, "RESULTS", tmp_path / "results")
    one = Protocol(lr_grid=(1e-3,), max_epochs=1, patience=1, seeds=(0, 1), batch_size=16)
    tiny = dataclasses.replace(QUICK, protocols={"text": one, "image": one}, strategies=())
    monkeypatch.setattr(svse, "config_for", lambda quick, device: tiny)
    result = svse.main(["--quick", "--datasets", "tweets"])
    tweets = result["datasets"]["tweets"]
    assert tweets["finetune_params"]["seeds"] == [0, 1]
    assert len(tweets["enumeration"]["tiny1"]["accuracies"]) == 2
    assert tweets["enumeration"]["tiny1"]["lr"] == 1e-3
    assert [s["strategy"] for s in tweets["strategies"]] == list(STRATEGIES)
    auto = next(s for s in tweets["strategies"] if s["strategy"] == "AUTO")
    assert auto["auto_choice"] in ("cascade", "hybrid", "hybrid_sh")
    assert auto["plan"] == f"chose {auto['auto_choice']}"
    assert set(tweets["goals"]) >= {"hybrid_regret_le_1", "auto_regret_le_1", "goal_met"}
    assert (tmp_path / "results" / "search_vs_enumeration-cpu-quick.json").exists()
    assert (tmp_path / "results" / "search_vs_enumeration-cpu-quick-regret.png").exists()
    assert result["goal_line"] == {"tweets": tweets["goals"]["goal_met"]}
    budgeted = next(s for s in tweets["strategies"] if s["strategy"] == "AUTO budget=1")
    assert "budget" in budgeted["query"] and budgeted["plan"].startswith("chose ")
    assert "auto_budget_regret_le_1" in tweets["goals"]
    assert [r["strategies"] for r in tweets["runs"]] == [[FULL_RUN]]
    assert tweets["runs"][0]["commit"] == source_revision()  # the code that measured it
    # a run of one strategy joins the strategies recorded for the same data and protocol, and
    # their enumeration: it fine-tunes nothing, even on a machine without the ledger
    (tmp_path / "home" / "bench-svse" / "protocol-cpu.json").unlink()
    monkeypatch.setattr(protocol_module, "finetune_once", _no_finetune)
    again = svse.main(["--quick", "--datasets", "tweets", "--strategies", "AUTO budget=1"])
    assert again["datasets"]["tweets"]["enumeration"] == tweets["enumeration"]
    runs = again["datasets"]["tweets"]["runs"]
    assert [r["strategies"] for r in runs] == [[FULL_RUN], ["AUTO budget=1"]]
    assert again["datasets"]["tweets"]["measured_at"] == tweets["measured_at"]  # enumeration
    joined = again["datasets"]["tweets"]["strategies"]
    assert [s["strategy"] for s in joined] == list(STRATEGIES)
    before = {s["strategy"]: s["search_seconds"] for s in tweets["strategies"]}
    after = {s["strategy"]: s["search_seconds"] for s in joined}
    assert {k: v for k, v in after.items() if k != "AUTO budget=1"} == {
        k: v for k, v in before.items() if k != "AUTO budget=1"
    }


def _no_finetune(*args: object, **kwargs: object) -> None:
    raise AssertionError("the recorded enumeration should have answered")


def test_a_training_sample_is_priced_from_a_one_epoch_fine_tune() -> None:
    # 128 training samples and 2 x 32 evaluation passes at 0.01 s per forward pass
    assert estimating.train_ratio(0.01 * (128 * 3 + 64), 0.01) == pytest.approx(3.0)
    assert estimating.train_ratio(0.1, 0.01) == 1.0  # never cheaper than a forward pass


def test_every_strategy_runs_on_a_pool_of_one(tmp_path: Path) -> None:
    """CI's pool may hold a single text model: every strategy still answers with it."""
    model = ModelRecord("tiny", "huggingface", str(make_tiny_bert(tmp_path / "tiny")))
    train = reviews_dataset("train", write_reviews(tmp_path / "train.csv", 24, seed=1))
    test = reviews_dataset("test", write_reviews(tmp_path / "test.csv", 12, seed=2))
    tune = {"epochs": 1, "lr": 1e-3, "batch_size": 8}
    setting = Setting([model], train, test, "text", "cpu", tmp_path, 2, tune, {"regret": 100})
    outcomes = run_strategies(setting, lambda line: None)
    assert [o.strategy for o in outcomes] == list(STRATEGIES)
    assert all(o.candidates == ("tiny",) for o in outcomes)
