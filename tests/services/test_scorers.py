"""RANK … BY "<scorer>", LEEP as a proxy, scorer plug-ins and SELECT vec, end to end through a
real in-process server on tiny models: BERTs saved with a classification head (one "pretrained"
on a source task that predicts the reviews' sentiment, one on random labels) and one without."""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.main import main
from shift_search.cli.serve import build
from shift_search.client import Client, QueryError
from shift_search.client.events import TaskDone
from shift_search.executor.features import store as feature_store
from shift_search.executor.scorers.transferability import leep_score
from shift_search.runtime.server import ServiceServer
from tests.executor.test_scorers import install_plugin
from tests.services.conftest import serve_args
from tests.tiny_world import (
    NEGATIVE,
    POSITIVE,
    make_tiny_bert,
    make_tiny_bert_classifier,
    register_datasets,
    reviews_dataset,
    write_reviews,
)

GOLDEN = Path(__file__).parent / "golden" / "similarity_matrix.json"
REGEN = os.environ.get("SHIFT_REGEN_GOLDEN") == "1"
HEADED = 'WHERE name LIKE "cls-%"'


def write_lengths(path: Path, rows: int, seed: int) -> Path:
    """Another task on the same words: is the review long (more than five words)?"""
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for _ in range(rows):
            count = rng.randint(3, 8)
            words = [rng.choice(POSITIVE + NEGATIVE) for _ in range(count)]
            writer.writerow([" ".join(words), "long" if count > 5 else "short"])
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scorers")
    make_tiny_bert(root / "plain", seed=0)
    make_tiny_bert_classifier(root / "cls-sentiment", seed=0, classes=4)
    make_tiny_bert_classifier(root / "cls-random", seed=3, classes=6, informative=False)
    write_reviews(root / "train.csv", 120, seed=0)
    write_reviews(root / "test.csv", 40, seed=1)
    write_reviews(root / "train-v2.csv", 160, seed=0)  # the same 120 rows, then 40 more
    write_lengths(root / "lengths.csv", 120, seed=5)
    return root


