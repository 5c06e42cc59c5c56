"""The replay of no-forward-pass strategies: its scoring functions, the records' reading, and
`python -m bench.replay --quick` (on the authors' runs when shared/data has them, and on a small
CSV in their format always). The meta-learned strategy it replays is the planner's
(tests/planner/test_meta_learned.py)."""

from __future__ import annotations

import csv
import itertools
import statistics
from pathlib import Path
from typing import Any

import pytest

from bench.replay import strategies as st
from bench.replay.command import main, successive_halving
from bench.replay.records import model_sizes, read_runs, settings, shared_data, size_from_name
from shift_search.planner import meta_learned as ml

ACCURACY = {"a": 0.9, "b": 0.8, "c": 0.8, "d": 0.5}


def test_expected_random_regret_is_exact() -> None:
    for picks in (1, 2, 3, 4):
        draws = list(itertools.combinations(ACCURACY, picks))
        brute = statistics.fmean(st.regret_points(ACCURACY, list(d)) for d in draws)
        assert st.expected_random_regret(ACCURACY, picks) == pytest.approx(brute)
    assert st.expected_random_regret(ACCURACY, 9) == pytest.approx(0.0)


def test_ties_on_the_prior_average_the_regret() -> None:
    prior = {"a": 3.0, "d": 3.0, "b": 1.0}
    ranking = st.task_agnostic_ranking(list(ACCURACY), prior)
    assert ranking == ["a", "d", "b"]  # c has no prior: left out
    assert st.expected_regret_of_ties(ACCURACY, ranking, prior) == pytest.approx(20.0)


def test_successive_halving_promotes_the_best_of_the_first_rung() -> None:
    first = {"a": 0.9, "b": 0.8, "c": 0.3, "d": 0.2}
    final = {"a": 0.7, "b": 0.95, "c": 0.99, "d": 0.1}
    chosen, cost = st.successive_halving_over_epochs([first, final], [1, 25], eta=2)
    assert chosen == "b" and cost == 4 * 1 + 2 * 24  # c was the best, but cut at rung 1


def test_distribution_summarises_regrets() -> None:
    d = st.distribution([0.0, 0.5, 2.0, 10.0])
    assert d["mean"] == 3.12 and d["median"] == 1.25 and d["max"] == 10.0
    assert d["share_le_1_point"] == 0.5


def test_sizes_come_from_the_paper_pool_or_the_name() -> None:
    assert size_from_name("facebook/deit-tiny-patch16-224") == 1
    assert size_from_name("google/vit-large-patch16-224") == 4
    assert size_from_name("nvidia/mit-b3") == 2.5
    assert size_from_name("org/some-model") is None
    assert model_sizes(["x/base", "y"], {"y": 20.0}) == {"x/base": 3.0, "y": 120.0}


FIELDS = (
    "model_identifier", "framework", "elapsed_time", "train_dataset_name", "epochs", "configs",
    "train_slice", "test_split", "test_accuracy",
)  # fmt: skip


def write_records(path: Path) -> Path:
    """Two vision datasets and one text dataset of 24 models each, in the authors' format: the
    text one collapsed (every model at the majority class), plus 1-epoch/800 and 25-epoch/80%
    runs of 8 text models for successive halving."""
    rows = []
    for d, dataset in enumerate(("cifar100", "svhn_cropped")):
        for m in range(24):
            accuracy = 0.3 + 0.02 * ((m * (d + 3)) % 24)
            rows.append([f"v/model-{m}", "HuggingFace", 10, dataset, 25, "{'lr': 0.01}", ":800",
                         "test", accuracy])  # fmt: skip
    for m in range(24):
        rows.append([f"t/model-{m}", "HuggingFaceText", 10, "glue/sst2", 25, "{'lr': 0.01}",
                     ":800", "validation", 0.509174])  # fmt: skip
    for m in range(8):
        for epochs, slice_, accuracy in ((1, ":800", 0.6 + 0.01 * m), (25, ":80%", 0.9 - 0.01 * m)):
            rows.append([f"t/model-{m}", "HuggingFaceText", 5 * epochs, "rotten_tomatoes", epochs,
                         "{'lr': 0.01}", slice_, "test", accuracy])  # fmt: skip
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return path


def test_quick_replay_on_records_in_the_authors_format(tmp_path: Path) -> None:
    records = write_records(tmp_path / "ftrecords.csv")
    result = main(["--quick", "--records", str(records), "--out", str(tmp_path / "out")])
    assert result["runs"] == 24 * 3 + 16 and result["datasets_replayed"] == 3
    sst2 = result["datasets"]["glue/sst2[label] :800 25ep lr0.01 validation"]
    assert sst2["degenerate"] and sst2["modal_accuracy"] == 0.5092
    vision = result["summary"]["vision"]
    assert vision["degenerate_left_out"] == 0 and vision["strategies"]["random-1"]["datasets"] == 2
    assert result["summary"]["text"]["degenerate_left_out"] == 1
    sh = successive_halving(read_runs(records))["rotten_tomatoes[label] lr0.01 test"]
    # the first rung ranks the models exactly backwards: SH keeps the worst two
    assert sh["models"] == 8 and sh["survivors"] == 2 and sh["regret_points"] == pytest.approx(6.0)
    assert sh["rank_correlation_rungs"] == pytest.approx(-1.0)
    assert not (tmp_path / "out").exists()  # quick mode writes nothing


@pytest.mark.skipif(
    not (shared_data() / "ftrecords.csv").is_file(), reason="shared/data is not beside the repo"
)
def test_quick_replay_on_the_authors_runs() -> None:
    result = main(["--quick"])
    assert result["runs"] == 9629 and result["models"] == {"text": 171, "vision": 292}
    assert result["datasets_replayed"] == 8
    assert len(settings(read_runs(shared_data() / "ftrecords.csv"))) >= 50


def test_the_replay_scores_the_planners_shortlist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """meta-metadata's regrets are those of the planner's `ORDER BY MetaLearned` shortlist."""
    picked: dict[str, list[str]] = {}
    planner_shortlist = ml.shortlist

    def spy(*args: Any, **kwargs: Any) -> ml.Shortlist:
        found = planner_shortlist(*args, **kwargs)
        if found.neighbours:
            picked[args[2]] = found.models(3)
        return found

    monkeypatch.setattr(ml, "shortlist", spy)
    records = write_records(tmp_path / "ftrecords.csv")
    result = main(["--quick", "--records", str(records), "--out", str(tmp_path / "out")])
    accuracy = {s.name: s.accuracy for s in settings(read_runs(records))}
    assert len(picked) == 2  # the two vision datasets, each the other's benchmark
    for target, picks in picked.items():
        regret = st.regret_points(accuracy[target], picks)
        assert result["datasets"][target]["regret_points"]["meta-metadata-3"] == round(regret, 2)
