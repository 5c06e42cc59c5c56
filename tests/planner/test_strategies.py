"""Every strategy end to end through QueryService on tiny real models: successive halving,
BENCHMARK aggregates, the hybrid Q4, INTERSECT and EXCEPT, CHANGE, FINETUNE and ORDER BY
FineTune, no-WAIT answers, and cancellation that leaves no task running."""

from __future__ import annotations

import contextlib
import csv
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.serve import build
from shift_search.planner import coordinator
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc, query_pb2, query_pb2_grpc
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.values import value_from_proto
from tests.planner.plan_view import of_kind, walk
from tests.query_stream import each_event, events_of
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceServer]:
    root = tmp_path_factory.mktemp("strategies")
    store = f"sqlite:///{root / 'store.sqlite3'}"
    server = build(serve_args(store)).start()
    cache = CacheClient(server.internal_address)
    for i in range(4):
        make_tiny_bert(root / f"m{i}", seed=i, layers=1 + i % 2)
        cache.register_model(
            ModelRecord(
                name=f"m{i}",
                source="huggingface",
                uri=str(root / f"m{i}"),
                upstream_accuracy=0.5 + i / 10,
                num_params=1000 * (i + 1),
            )
        )
    for name, rows, seed in (
        ("train", 240, 0),
        ("test", 40, 1),
        ("train2", 120, 2),
        ("test2", 30, 3),
        ("fresh0", 1000, 10),  # embedded by one test only, so its work cannot be cached yet
        ("fresh1", 1000, 11),
    ):
        write_reviews(root / f"{name}.csv", rows, seed=seed)
        register_datasets(server.address, reviews_dataset(name, str(root / f"{name}.csv")))
    with (root / "flip.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["label"], *[["neg"]] * 240])
    register_datasets(
        server.address,
        DatasetRecord(name="flip", uri=str(root / "flip.csv"), format="csv", label_column="label"),
    )
    cache.close()
    yield server
    server.stop(grace=0.5)


def execute(server: ServiceServer, script: str, session: str = "") -> list[query_pb2.QueryEvent]:
    with grpc.insecure_channel(server.address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        request = query_pb2.ExecuteRequest(script=script, session_id=session)
        return events_of(stub.Execute(request, timeout=300))


def rows_of(events: list[query_pb2.QueryEvent]) -> list[dict[str, Any]]:
    tables = [e.result for e in events if e.WhichOneof("event") == "result"]
    table = tables[-1]
    return [
        dict(zip(table.columns, [value_from_proto(c) for c in r.cells], strict=True))
        for r in table.rows
    ]


def test_successive_halving_with_fixed_chunk_and_budget(server: ServiceServer) -> None:
    events = execute(
        server,
        """select name from models order by err asc trained on "train"
        tested on "test" classified by ["Euclidean NN"] chunk 30 budget 8 wait;""",
    )
    (plan,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    assert plan.decisions["successive_halving"] == "true" and plan.decisions["chunk"] == "30"
    eliminated = [e.eliminated for e in events if e.WhichOneof("event") == "eliminated"]
    # 4 models, L = 2 rounds: half leave after round 0, the last round ranks the survivors
    assert [e.round for e in eliminated] == [0, 0]
    ranking = [r["name"] for r in rows_of(events)]
    assert sorted(ranking) == ["m0", "m1", "m2", "m3"]
    by_error = sorted(eliminated, key=lambda e: (e.error, e.model))
    assert ranking[-2:] == [e.model for e in by_error]


def test_history_and_halving_state_are_recorded(server: ServiceServer) -> None:
    execute(
        server,
        """select name from models order by err asc trained on "train"
        tested on "test" classified by ["Cosine NN"] chunk 30 budget 8 wait;""",
    )
    cache = CacheClient(server.internal_address)
    try:
        history = [
            json.loads(v or b"{}") for v in cache.get_values(cache.scan(keys.HISTORY_ENTRIES))
        ]
        states = [json.loads(v or b"{}") for v in cache.get_values(cache.scan(keys.SH_STATES))]
    finally:
        cache.close()
    assert any("CosineNN" in h.get("statement", "") and h["remaining_tasks"] == 0 for h in history)
    final = [s for s in states if s["proxy"] == "Cosine NN" and s["round"] == s["rounds"] - 1]
    assert final and len(final[0]["survivors"]) == 2 and len(final[0]["eliminated"]) == 2


def test_explain_analyze_puts_measured_beside_estimated(server: ServiceServer) -> None:
    events = execute(
        server,
        """explain analyze select name from models where not finetuned
        order by err asc trained on "train" tested on "test" classified by ["Cosine NN"];""",
    )
    plans = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    analyzed = plans[-1]
    assert analyzed.estimated_seconds > 0 and analyzed.measured_seconds > 0
    assert any(step.measured_seconds > 0 for step in analyzed.steps)
    split = analyzed.decisions["executor time"]  # where the executors' time went
    assert "s in tasks: " in split and "extract" in split and "other" in split
    assert rows_of(events)


def test_benchmark_aggregates_per_model(server: ServiceServer) -> None:
    events = execute(
        server,
        """select name from models order by avg(err) asc
        trained on ["train", "train2"] tested on benchmark ["test", "test2"]
        classified by ["Cosine NN"] wait;""",
    )
    (plan,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    (root,) = plan.steps
    assert plan.strategy == "benchmark" and root.children[-1].name == "aggregate"
    pairs = {s.fields["label"].string_value for s in of_kind(plan, "full_pass")}
    assert pairs == {"pair 1", "pair 2"}  # one full-data search per benchmark pair
    assert plan.estimated_seconds > 0 and not any(s.measured_seconds for s in walk(plan))
    rows = rows_of(events)
    assert len(rows) == 4
    for row in rows:
        assert row["avg(err)"] == pytest.approx((row["test"] + row["test2"]) / 2)
    assert [r["avg(err)"] for r in rows] == sorted(r["avg(err)"] for r in rows)


def test_hybrid_q4(server: ServiceServer) -> None:
    events = execute(
        server,
        """
        Q1 := SELECT name FROM models ORDER BY upstream_accuracy DESC LIMIT 1;
        Q4 := Q1 UNION SELECT name FROM models WHERE name NOT IN Q1
              ORDER BY EuclideanNN ASC LIMIT 1 TESTED ON "test" TRAINED ON "train" WAIT;
        PRINT Q4;""",
        session="hybrid",
    )
    (row,) = rows_of(events)
    members = row["members"].split(", ")
    assert members[0] == "m3" and len(members) == 2 and members[1] != "m3"


def test_change_mutation_changes_the_answer(server: ServiceServer) -> None:
    base = rows_of(
        execute(
            server,
            """select name from models where name = 'm0' order by err
        trained on "train" tested on "test" classified by ["Euclidean NN"] wait;""",
        )
    )
    flipped = rows_of(
        execute(
            server,
            """select name from models where name = 'm0' order by err
        trained on ("train" change [0,1,2,3,4,5,6,7,8,9,10,12,14,16] to "flip")
        tested on "test" classified by ["Euclidean NN"] wait;""",
        )
    )
    assert base[0]["error"] != flipped[0]["error"]


def test_finetune_registers_a_new_model(server: ServiceServer) -> None:
    events = execute(
        server,
        """FINETUNE "m0" WITH "train" USING lr=0.001, epochs=2, test="test"
        WAIT; SELECT name, finetuned FROM models WHERE FINETUNED;""",
    )
    tuned = rows_of(events)
    assert [r["name"] for r in tuned] == ["m0-ft-train"] and tuned[0]["finetuned"] is True


def test_order_by_finetune_halves_over_epochs(server: ServiceServer) -> None:
    events = execute(
        server,
        """select name from models where name like 'm_' and not finetuned
        order by FineTune(epochs=2, lr=0.001) asc trained on "train2" tested on "test2" wait;""",
    )
    (plan,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    assert plan.strategy == "finetune_ranking" and plan.decisions["epochs"] == "1 → 2"
    assert [s.tasks for s in of_kind(plan, "finetune_round")] == [4, 2]  # halving over epochs
    eliminated = [e.eliminated.model for e in events if e.WhichOneof("event") == "eliminated"]
    ranking = [r["name"] for r in rows_of(events)]
    assert len(ranking) == 4 and len(eliminated) == 2  # the last round ranks the survivors
    assert ranking[0] not in eliminated


def kinds_of(events: list[query_pb2.QueryEvent]) -> list[str]:
    return [str(e.WhichOneof("event")) for e in events]


def remaining_of(events: list[query_pb2.QueryEvent]) -> int:
    (finished,) = [e.finished for e in events if e.WhichOneof("event") == "finished"]
    return finished.remaining_tasks


def test_intersect_and_except_combine_a_ranking_with_a_restriction(server: ServiceServer) -> None:
    left = "SELECT name FROM models WHERE name LIKE 'm_' ORDER BY name ASC"
    right = """SELECT name FROM models WHERE name LIKE 'm_' ORDER BY EuclideanNN ASC LIMIT 2
        TRAINED ON "train2" TESTED ON "test2" WAIT"""
    best = [r["name"] for r in rows_of(execute(server, f"{right};"))]
    assert len(best) == 2
    both = [r["name"] for r in rows_of(execute(server, f"{left} INTERSECT {right};"))]
    assert both == sorted(best)
    rest = [r["name"] for r in rows_of(execute(server, f"{left} EXCEPT {right};"))]
    assert rest == sorted({"m0", "m1", "m2", "m3"} - set(best))
    events = execute(
        server, f"best := {right}; ({left}) EXCEPT best; PRINT best;", session="set-ops"
    )
    results = [e.result for e in events if e.WhichOneof("event") == "result"]
    assert [value_from_proto(r.cells[0]) for r in results[-2].rows] == rest
    assert value_from_proto(results[-1].rows[0].cells[2]).split(", ") == best


NO_WAIT_QUERIES = {
    "task-aware": """select name from models where not finetuned order by err
        trained on "fresh0" tested on "test" classified by [kNN(k=3)]""",
    "benchmark": """select name from models where not finetuned order by avg(err) asc
        trained on ["fresh1", "train2"] tested on benchmark ["test", "test2"]
        classified by [kNN(k=2)]""",
    "order by finetune": "select name from models where name like 'm_' and not finetuned"
    ' order by FineTune(epochs=2, lr=0.002) asc trained on "train2" tested on "test2"',
}


@pytest.mark.parametrize("query", NO_WAIT_QUERIES.values(), ids=NO_WAIT_QUERIES)
def test_without_wait_the_answer_says_what_is_still_running(
    server: ServiceServer, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    # answer right away: four models on one executor slot, each with new data to embed or a
    # model to fine-tune, cannot all be done by then
    monkeypatch.setattr(coordinator, "NO_WAIT_SECONDS", 0.0)
    events = execute(server, f"{query};")
    kinds = kinds_of(events)
    assert kinds.index("planned") < kinds.index("result")
    assert "planned" not in kinds[kinds.index("result") :]
    first = [e.result for e in events if e.WhichOneof("event") == "result"][-1]
    assert first.remaining_tasks > 0 and remaining_of(events) == first.remaining_tasks
    assert len(first.rows) < 4
    # the work goes on without the client: once it is done, asking again finds it all
    monkeypatch.setattr(coordinator, "NO_WAIT_SECONDS", 10.0)
    deadline = time.monotonic() + 240
    while remaining_of(events) and time.monotonic() < deadline:
        time.sleep(0.5)
        events = execute(server, f"{query};")
    assert remaining_of(events) == 0
    again = execute(server, f"{query} wait;")
    done = [e.task_done for e in again if e.WhichOneof("event") == "task_done"]
    assert done and all(t.from_cache for t in done)
    assert len(rows_of(again)) == 4 and remaining_of(again) == 0


def capacity(server: ServiceServer) -> executor_pb2.GetCapacityResponse:
    with grpc.insecure_channel(server.internal_address) as channel:
        executor = executor_pb2_grpc.ExecutorServiceStub(channel)
        return executor.GetCapacity(executor_pb2.GetCapacityRequest(), timeout=5)


def eventually(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def idle(server: ServiceServer) -> bool:
    reply = capacity(server)
    return reply.busy == 0 and not reply.running_tasks


LONG_QUERIES = {
    "task-aware": """select name from models where not finetuned
        order by Linear(lr=0.01, epochs=5000000) trained on "train" tested on "test" wait;""",
    "benchmark": """select name from models where not finetuned order by avg(err) asc
        trained on ["train", "train2"] tested on benchmark ["test", "test2"]
        classified by [Linear(lr=0.02, epochs=5000000)] wait;""",
    "order by finetune": """select name from models where name like 'm_' and not finetuned
        order by FineTune(epochs=20000, lr=0.001) asc trained on "train" tested on "test" wait;""",
    "finetune": """FINETUNE "m1" WITH "train" USING lr=0.001, epochs=20000, test="test" WAIT;""",
}


@pytest.mark.parametrize("script", LONG_QUERIES.values(), ids=LONG_QUERIES)
def test_cancelled_query_leaves_no_running_task(server: ServiceServer, script: str) -> None:
    assert eventually(lambda: idle(server), 120), "an earlier test left work running"
    events: list[query_pb2.QueryEvent] = []
    with grpc.insecure_channel(server.address) as channel:
        call = query_pb2_grpc.QueryServiceStub(channel).Execute(
            query_pb2.ExecuteRequest(script=script)
        )

        def read() -> None:
            with contextlib.suppress(grpc.RpcError):  # the cancellation below ends the call
                events.extend(each_event(call))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        planned = "FINETUNE" in script or eventually(lambda: "planned" in kinds_of(events), 120)
        assert planned, "the query never planned"
        assert eventually(lambda: not idle(server), 120), "no task ever ran"
        call.cancel()
        reader.join(30)
    assert "result" not in kinds_of(events)
    assert eventually(lambda: idle(server), 60), "tasks still run after the cancel"
    for _ in range(10):  # and nothing of the cancelled query starts again
        time.sleep(0.1)
        assert idle(server)