@pytest.fixture(scope="module")
def server(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    store = f"sqlite:///{tmp_path_factory.mktemp('store') / 'shift.sqlite3'}"
    server = build(serve_args(store)).start()
    cache = CacheClient(server.internal_address)
    for name in ("plain", "cls-sentiment", "cls-random"):
        uri = str(world / name)
        cache.register_model(
            ModelRecord(name=name, source="huggingface", uri=uri, inference_cost=1.0, load_cost=0.5)
        )
    cache.close()
    names = {"train": "reviews-train", "test": "reviews-test", "train-v2": "reviews-v2"}
    datasets = [reviews_dataset(n, world / f"{f}.csv") for f, n in names.items()]
    register_datasets(server.address, *datasets, reviews_dataset("lengths", world / "lengths.csv"))
    yield server
    server.stop(grace=0.5)


@pytest.fixture
def client(server: ServiceServer) -> Iterator[Client]:
    with Client(server.address) as client:
        yield client


@pytest.fixture
def forward_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows the executor runs through a model (features or a head's predictions)."""
    counted: list[int] = []
    extract = feature_store.extract_features

    def counting(encoder: Any, inputs: Any, **kwargs: Any) -> Any:
        counted.append(len(inputs))
        return extract(encoder, inputs, **kwargs)

    monkeypatch.setattr(feature_store, "extract_features", counting)
    return counted


def rank(client: Client, scorer: str, where: str = HEADED, data: str = "") -> dict[str, float]:
    data = data or 'TRAINED ON "reviews-train"'
    result = client.query(f'RANK name FROM models {where} {data} BY "{scorer}" WAIT;')
    assert result.columns == ("name", "scorer", "score")
    return {row[0]: row[2] for row in result.rows}


def head_predictions(folder: Path, texts: list[str]) -> np.ndarray:
    import torch
    import transformers

    model = transformers.BertForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = transformers.BertTokenizer.from_pretrained(folder)
    with torch.no_grad():
        logits = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    return torch.softmax(logits, -1).numpy()


def test_leep_ranks_the_source_that_transfers_first_and_matches_leep_by_hand(
    client: Client, world: Path
) -> None:
    scores = rank(client, "LEEP")
    assert list(scores) == ["cls-sentiment", "cls-random"]  # highest first
    with (world / "train.csv").open() as f:
        rows = list(csv.DictReader(f))
    labels = np.array([r["label"] == "pos" for r in rows], np.int64)
    for name, score in scores.items():
        expected = leep_score(head_predictions(world / name, [r["text"] for r in rows]), labels)
        assert score == pytest.approx(expected, abs=2e-3)  # predictions are cached as float16
    assert scores["cls-sentiment"] > -0.2 and scores["cls-random"] < -0.5


def test_a_second_rank_reads_the_cache_and_another_scorer_needs_no_forward_pass(
    client: Client, forward_passes: list[int]
) -> None:
    rank(client, "LEEP")  # cached by the test above, or computed now
    before = len(forward_passes)
    again = client.query(f'RANK name FROM models {HEADED} TRAINED ON "reviews-train" BY "leep";')
    (plan,) = again.plans
    assert plan.strategy == "rank_by_scorer" and plan.steps[0].cached
    assert all(e.from_cache for e in again.events if isinstance(e, TaskDone))
    nce = rank(client, "NCE")  # the same models' predictions, another scorer
    assert len(forward_passes) == before
    assert list(nce) == ["cls-sentiment", "cls-random"] and all(v <= 0 for v in nce.values())


def test_leep_as_a_proxy_is_the_scorer_negated(client: Client) -> None:
    scores = rank(client, "leep")
    result = client.query(
        f'SELECT name FROM models {HEADED} ORDER BY LEEP TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" WAIT;'
    )
    assert result.columns == ("name", "proxy", "error")
    errors = {row[0]: row[2] for row in result.rows}
    assert errors == pytest.approx({name: -score for name, score in scores.items()})
    classified = client.query(
        f'SELECT name FROM models {HEADED} ORDER BY err TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" CLASSIFIED BY ["LEEP"] WAIT;'
    )
    assert [row[0] for row in classified.rows] == ["cls-sentiment", "cls-random"]


def test_feature_scorers_and_random(client: Client) -> None:
    everyone = "WHERE name != 'nobody'"
    logme = rank(client, "LogME", everyone)
    assert set(logme) == {"plain", "cls-sentiment", "cls-random"}
    tested = 'TRAINED ON "reviews-train" TESTED ON "reviews-test"'
    knn = rank(client, "kNN", everyone, tested)
    assert all(0.0 <= v <= 1.0 for v in knn.values())
    first = rank(client, "random", everyone)
    assert rank(client, "random", everyone) == first and all(0 <= v < 1 for v in first.values())


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        (
            'RANK name FROM models TRAINED ON "reviews-train" BY "leep" WAIT;',
            grpc.StatusCode.FAILED_PRECONDITION,
            'model "plain" has no classifier head',
        ),
        (
            'RANK name FROM models TRAINED ON "reviews-train" BY "leap";',
            grpc.StatusCode.NOT_FOUND,
            r"unknown scorer 'leap'.*did you mean \"LEEP\"",
        ),
        (
            'RANK name FROM models TRAINED ON "reviews-train" BY "knn";',
            grpc.StatusCode.FAILED_PRECONDITION,
            'scorer "kNN" needs TESTED ON',
        ),
        (
            'RANK name FROM models BY "nce";',
            grpc.StatusCode.FAILED_PRECONDITION,
            "needs TRAINED ON",
        ),
        (
            'RANK name FROM models ORDER BY num_params TRAINED ON "reviews-train" BY "nce";',
            grpc.StatusCode.FAILED_PRECONDITION,
            "ORDER BY does not apply",
        ),
    ],
)
def test_what_cannot_rank_says_why(client: Client, query: str, code: Any, message: str) -> None:
    with pytest.raises(QueryError, match=message) as error:
        client.query(query)
    assert error.value.code == code


