"""With Redis as the store: a stopped Redis gives UNAVAILABLE with a clear message, the
services recover by themselves when it returns, nothing stored is lost across a restart with
persistence, and a restart in the middle of a query leaves no stuck job."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from cli.serve import build
from services.cache.client import CacheClient
from services.cache.records import ModelRecord
from services.runtime.errors import Unavailable
from services.runtime.server import ServiceServer
from shift.v1 import query_pb2, query_pb2_grpc
from tests.conftest import StartRedis
from tests.redis_server import RedisServer
from tests.services.conftest import register_world, serve_args
from tests.tiny_world import make_tiny_bert, write_reviews

QUERY = """select name from text_models order by err asc trained on "reviews-train"
  tested on "reviews-test" classified by ["Euclidean NN"] wait;"""


@pytest.fixture
def redis(start_redis: StartRedis, tmp_path: Path) -> RedisServer:
    return start_redis(tmp_path / "redis", appendonly=True)


@pytest.fixture
def stack(redis: RedisServer, tmp_path: Path) -> Iterator[tuple[ServiceServer, CacheClient]]:
    make_tiny_bert(tmp_path / "bert-a", seed=0)
    make_tiny_bert(tmp_path / "bert-b", seed=1, layers=1)
    write_reviews(tmp_path / "train.csv", 400, seed=0)
    write_reviews(tmp_path / "test.csv", 100, seed=1)
    server = build(serve_args(redis.url)).start()
    cache = CacheClient(server.address, timeout=10)
    register_world(cache, tmp_path)
    yield server, cache
    cache.close()
    server.stop(grace=0.5)


def ranking(server: ServiceServer) -> list[tuple[str, float]]:
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        events = list(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=120))
    (table,) = [e.result for e in events if e.WhichOneof("event") == "result"]
    return [(row.cells[0].string_value, row.cells[2].double_value) for row in table.rows]


def test_stopped_redis_is_unavailable_then_recovers(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer
) -> None:
    _, cache = stack
    redis.stop()
    with pytest.raises(Unavailable) as err:
        cache.register_model(ModelRecord(name="late", source="huggingface", uri="/m"))
    assert "redis" in err.value.message.lower() and "unavailable" in err.value.message.lower()
    redis.start()
    cache.register_model(ModelRecord(name="late", source="huggingface", uri="/m"))
    assert cache.get_model("late").name == "late"
    assert cache.get_model("bert-a").name == "bert-a"  # written before the restart: kept


def test_restart_in_the_middle_of_a_query(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer
) -> None:
    server, _ = stack
    outcome: dict[str, object] = {}

    def query() -> None:
        try:
            outcome["ranking"] = ranking(server)
        except grpc.RpcError as err:
            outcome["code"] = err.code()

    thread = threading.Thread(target=query)
    thread.start()
    redis.stop()
    redis.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "the query is stuck"
    assert "ranking" in outcome or outcome.get("code") == grpc.StatusCode.UNAVAILABLE
    final = ranking(server)  # recovers by itself; the answer is the full ranking
    assert {name for name, _ in final} == {"bert-a", "bert-b"}
    if "ranking" in outcome:
        assert outcome["ranking"] == final


def test_results_survive_a_redis_restart(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer
) -> None:
    server, cache = stack
    first = ranking(server)
    redis.stop()
    redis.start()
    keys = cache.scan("shift:v1:res:")
    assert keys, "proxy results are durable"
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        events = list(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=60))
    done = [e.task_done for e in events if e.WhichOneof("event") == "task_done"]
    assert done and all(d.from_cache for d in done)
    assert ranking(server) == first
