"""The planner keeps the plans it made while the store has not changed (`plan_memo`): a statement
asked again answers the same, and after anything that changes what it reads (DROP, REGISTER,
PURGE, new results, a write by another process to the same file) it is planned again and answers
as the store now says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.cache.catalog import Catalog
from shift_search.cache.records import ModelRecord
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cli.register import register_all
from shift_search.cli.serve import build
from shift_search.client import Client
from shift_search.client.events import Planned, Table, TaskDone
from shift_search.runtime.server import ServiceServer
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews


def ranking_of(proxy: str) -> str:
    return f"""SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test"
        CLASSIFIED BY ["{proxy}"] WAIT;"""


RANKING = ranking_of("Cosine NN")
NAMES = "SELECT name FROM models;"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceServer, Path]]:
    root = tmp_path_factory.mktemp("memo")
    store = root / "s.sqlite3"
    server = build(serve_args(f"sqlite:///{store}")).start()
    try:
        models = []
        for i in range(2):
            make_tiny_bert(root / f"m{i}", seed=i)
            models.append(ModelRecord(name=f"m{i}", source="huggingface", uri=str(root / f"m{i}")))
        write_reviews(root / "train.csv", 60, seed=0, noise=0.2)
        write_reviews(root / "test.csv", 20, seed=1, noise=0.2)
        datasets = [
            reviews_dataset("train", root / "train.csv"),
            reviews_dataset("test", root / "test.csv"),
        ]
        with Client(server.address) as client:
            register_all(client, [*models, *datasets])
        yield server, store
    finally:
        server.stop(grace=0.5)


def run(server: ServiceServer, script: str) -> list[object]:
    with Client(server.address) as client:
        return list(client.events(script))


def rows(events: list[object]) -> list[tuple[object, ...]]:
    (table,) = [e for e in events if isinstance(e, Table)]
    return [tuple(r) for r in table.rows]


def from_cache(events: list[object]) -> bool:
    done = [e for e in events if isinstance(e, TaskDone)]
    (planned,) = [e for e in events if isinstance(e, Planned)]
    return bool(done) and all(t.from_cache for t in done) and planned.plan.estimated_seconds == 0


def test_a_statement_asked_again_answers_the_same(served: tuple[ServiceServer, Path]) -> None:
    server, _ = served
    first = run(server, RANKING)
    again = [run(server, RANKING) for _ in range(3)]
    assert len(rows(first)) == 2
    for events in again:
        assert rows(events) == rows(first) and from_cache(events)
        (plan,) = [e.plan for e in events if isinstance(e, Planned)]
        (plan_first,) = [e.plan for e in again[0] if isinstance(e, Planned)]
        assert plan == plan_first


def test_drop_and_register_again_are_seen(served: tuple[ServiceServer, Path]) -> None:
    server, store_path = served
    whole = rows(run(server, RANKING))
    assert rows(run(server, NAMES)) == [("m0",), ("m1",)]
    run(server, 'DROP MODEL "m1";')
    assert rows(run(server, NAMES)) == [("m0",)]
    assert [r[0] for r in rows(run(server, RANKING))] == ["m0"]
    with Client(server.address) as client:  # the same weights: their results are found
        uri = str(store_path.parent / "m1")
        register_all(client, [ModelRecord(name="m1", source="huggingface", uri=uri)])
    again = run(server, RANKING)
    assert rows(again) == whole and from_cache(again)


def test_new_results_and_purge_are_seen(served: tuple[ServiceServer, Path]) -> None:
    server, _ = served
    before = run(server, RANKING)
    euclid = ranking_of("Euclidean NN")
    computed = run(server, euclid)  # new results written: the store moved on
    assert not from_cache(computed)
    assert from_cache(run(server, euclid)) and from_cache(run(server, RANKING))
    run(server, "PURGE;")
    purged = run(server, RANKING)
    assert not from_cache(purged)  # planned again: nothing is cached any more
    assert rows(purged) == rows(before)


def test_a_write_by_another_process_is_seen(served: tuple[ServiceServer, Path]) -> None:
    server, store_path = served
    names = [r[0] for r in rows(run(server, NAMES))]
    assert "m1" in names
    other = SQLiteStore(store_path)  # another connection to the same file, as a process has
    try:
        assert Catalog(other).delete_model("m1")
    finally:
        other.close()
    assert [r[0] for r in rows(run(server, NAMES))] == [n for n in names if n != "m1"]
    assert "m1" not in [r[0] for r in rows(run(server, RANKING))]
