"""Planning turns: statements plan (and run, when the cache answers them whole) a few at a time,
and a statement that waits on executors holds no turn, so it never holds up the others."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from shift_search.cache.records import ModelRecord
from shift_search.cli.register import register_all
from shift_search.cli.serve import build
from shift_search.client import Client, QueryError
from shift_search.planner import coordinator
from shift_search.queue.memory import InProcessQueue
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews

WAITING = (
    'SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test" '
    'CLASSIFIED BY ["Euclidean NN"] WAIT;'
)
METADATA = "SELECT name FROM models;"


def test_a_query_waiting_on_executors_holds_no_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator, "PLANNING_TURNS", 1)  # one turn: a held one blocks all
    make_tiny_bert(tmp_path / "bert")
    write_reviews(tmp_path / "train.csv", 40, seed=0)
    write_reviews(tmp_path / "test.csv", 20, seed=1)
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    queue = InProcessQueue()
    cache = build(serve_args(store, service="cache")).start()
    planner = build(serve_args(None, service="planner", cache=cache.address), queue).start()
    executor = build(serve_args(store, service="executor", cache=cache.address), queue).start()
    waiting: Client | None = None
    try:
        model = ModelRecord(name="bert", source="huggingface", uri=str(tmp_path / "bert"))
        with Client(planner.address, timeout=120) as client:
            register_all(
                client,
                [
                    replace(model, inference_cost=1.0, load_cost=0.1),
                    reviews_dataset("train", tmp_path / "train.csv"),
                    reviews_dataset("test", tmp_path / "test.csv"),
                ],
            )
        executor.stop(grace=0.5)  # the ranking's tasks now wait on the queue
        waiting = Client(planner.address, timeout=300)
        ranking = waiting.events(WAITING)

        def run_the_ranking() -> None:
            with contextlib.suppress(QueryError):  # cancelled when the test ends
                list(ranking)

        threading.Thread(target=run_the_ranking, daemon=True).start()
        deadline = time.monotonic() + 120
        while queue.stats().waiting == 0:  # until its tasks wait on the queue
            assert time.monotonic() < deadline, "the ranking's tasks never reached the queue"
            time.sleep(0.05)
        with Client(planner.address, timeout=20) as client:
            for _ in range(3):  # answered while the ranking waits on its tasks
                names = [row[0] for row in client.query(METADATA).rows]
                assert names == ["bert"]
    finally:
        if waiting is not None:
            waiting.close()  # cancels the waiting ranking
        for server in (planner, cache):
            server.stop(grace=0.5)


def test_many_clients_share_few_turns_and_every_answer_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coordinator, "PLANNING_TURNS", 2)
    make_tiny_bert(tmp_path / "bert")
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = build(serve_args(store)).start()
    try:
        with Client(server.address, timeout=60) as client:
            register_all(
                client,
                [
                    ModelRecord(name=f"m{i}", source="huggingface", uri=str(tmp_path / "bert"))
                    for i in range(5)
                ],
            )
        answers: list[list[str]] = []
        errors: list[BaseException] = []

        def client_loop() -> None:
            try:
                with Client(server.address, timeout=60) as client:
                    for _ in range(5):
                        rows = client.query(METADATA).rows
                        answers.append(sorted(str(row[0]) for row in rows))
            except BaseException as err:  # reported below
                errors.append(err)

        threads = [threading.Thread(target=client_loop) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors
        assert answers == [[f"m{i}" for i in range(5)]] * 80
    finally:
        server.stop(grace=0.5)
