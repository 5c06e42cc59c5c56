"""The table benchmark_results end to end on a real in-process server, on SQLite and on a real
Redis: runs loaded from the authors' CSV format (idempotently), filtered, ordered and grouped
like any table, kept by PURGE, and refused to a reader. The authors' 9,629 runs are loaded
once, when shared/data has them."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from bench.replay.records import shared_data
from shift_search.cache.client import CacheClient
from shift_search.cache.stored import BenchmarkResult
from shift_search.cli.serve import build
from shift_search.client import Client, QueryError
from shift_search.planner.benchmark_csv import read_benchmark_csv
from tests.services.conftest import Stack, serve_args

HEADER = (
    ",hash,model_identifier,framework,elapsed_time,train_accuracy,train_dataset_name,epochs,"
    "batch_size,configs,train_slice,test_split,test_accuracy\n"
)
ROWS = [
    "0,11,org/bert-a,HuggingFaceText,10.5,0.9,glue/cola,25,8,{'lr': 0.01},:800,validation,0.70",
    "1,12,org/bert-b,HuggingFaceText,11.5,0.8,glue/cola,25,8,{'lr': 0.01},:800,validation,0.80",
    "2,13,org/bert-a,HuggingFaceText,12.5,0.9,glue/cola,1,8,{'lr': 0.01},:800,validation,0.74",
    "3,14,org/bert-b,HuggingFaceText,9.5,0.7,glue/sst2,25,8,{'lr': 0.01},,validation,0.91",
    "4,15,org/vit,HuggingFace,20.0,,cifar100,25,64,{'lr': 0.1},:800,test,0.55",
]


def small_csv(folder: Path, rows: list[str] = ROWS) -> Path:
    path = folder / "runs.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


@pytest.fixture(params=["sqlite", "redis"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh server on a store of each kind; its address."""
    if request.param == "sqlite":
        store = f"sqlite:///{tmp_path / 'shift.sqlite3'}"
    else:
        store = request.getfixturevalue("redis_url")
    started = build(serve_args(store)).start()
    yield started.address
    started.stop(grace=0.5)


def rows_of(client: Client, script: str) -> list[dict[str, Any]]:
    return client.query(script, progress=False).tables[-1].records()


def test_runs_load_once_and_query_like_a_table(server: str, tmp_path: Path) -> None:
    results = read_benchmark_csv(small_csv(tmp_path))
    with Client(server) as client:
        first = client.add_benchmark_results(results, source="runs.csv")
        again = client.add_benchmark_results(results, source="runs.csv")
        assert (first.added, first.replaced, first.unchanged) == (5, 0, 0)
        assert (again.added, again.replaced, again.unchanged) == (0, 0, 5)
        rows = rows_of(
            client,
            "SELECT model, epochs, test_accuracy FROM benchmark_results "
            "WHERE dataset = 'glue/cola' ORDER BY test_accuracy DESC LIMIT 2;",
        )
        assert rows == [
            {"model": "org/bert-b", "epochs": 25, "test_accuracy": 0.8},
            {"model": "org/bert-a", "epochs": 1, "test_accuracy": 0.74},
        ]
        grouped = rows_of(
            client,
            "SELECT model, avg(test_accuracy) AS mean, count(*) AS runs, max(seconds) "
            "FROM benchmark_results WHERE modality = 'text' GROUP BY model "
            "ORDER BY avg(test_accuracy) DESC;",
        )
        assert [(r["model"], r["runs"]) for r in grouped] == [("org/bert-b", 2), ("org/bert-a", 2)]
        assert grouped[0]["mean"] == pytest.approx(0.855) and grouped[1]["max(seconds)"] == 12.5
        star = rows_of(client, "SELECT * FROM benchmark_results WHERE dataset = 'cifar100';")
        assert star[0]["model"] == "org/vit" and star[0]["label"] == "label"
        client.query("PURGE;", progress=False)  # derived data only: the runs stay
        assert rows_of(client, "SELECT count(*) AS n FROM benchmark_results;") == [{"n": 5}]


def test_a_run_with_new_figures_replaces_the_old_one(server: str, tmp_path: Path) -> None:
    with Client(server) as client:
        client.add_benchmark_results(read_benchmark_csv(small_csv(tmp_path)))
        changed = [ROWS[0].replace("0.70", "0.72"), *ROWS[1:]]
        added = client.add_benchmark_results(read_benchmark_csv(small_csv(tmp_path, changed)))
        assert (added.added, added.replaced, added.unchanged) == (0, 1, 4)
        rows = rows_of(client, "SELECT test_accuracy FROM benchmark_results WHERE run = 'csv:11';")
        assert rows == [{"test_accuracy": 0.72}]


