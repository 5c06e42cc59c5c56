"""QueryService end to end on one in-process server: metadata queries, variables (many sessions
at once), set operations, task-aware ranking on tiny real models, EXPLAIN, and error codes."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest

from shift_search.planner.convert import plan_proto_json
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.status import details_of
from shift_search.runtime.values import value_from_proto
from tests.query_stream import events_of
from tests.services.conftest import Stack


def run(stack: Stack, script: str, session: str = "") -> list[query_pb2.QueryEvent]:
    stub = query_pb2_grpc.QueryServiceStub(stack.channel)
    request = query_pb2.ExecuteRequest(script=script, session_id=session)
    return events_of(stub.Execute(request, timeout=120))


def tables(events: list[query_pb2.QueryEvent]) -> list[list[dict[str, Any]]]:
    out = []
    for event in events:
        if event.WhichOneof("event") == "result":
            columns = list(event.result.columns)
            out.append(
                [
                    dict(zip(columns, [value_from_proto(c) for c in row.cells], strict=True))
                    for row in event.result.rows
                ]
            )
    return out


def error_of(stack: Stack, script: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        run(stack, script)
    return err.value


def test_select_limit(stack: Stack) -> None:
    (rows,) = tables(run(stack, "SELECT * FROM models LIMIT 3;"))
    assert len(rows) == 3
    assert {"name", "num_params", "upstream_accuracy"} <= set(rows[0])


def test_where_and_order_by_metadata(stack: Stack) -> None:
    script = "select name from text_models where num_params < 30K order by up_acc desc;"
    (rows,) = tables(run(stack, script))
    assert [r["name"] for r in rows] == ["bert-b"]
    (rows,) = tables(run(stack, "SELECT name FROM models WHERE Input = Vision;"))
    assert [r["name"] for r in rows] == ["cnn-c"]


def test_declare_other_than_and_set_operations(stack: Stack) -> None:
    script = """
    DECLARE best AS SELECT name FROM models ORDER BY upstream_accuracy DESC LIMIT 1;
    SELECT name FROM models ORDER BY name ASC OTHER THAN best;
    Q1 := SELECT name FROM models WHERE modality = 'image';
    Q1 UNION SELECT name FROM text_models WHERE name NOT IN Q1 ORDER BY name LIMIT 1;
    PRINT *;
    """
    events = run(stack, script, session="s1")
    without_best, union, variables = tables(events)
    assert [r["name"] for r in without_best] == ["bert-a", "cnn-c"]
    assert [r["name"] for r in union] == ["cnn-c", "bert-a"]
    assert {r["variable"] for r in variables} == {"best", "Q1"}


def test_variables_live_in_their_session(stack: Stack) -> None:
    run(stack, "DECLARE mine AS SELECT * FROM models LIMIT 1;", session="s2")
    err = error_of(stack, "SELECT * FROM models OTHER THAN mine;")
    assert err.code() == grpc.StatusCode.NOT_FOUND


def test_many_sessions_at_once_keep_their_own_variables(stack: Stack) -> None:
    names = ["bert-a", "bert-b", "cnn-c"]
    barrier = threading.Barrier(6)

    def session(i: int) -> list[str]:
        barrier.wait()
        script = f"""DECLARE mine AS SELECT name FROM models WHERE name = '{names[i % 3]}';
            SELECT name FROM models WHERE name IN mine;"""
        (rows,) = tables(run(stack, script, session=f"many-{i}"))
        barrier.wait()  # every session has declared its own `mine` by now
        (again,) = tables(run(stack, "PRINT mine;", session=f"many-{i}"))
        return [r["name"] for r in rows] + [again[0]["members"]]

    with ThreadPoolExecutor(6) as pool:
        seen = list(pool.map(session, range(6)))
    assert seen == [[names[i % 3]] * 2 for i in range(6)]


def test_declares_running_at_once_in_one_session_all_stay(stack: Stack) -> None:
    barrier = threading.Barrier(8)

    def declare(i: int) -> None:
        barrier.wait()
        run(stack, f"DECLARE v{i} AS SELECT name FROM models LIMIT {1 + i % 3};", session="busy")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(declare, range(8)))
    (rows,) = tables(run(stack, "PRINT *;", session="busy"))
    assert sorted(r["variable"] for r in rows) == sorted(f"v{i}" for i in range(8))
    assert {r["variable"]: len(r["members"].split(", ")) for r in rows} == {
        f"v{i}": 1 + i % 3 for i in range(8)
    }
    # a name is one variable in any case: declaring V0 replaces v0
    run(stack, "DECLARE V0 AS SELECT name FROM models WHERE name = 'cnn-c';", session="busy")
    (rows,) = tables(run(stack, "PRINT *;", session="busy"))
    members = {r["variable"].lower(): r["members"] for r in rows}
    assert len(rows) == 8 and members["v0"] == "cnn-c"


def test_task_aware_ranking_on_real_tiny_models(stack: Stack) -> None:
    script = """
    select name from text_models order by err asc
      trained on "reviews-train" tested on task "reviews-test"
      classified by ["Euclidean NN", Linear(lr=0.1, epochs=50)] wait;
    """
    events = run(stack, script)
    kinds = [e.WhichOneof("event") for e in events]
    assert "planned" in kinds and "task_done" in kinds and kinds[-1] == "finished"
    (rows,) = tables(events)
    assert {r["proxy"] for r in rows} == {"Euclidean NN", "Linear"}
    assert {r["name"] for r in rows} == {"bert-a", "bert-b"}
    errors = [r["error"] for r in rows if r["proxy"] == "Euclidean NN"]
    assert errors == sorted(errors) and all(0.0 <= e <= 1.0 for e in errors)
    again = run(stack, script)
    assert all(e.task_done.from_cache for e in again if e.WhichOneof("event") == "task_done")
    assert tables(again) == [rows]


def test_explain_shows_the_plan_without_running(stack: Stack) -> None:
    script = """explain select * from text_models order by err asc trained on "reviews-train"
      tested on "reviews-test" classified by ["Cosine NN"];"""
    events = run(stack, script)
    (plan,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    assert plan.strategy == "task_aware"
    assert plan.decisions["successive_halving"] in ("true", "false")
    assert plan.estimated_seconds > 0
    assert not [e for e in events if e.WhichOneof("event") == "task_done"]


def test_explain_json_returns_the_plan_as_structured_json(stack: Stack) -> None:
    events = run(
        stack,
        """explain json select name from text_models order by err asc trained on
        "reviews-train" tested on "reviews-test" classified by ["Cosine NN"];""",
    )
    (plan,) = [e.planned for e in events if e.WhichOneof("event") == "planned"]
    (message,) = [e.message.text for e in events if e.WhichOneof("event") == "message"]
    shown = json.loads(message)
    assert shown == plan_proto_json(plan)
    (rank,) = shown["steps"]
    assert rank["kind"] == "rank" and rank["id"] == "1"
    kinds = [c["kind"] for c in rank["children"]]  # models not profiled yet are profiled first
    assert kinds in (["metadata_scan", "full_pass"], ["metadata_scan", "profile", "full_pass"])
    full = rank["children"][-1]
    assert full["fields"]["models"] == ["bert-a", "bert-b"]
    assert rank["estimate"]["seconds"] == pytest.approx(shown["estimated_seconds"])
    parts = sum(c["estimate"]["seconds"] for c in full["children"])
    assert parts > 0 and full["estimate"]["seconds"] == pytest.approx(parts)
    kinds = [c["kind"] for c in full["children"]]
    assert kinds == ["dispatch", "load_models", "extract_features", "extract_features",
                     "proxy_score"]  # fmt: skip


def test_syntax_error_is_invalid_argument_with_position(stack: Stack) -> None:
    err = error_of(stack, "SELECT * FROM models\nWHERE num_params <;")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    (detail,) = details_of(err)
    assert (detail.locations[0].line, detail.locations[0].column) == (2, 19)


def test_unknown_names_are_not_found_with_suggestions(stack: Stack) -> None:
    err = error_of(stack, "SELECT * FROM modles;")
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert '"models"' in (err.details() or "")
    err = error_of(stack, "SELECT * FROM models WHERE num_parms > 1;")
    assert '"num_params"' in (err.details() or "")
    err = error_of(
        stack,
        'SELECT * FROM models ORDER BY err ASC TRAINED ON "reviews-trian" TESTED ON '
        '"reviews-test" CLASSIFIED BY ["Euclidean NN"] WAIT;',
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert '"reviews-train"' in (err.details() or "")


@pytest.mark.parametrize("explain", ["", "EXPLAIN "])
def test_unknown_proxy_is_not_found_whether_run_or_explained(stack: Stack, explain: str) -> None:
    err = error_of(
        stack,
        f'{explain}SELECT * FROM text_models ORDER BY err ASC TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" CLASSIFIED BY ["Euclidian NN"] WAIT;',
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert "Euclidian NN" in (err.details() or "") and '"Euclidean NN"' in (err.details() or "")
    err = error_of(
        stack,
        f'{explain}SELECT * FROM text_models ORDER BY err ASC TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" CLASSIFIED BY ["Cosine NN", Linaer(lr=0.1)] WAIT;',
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and '"Linear"' in (err.details() or "")
    err = error_of(
        stack,
        f"{explain}SELECT * FROM text_models ORDER BY avg(err) ASC "
        'TRAINED ON "reviews-train" TESTED ON BENCHMARK ["reviews-test"] '
        'CLASSIFIED BY ["Euclidian NN"] WAIT;',
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and '"Euclidean NN"' in (err.details() or "")
    err = error_of(  # a misspelt proxy in ORDER BY reads as a column until it is bound
        stack,
        f'{explain}SELECT * FROM text_models ORDER BY CosinNN TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" WAIT;',
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and '"Cosine NN"' in (err.details() or "")


@pytest.mark.parametrize("explain", ["", "EXPLAIN "])
def test_unknown_metadata_column_is_not_found_whether_run_or_explained(
    stack: Stack, explain: str
) -> None:
    for query in (
        "SELECT * FROM models ORDER BY num_paramz;",
        "SELECT name, num_paramz FROM models;",
    ):
        err = error_of(stack, explain + query)
        assert err.code() == grpc.StatusCode.NOT_FOUND
        assert '"num_params"' in (err.details() or "")


def test_explain_rpc_binds_proxies(stack: Stack) -> None:
    stub = query_pb2_grpc.QueryServiceStub(stack.channel)
    script = (
        'SELECT * FROM text_models ORDER BY err ASC TRAINED ON "reviews-train" '
        'TESTED ON "reviews-test" CLASSIFIED BY ["Cosine NN", "Euclidian NN"];'
    )
    with pytest.raises(grpc.RpcError) as err:
        stub.Explain(query_pb2.ExplainRequest(script=script), timeout=60)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert '"Euclidean NN"' in (err.value.details() or "")


def test_bad_proxy_is_invalid_argument(stack: Stack) -> None:
    err = error_of(
        stack,
        'SELECT * FROM text_models ORDER BY err ASC TRAINED ON "reviews-train" TESTED ON '
        '"reviews-test" CLASSIFIED BY [Linear(lr=-1)] WAIT;',
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "lr" in (err.details() or "")


@pytest.mark.parametrize("explain", ["", "EXPLAIN "])
def test_ranking_datasets_is_refused_whether_run_or_explained(stack: Stack, explain: str) -> None:
    err = error_of(
        stack,
        f'{explain}SELECT * FROM datasets ORDER BY err ASC TRAINED ON "reviews-train" TESTED ON '
        '"reviews-test" CLASSIFIED BY ["Euclidean NN"] WAIT;',
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "table of models" in (err.details() or "")
