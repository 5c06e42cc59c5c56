"""The Python client against a real in-process server with tiny real models: results as
DataFrames, events and plans as dataclasses (no protobuf reaches the caller), errors as
QueryErrors with the gRPC code, line and column, sessions across queries, the asyncio variant,
and a progress bar only when asked for off a terminal."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket

import grpc
import pytest
from google.protobuf.message import Message as ProtoMessage

from shift_search.client import (
    AsyncClient,
    Client,
    Finished,
    Message,
    Plan,
    Planned,
    QueryError,
    Table,
    TaskDone,
)
from shift_search.client.progress import choose
from tests.services.conftest import Stack

RANKING = """SELECT name FROM text_models ORDER BY err ASC
  TRAINED ON "reviews-train" TESTED ON TASK "reviews-test"
  CLASSIFIED BY ["Cosine NN"] WAIT;"""


def no_protobuf(value: object) -> bool:
    """True when nothing inside `value` (dataclasses, tuples, dicts) is a protobuf message."""
    if isinstance(value, ProtoMessage):
        return False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(no_protobuf(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return all(no_protobuf(v) for v in value)
    if isinstance(value, dict):
        return all(no_protobuf(v) for v in value.values())
    return True


def test_a_metadata_query_converts_to_a_dataframe(stack: Stack) -> None:
    with Client(stack.address) as client:
        result = client.query("SELECT name, num_params FROM models ORDER BY num_params DESC;")
    frame = result.to_pandas()
    assert list(frame.columns) == ["name", "num_params"]
    assert frame["name"].tolist() == ["cnn-c", "bert-a", "bert-b"]
    assert frame["num_params"].tolist() == [4_652_008, 40_000, 20_000]
    assert result.records()[0] == {"name": "cnn-c", "num_params": 4_652_008}
    assert len(result) == 3 and "<table>" in result._repr_html_()


def test_a_ranking_streams_typed_events_then_its_table(stack: Stack) -> None:
    with Client(stack.address) as client:
        events = list(client.events(RANKING))
    assert all(no_protobuf(e) for e in events)
    planned = [e for e in events if isinstance(e, Planned)]
    assert planned and planned[0].plan.strategy == "task_aware"
    assert planned[0].plan.steps and planned[0].plan.estimated_seconds > 0
    tasks = [e for e in events if isinstance(e, TaskDone)]
    assert tasks and {t.model for t in tasks} <= {"bert-a", "bert-b"}
    assert all(0.0 <= t.error <= 1.0 and t.total >= t.done for t in tasks)
    (table,) = [e for e in events if isinstance(e, Table)]
    assert table.columns[0] == "name" and sorted(r[0] for r in table.rows) == ["bert-a", "bert-b"]
    assert isinstance(events[-1], Finished) and events[-1].remaining_tasks == 0


def test_plans_come_as_typed_step_trees_measured_by_explain_analyze(stack: Stack) -> None:
    """EXPLAIN JSON's text is the plan's JSON; EXPLAIN ANALYZE's plan carries what each step
    measured, and the statement's Finished event names the steps it executed."""
    with Client(stack.address) as client:
        explained = list(client.events(f"EXPLAIN JSON {RANKING}"))
        analyzed = list(client.events(f"EXPLAIN ANALYZE {RANKING}"))
    (plan,) = [e.plan for e in explained if isinstance(e, Planned)]
    (text,) = [e.text for e in explained if isinstance(e, Message)]
    assert json.loads(text) == plan.explain_json()
    (rank,) = plan.steps
    assert (rank.id, rank.kind) == ("1", "rank") and rank.fields["proxies"] == ["Cosine NN"]
    assert rank.children[0].kind == "metadata_scan"
    *_, measured = [e.plan for e in analyzed if isinstance(e, Planned)]  # announced, then measured
    finished = analyzed[-1]
    assert isinstance(finished, Finished) and finished.executed_steps
    ids = {s.id for _, s in measured.walk()}
    assert set(finished.executed_steps) <= ids
    ran = [measured.find(i) for i in finished.executed_steps]
    assert all(s is not None and s.measured is not None for s in ran)
    assert measured.measured_seconds is not None and all(no_protobuf(e) for e in analyzed)


def test_a_syntax_error_carries_code_line_and_column(stack: Stack) -> None:
    with Client(stack.address) as client, pytest.raises(QueryError) as caught:
        client.query("SELECT name FROM models;\nSELEC * FROM models;")
    err = caught.value
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert (err.statement, err.line, err.column) == (1, 2, 7)  # `SELEC` reads as a name; `*`
    assert "`;`" in err.expected and "unexpected `*`" in err.parts[0].message


def test_an_unknown_name_is_not_found_with_the_closest_names(stack: Stack) -> None:
    with Client(stack.address) as client, pytest.raises(QueryError) as caught:
        client.query(RANKING.replace("reviews-train", "reviews-trian"))
    assert caught.value.code is grpc.StatusCode.NOT_FOUND
    assert '"reviews-train"' in caught.value.message
    assert caught.value.line is None  # not tied to a place in the script


def test_an_unreachable_server_is_unavailable_naming_the_address() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    with Client(address, timeout=10) as client, pytest.raises(QueryError) as caught:
        client.query("SELECT * FROM models;")
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert address in caught.value.message


def test_queries_of_one_client_share_a_session(stack: Stack) -> None:
    with Client(stack.address) as client:
        client.query("DECLARE best AS SELECT name FROM models ORDER BY up_acc DESC LIMIT 1;")
        assert client.query("PRINT best;").records()[0]["members"] == "bert-b"
    with Client(stack.address) as other, pytest.raises(QueryError) as caught:
        other.query("PRINT best;")
    assert caught.value.code is grpc.StatusCode.NOT_FOUND


def test_explain_returns_plans_as_data(stack: Stack) -> None:
    with Client(stack.address) as client:
        (plan,) = client.explain(RANKING)
    assert isinstance(plan, Plan) and no_protobuf(plan)
    assert plan.strategy == "task_aware" and plan.steps
    assert plan.to_dict()["steps"][0]["name"] == plan.steps[0].name
    frame = plan.to_pandas()
    assert len(frame) == len(list(plan.walk())) and "estimated_seconds" in frame.columns


def test_the_asyncio_client_streams_the_same_events(stack: Stack) -> None:
    async def run() -> tuple[list[object], list[Plan], QueryError]:
        async with AsyncClient(stack.address) as client:
            events = [e async for e in client.events(RANKING)]
            plans = await client.explain(RANKING)
            result = await client.query("SELECT name FROM models WHERE name LIKE 'bert%';")
            assert sorted(result.to_pandas()["name"]) == ["bert-a", "bert-b"]
            try:
                await client.query("SELECT nme FROM models;")
            except QueryError as err:
                return events, plans, err
        raise AssertionError("an unknown column did not fail")

    events, plans, err = asyncio.run(run())
    assert any(isinstance(e, Table) for e in events) and all(no_protobuf(e) for e in events)
    assert plans[0].strategy == "task_aware"
    assert err.code is grpc.StatusCode.NOT_FOUND and '"name"' in err.message


def test_progress_shows_only_where_asked_off_a_terminal(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert choose(None) == "none"  # pytest's stderr is no terminal, and this is no notebook
    assert choose(True) == "text" and choose(False) == "none"
    with Client(stack.address) as client:
        client.query(RANKING)
        assert capsys.readouterr().err == ""
        client.query(RANKING.replace("Cosine NN", "Euclidean NN"), progress=True)
    err = capsys.readouterr().err
    assert "task_aware" in err and "2/2" in err  # tqdm's bar, on stderr
