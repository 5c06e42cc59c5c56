"""With Redis as the store: a stopped Redis makes queries answer UNAVAILABLE with a message
naming Redis, the services recover by themselves when it returns, nothing stored is lost across
a restart or a SIGKILL with persistence (AOF, appendfsync always), and a restart in the middle
of a query fails that query cleanly: no partial entry, and the same query then succeeds.

Design (shift_search/planner/executors.py): a task that fails UNAVAILABLE is retried a few times,
half a second apart, then the query fails with the task's error. A Redis outage longer than
those retries therefore ends the query with UNAVAILABLE; nothing waits for Redis to return."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.features.store import blocks
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc, query_pb2, query_pb2_grpc
from shift_search.runtime.errors import Unavailable
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.specs import CHUNK_SIZE
from tests.conftest import StartRedis
from tests.query_stream import each_event
from tests.redis_server import RedisServer
from tests.services.conftest import register_world, serve_args
from tests.tiny_world import make_tiny_bert, write_reviews

QUERY = """select name from text_models order by err asc trained on "reviews-train"
  tested on "reviews-test" classified by ["Euclidean NN"] wait;"""
OTHER_EXECUTOR = "another-executor"
DERIVED = (keys.FEATURES, keys.NN_SUMMARIES, keys.RESULTS)


@pytest.fixture
def redis(start_redis: StartRedis, tmp_path: Path) -> RedisServer:
    return start_redis(tmp_path / "redis", appendonly=True)


@pytest.fixture
def stack(redis: RedisServer, tmp_path: Path) -> Iterator[tuple[ServiceServer, CacheClient]]:
    make_tiny_bert(tmp_path / "bert-a", seed=0)
    make_tiny_bert(tmp_path / "bert-b", seed=1, layers=1)
    write_reviews(tmp_path / "train.csv", 400, seed=0)
    write_reviews(tmp_path / "test.csv", 100, seed=1)
    server = build(serve_args(redis.url, slots=2)).start()  # both models' tasks run at once
    cache = CacheClient(server.internal_address, timeout=10)
    register_world(cache, tmp_path, server.address)
    yield server, cache
    cache.close()
    server.stop(grace=0.5)


def execute(server: ServiceServer, timeout: float = 120) -> Iterator[query_pb2.QueryEvent]:
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        yield from each_event(stub.Execute(query_pb2.ExecuteRequest(script=QUERY), timeout=timeout))


def ranking(events: list[query_pb2.QueryEvent]) -> list[tuple[str, float]]:
    (table,) = [e.result for e in events if e.WhichOneof("event") == "result"]
    return [(row.cells[0].string_value, row.cells[2].double_value) for row in table.rows]


def from_cache(events: list[query_pb2.QueryEvent]) -> dict[str, bool]:
    """Per model: whether its score came from the cache."""
    done = [e.task_done for e in events if e.WhichOneof("event") == "task_done"]
    return {d.model: d.from_cache for d in done}


def derived_keys(cache: CacheClient, model_key: str | None = None) -> list[str]:
    found = [k for prefix in DERIVED for k in cache.scan(prefix)]
    return [k for k in found if model_key is None or model_key in k]


def test_restart_in_the_middle_of_a_query(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer, tmp_path: Path
) -> None:
    server, cache = stack
    # Another executor holds bert-b's first chunk, so bert-b's task is certainly still running
    # (waiting for that chunk) when Redis stops, whatever the timing of this machine.
    bert_b = cache.get_model("bert-b").key
    test_rows = blocks(SegmentReader().read(cache.get_dataset("reviews-test")), None, CHUNK_SIZE)
    held = keys.lease(keys.features(bert_b, test_rows[0].fingerprint))
    assert cache.acquire_lease(held, OTHER_EXECUTOR, 300)

    events: list[query_pb2.QueryEvent] = []
    failure: dict[str, grpc.RpcError] = {}

    def query() -> None:
        try:
            events.extend(execute(server))
        except grpc.RpcError as err:
            failure["error"] = err

    thread = threading.Thread(target=query)
    thread.start()
    wait_until(lambda: from_cache(events).keys() == {"bert-a"} and running_tasks(server) == 1)
    redis.stop()  # bert-a is scored and stored; bert-b's task is in progress
    thread.join(timeout=180)
    assert not thread.is_alive(), "the query is stuck"
    error = failure.get("error")
    assert error is not None, "the query cannot finish without Redis"
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "redis store at" in error.details() and "unavailable" in error.details()

    redis.start()
    cache.release_lease(held, OTHER_EXECUTOR)  # the other executor gives the chunk up
    assert derived_keys(cache, bert_b) == []  # nothing partial of the interrupted task
    bert_a = cache.get_model("bert-a").key
    assert len([k for k in cache.scan(keys.PROXY_RESULTS) if bert_a in k]) == 1  # kept
    again = list(execute(server))  # the same services, recovered by themselves
    assert from_cache(again) == {"bert-a": True, "bert-b": False}
    final = ranking(again)
    assert {name for name, _ in final} == {"bert-a", "bert-b"}
    assert all(math.isfinite(error) for _, error in final)
    assert ranking(list(execute(server))) == final


def test_a_query_is_unavailable_while_redis_is_down_then_recovers(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer
) -> None:
    server, _ = stack
    redis.stop()
    with pytest.raises(grpc.RpcError) as err:
        list(execute(server))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "redis store at" in err.value.details() and "unavailable" in err.value.details()
    redis.start()
    assert {name for name, _ in ranking(list(execute(server)))} == {"bert-a", "bert-b"}


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


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_results_survive_a_redis_restart(
    stack: tuple[ServiceServer, CacheClient], redis: RedisServer, stop: str
) -> None:
    server, cache = stack
    first = ranking(list(execute(server)))
    models = cache.list_models()
    stored = cache.scan(keys.RESULTS)
    assert stored, "proxy results are durable"
    values = cache.get_values(stored)
    if stop == "sigkill":
        redis.kill()  # no shutdown: only what the AOF already holds (appendfsync always)
    else:
        redis.stop()
    redis.start()
    assert cache.list_models() == models
    assert cache.scan(keys.RESULTS) == stored and cache.get_values(stored) == values
    again = list(execute(server, timeout=60))
    assert from_cache(again) == {"bert-a": True, "bert-b": True}
    assert ranking(again) == first


def running_tasks(server: ServiceServer) -> int:
    with grpc.insecure_channel(server.internal_address) as channel:
        stub = executor_pb2_grpc.ExecutorServiceStub(channel)
        return stub.GetCapacity(executor_pb2.GetCapacityRequest(), timeout=10).busy


def wait_until(condition: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the query never got there"
        time.sleep(0.05)