def test_a_bad_run_stores_nothing(server: str) -> None:
    good = BenchmarkResult(run="r1", model="m", dataset="d", test_accuracy=0.5)
    bad = BenchmarkResult(run="r2", model="m", dataset="d", test_accuracy=1.5)
    with Client(server) as client:
        with pytest.raises(QueryError) as err:
            client.add_benchmark_results([good, bad], source="sent.csv")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "sent.csv: run 2 (r2): test_accuracy 1.5" in str(err.value)
        assert rows_of(client, "SELECT count(*) AS n FROM benchmark_results;") == [{"n": 0}]


def test_grouping_errors_say_what_is_wrong(server: str, tmp_path: Path) -> None:
    with Client(server) as client:
        # an aggregate over no rows is one row, as in SQL (avg of nothing is NULL)
        empty = "SELECT count(*) AS n, avg(test_accuracy) AS mean FROM benchmark_results;"
        assert rows_of(client, empty) == [{"n": 0, "mean": None}]
        client.add_benchmark_results(read_benchmark_csv(small_csv(tmp_path)))
        for script, code, words in (
            ("SELECT model, dataset FROM benchmark_results GROUP BY model;", "INVALID_ARGUMENT",
             "column 'dataset' is neither in GROUP BY nor aggregated"),
            ("SELECT * FROM benchmark_results GROUP BY model;", "INVALID_ARGUMENT", "SELECT *"),
            ("SELECT model, avg(accuracy) FROM benchmark_results GROUP BY model;", "NOT_FOUND",
             "unknown column 'accuracy'"),
            ("SELECT avg(model) FROM benchmark_results;", "INVALID_ARGUMENT",
             "avg(model): the column holds text"),
            ("SELECT model FROM benchmark_results GROUP BY model ORDER BY dataset;",
             "INVALID_ARGUMENT", "ORDER BY dataset"),
        ):  # fmt: skip
            with pytest.raises(QueryError) as err:
                client.query(script, progress=False)
            assert err.value.code.name == code and words in str(err.value), script


AUTHORS = shared_data() / "ftrecords.csv"


@pytest.mark.skipif(not AUTHORS.is_file(), reason="shared/data is not beside the repository")
def test_the_authors_runs_load_once_and_answer_per_model(tmp_path: Path) -> None:
    results = read_benchmark_csv(AUTHORS)
    assert len(results) == 9629 and len({r.run for r in results}) == 9629
    server = build(serve_args(f"sqlite:///{tmp_path / 'shift.sqlite3'}")).start()
    try:
        with Client(server.address) as client:
            first = client.add_benchmark_results(results, source=AUTHORS.name)
            assert (first.added, first.unchanged) == (9629, 0)
            again = client.add_benchmark_results(results, source=AUTHORS.name)
            assert (again.added, again.replaced, again.unchanged) == (0, 0, 9629)
            cola = [r for r in results if r.dataset == "glue/cola"]
            top = rows_of(
                client,
                "SELECT model, test_accuracy FROM benchmark_results WHERE dataset = 'glue/cola' "
                "ORDER BY test_accuracy DESC LIMIT 5;",
            )
            best = sorted((r.test_accuracy for r in cola), reverse=True)[:5]
            assert [r["test_accuracy"] for r in top] == best
            per_model = rows_of(
                client,
                "SELECT model, avg(test_accuracy) AS mean, count(*) AS runs "
                "FROM benchmark_results WHERE dataset = 'glue/cola' GROUP BY model "
                "ORDER BY avg(test_accuracy) DESC LIMIT 3;",
            )
            means: dict[str, list[float]] = {}
            for r in cola:
                means.setdefault(r.model, []).append(r.test_accuracy)
            expected = sorted(means, key=lambda m: -statistics.fmean(means[m]))[:3]
            assert [r["model"] for r in per_model] == expected
            assert per_model[0]["runs"] == len(means[expected[0]])
        cache = CacheClient(server.internal_address)
        try:  # one durable value per run
            assert len(cache.scan("shift:v1:benchmark:")) == 9629
        finally:
            cache.close()
    finally:
        server.stop(grace=0.5)


def test_our_own_fine_tunes_land_in_the_table(stack: Stack) -> None:
    with Client(stack.address) as client:
        client.query(
            'FINETUNE "bert-a" WITH "reviews-train" USING epochs=1, test="reviews-test" WAIT;',
            progress=False,
        )
        rows = rows_of(
            client,
            "SELECT model, dataset, test_split, epochs, learning_rate, batch_size, modality, "
            "origin, test_accuracy FROM benchmark_results WHERE origin = 'shift';",
        )
        tuned = client.query(
            "SELECT name, finetune_test_accuracy FROM models WHERE finetuned;", progress=False
        ).records()
    assert len(rows) == 1
    row = rows[0]
    assert (row["model"], row["dataset"], row["test_split"]) == (
        "bert-a",
        "reviews-train",
        "reviews-test",
    )
    assert (row["epochs"], row["batch_size"], row["modality"]) == (1, 32, "text")
    assert row["learning_rate"] == pytest.approx(2e-5)
    assert f"{row['test_accuracy']:.4f}" == tuned[0]["finetune_test_accuracy"]