def test_a_scorer_plugin_installed_for_real_ranks_like_a_builtin(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = f'RANK name FROM models {HEADED} TRAINED ON "reviews-train" BY "spread" WAIT;'
    with pytest.raises(QueryError, match="unknown scorer 'spread'") as error:
        client.query(query)
    assert error.value.code == grpc.StatusCode.NOT_FOUND
    site = install_plugin(tmp_path / "site", "spread = tiny_scorers:spread")
    monkeypatch.syspath_prepend(str(site))
    try:
        result = client.query(query)
        (plan,) = result.plans
        assert plan.decisions["plug-in"].startswith("tiny-scorers 0.1")
        spread = {row[0]: row[2] for row in result.rows}
        assert set(spread) == {"cls-sentiment", "cls-random"} and min(spread.values()) > 0
        again = client.query(query)  # cached, under the plug-in's version
        assert {row[0]: row[2] for row in again.rows} == spread
        assert again.plans[0].steps[0].cached
    finally:
        sys.modules.pop("tiny_scorers", None)


# --- SELECT vec --------------------------------------------------------------------------------

VERSIONS = "DECLARE versions AS SELECT * FROM datasets WHERE name IN ('reviews-train', "
VERSIONS += "'reviews-v2', 'lengths');"
PROBE = "DECLARE probe AS SELECT * FROM models WHERE name = 'plain';"
VEC = "SELECT vec FROM versions WHERE probe = probe;"


def matrix_summary(columns: tuple[str, ...], rows: Any) -> dict[str, Any]:
    names = [row[0] for row in rows]
    values = np.array([row[1:] for row in rows], dtype=float)
    return {
        "columns": list(columns),
        "rows": names,
        "shape": list(values.shape),
        "symmetric": bool(np.allclose(values, values.T)),
        "zero_diagonal": bool(np.allclose(np.diag(values), 0.0)),
        "within_0_1": bool(((values >= 0) & (values <= 1)).all()),
    }


def test_two_versions_of_the_same_data_are_nearer_each_other_than_another_task(
    client: Client,
) -> None:
    result = client.query(VERSIONS + PROBE + VEC)
    summary = matrix_summary(result.columns, result.rows)
    if REGEN or not GOLDEN.exists():
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(summary, indent=2) + "\n")
    assert summary == json.loads(GOLDEN.read_text())
    d = {(r[0], c): v for r in result.rows for c, v in zip(result.columns[1:], r[1:], strict=True)}
    assert d["reviews-train", "reviews-v2"] < d["reviews-train", "lengths"]
    assert d["reviews-train", "reviews-v2"] < d["reviews-v2", "lengths"]
    frame = result.to_pandas()
    assert list(frame.index) == list(frame.columns) == ["lengths", "reviews-train", "reviews-v2"]
    assert frame.loc["reviews-v2", "reviews-train"] == d["reviews-train", "reviews-v2"]


def test_embeddings_are_cached_per_dataset_version_and_probe(client: Client) -> None:
    client.query(VERSIONS + PROBE + VEC)
    result = client.query(PROBE + "SELECT vec FROM datasets WHERE probe = probe;")
    plan = next(p for p in result.plans if p.strategy == "dataset_similarity")
    steps = [s for _, s in plan.walk()]
    embedded = {s.fields["dataset"]: s.cached for s in steps if s.kind == "task_embedding"}
    assert embedded == {
        "lengths": True,
        "reviews-test": False,
        "reviews-train": True,
        "reviews-v2": True,
    }
    assert len(result.rows) == 4 and not any(s.kind == "profile" for s in steps)


def test_select_vec_names_and_mistakes(client: Client) -> None:
    with pytest.raises(QueryError, match="holds 3 models: a probe is one model") as error:
        client.query("DECLARE p AS SELECT * FROM models; SELECT vec FROM datasets WHERE probe = p;")
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(QueryError, match=r'unknown model "plane".*"plain"'):
        client.query("SELECT vec FROM datasets WHERE probe = plane;")
    with pytest.raises(QueryError, match=r"not models or datasets"):
        client.query(PROBE + "DECLARE m AS SELECT vec FROM datasets WHERE probe = probe;")


def test_the_cli_prints_the_matrix_as_a_table(
    server: ServiceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    script = VERSIONS + PROBE + VEC
    assert main(["query", "--server", server.address, script]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dataset "))
    assert lines[start].split() == ["dataset", "lengths", "reviews-train", "reviews-v2"]
    body = lines[start + 2 : start + 5]
    assert [line.split()[0] for line in body] == ["lengths", "reviews-train", "reviews-v2"]
    assert [line.split()[i + 1] for i, line in enumerate(body)] == ["0.0000"] * 3
