"""A ranking whose every result the cache holds is read and answered by the planner alone: with
the executor stopped and the models' costs unknown again, it still answers, the same, and its
plan neither profiles nor runs a task."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import grpc

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.values import value_from_proto
from tests.planner.plan_view import walk
from tests.query_stream import events_of
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews

QUERY = """SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test"
    CLASSIFIED BY ["Euclidean NN", "Cosine NN"] WAIT;"""


def ranking(events: list[query_pb2.QueryEvent]) -> list[tuple[str, str, float]]:
    (table,) = [e.result for e in events if e.WhichOneof("event") == "result"]
    return [tuple(value_from_proto(c) for c in row.cells) for row in table.rows]  # type: ignore[misc]


def test_a_cached_ranking_needs_no_executor_and_no_profiling(tmp_path: Path) -> None:
    cache = build(serve_args(f"sqlite:///{tmp_path / 's.sqlite3'}", service="cache")).start()
    queue = InProcessQueue()  # planner and executor apart, meeting on one queue
    executor = build(serve_args(None, service="executor", cache=cache.address), queue).start()
    planner = build(serve_args(None, service="planner", cache=cache.address), queue).start()
    try:
        client = CacheClient(cache.address)
        models = []
        for i in range(2):
            make_tiny_bert(tmp_path / f"m{i}", seed=i)
            models.append(
                ModelRecord(name=f"m{i}", source="huggingface", uri=str(tmp_path / f"m{i}"))
            )
            client.register_model(models[-1])
        write_reviews(tmp_path / "train.csv", 80, seed=0, noise=0.2)
        write_reviews(tmp_path / "test.csv", 20, seed=1, noise=0.2)
        register_datasets(
            planner.address,
            reviews_dataset("train", tmp_path / "train.csv"),
            reviews_dataset("test", tmp_path / "test.csv"),
        )
        with grpc.insecure_channel(planner.address) as channel:
            stub = query_pb2_grpc.QueryServiceStub(channel)
            first = events_of(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=300))
            executor.stop(grace=0.5)
            for model in models:  # costs unknown again (a metadata change: results stay valid)
                client.register_model(replace(model, inference_cost=None, load_cost=None))
            again = events_of(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=60))
        client.close()
    finally:
        planner.stop(grace=0.5)
        executor.stop(grace=0.5)
        cache.stop(grace=0.5)
    assert ranking(again) == ranking(first) and len(ranking(first)) == 4
    (plan,) = [e.planned for e in again if e.WhichOneof("event") == "planned"]
    kinds = [s.kind for s in walk(plan)]
    assert kinds.count("cache_lookup") == 2 and "profile" not in kinds
    assert plan.estimated_seconds == 0.0 and all(s.cached for s in plan.steps)
    done = [e.task_done for e in again if e.WhichOneof("event") == "task_done"]
    assert len(done) == 4 and all(t.from_cache for t in done)
