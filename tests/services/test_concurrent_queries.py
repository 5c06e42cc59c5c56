"""Many queries at once against `shift serve` (all four services in one process): more queries
than the server has threads must all finish, since each holds a thread while it waits on the
cache and executor."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.values import value_from_proto
from tests.query_stream import events_of
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews

QUERY = """SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON TASK "test"
  CLASSIFIED BY ["Cosine NN"] WAIT;"""
CLIENTS = 40  # more than the server's 32 threads


def ranking(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        events = events_of(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=120))
    tables = [e.result for e in events if e.WhichOneof("event") == "result"]
    return [str(value_from_proto(row.cells[0])) for row in tables[-1].rows]


def test_more_queries_than_server_threads_all_finish(tmp_path: Path) -> None:
    server = build(serve_args(f"sqlite:///{tmp_path / 'store.sqlite3'}")).start()
    try:
        cache = CacheClient(server.internal_address)
        for i in range(2):
            make_tiny_bert(tmp_path / f"m{i}", seed=i)
            cache.register_model(
                ModelRecord(name=f"m{i}", source="huggingface", uri=str(tmp_path / f"m{i}"))
            )
        for name, rows in (("train", 64), ("test", 16)):
            write_reviews(tmp_path / f"{name}.csv", rows, seed=rows)
            register_datasets(server.address, reviews_dataset(name, str(tmp_path / f"{name}.csv")))
        cache.close()
        expected = ranking(server.address)  # fills the cache
        assert sorted(expected) == ["m0", "m1"]
        results: list[list[str] | BaseException] = []
        lock = threading.Lock()

        def client() -> None:
            try:
                found: list[str] | BaseException = ranking(server.address)
            except grpc.RpcError as err:
                found = err
            with lock:
                results.append(found)

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [expected] * CLIENTS
    finally:
        server.stop(grace=1.0)
