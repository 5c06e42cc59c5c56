"""A token of each role can do exactly what its role allows, over TLS against a real server;
no token, an unknown one or a revoked one gets UNAUTHENTICATED; denials are logged with the
token's name and never the token."""

from __future__ import annotations

import logging
from collections.abc import Callable

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from shift_search.proto.v1 import (
    catalog_pb2,
    parser_pb2,
    parser_pb2_grpc,
    query_pb2,
    query_pb2_grpc,
)
from shift_search.runtime.tokens import issue, revoke
from tests.query_stream import each_event, events_of
from tests.security.conftest import ROLES, Secured

Action = Callable[[grpc.Channel, str], object]


def _execute(script: str) -> Action:
    def run(channel: grpc.Channel, role: str) -> object:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        return events_of(stub.Execute(query_pb2.ExecuteRequest(script=script), timeout=60))

    return run


ACTIONS: dict[str, tuple[str, Action]] = {
    "parse": (
        "reader",
        lambda ch, _: parser_pb2_grpc.ParserServiceStub(ch).Parse(
            parser_pb2.ParseRequest(text="SELECT * FROM models;"), timeout=10
        ),
    ),
    "format": (
        "reader",
        lambda ch, _: parser_pb2_grpc.ParserServiceStub(ch).Format(
            parser_pb2.FormatRequest(text="select * from models"), timeout=10
        ),
    ),
    "explain": (
        "reader",
        lambda ch, _: query_pb2_grpc.QueryServiceStub(ch).Explain(
            query_pb2.ExplainRequest(script="SELECT name FROM models LIMIT 1;"), timeout=30
        ),
    ),
    "query": ("reader", _execute("SELECT name FROM models LIMIT 1;")),
    "declare and print": ("reader", _execute("DECLARE v AS SELECT * FROM models; PRINT v;")),
    "register model": (
        "writer",
        lambda ch, role: _execute(
            f'REGISTER MODEL "cnn-{role}" (source, uri, modality) '
            'VALUES ("efficientnet", "efficientnet-lite0", "image");'
        )(ch, role),
    ),
    "register dataset": (
        "writer",
        lambda ch, role: _execute(
            f'REGISTER DATASET "digits-{role}" (uri, format) VALUES ("digits", "builtin");'
        )(ch, role),
    ),
    # authorised, then NOT_FOUND: the model does not exist (nothing is trained)
    "finetune": ("writer", _execute('FINETUNE "no-such-model" WITH "reviews-train";')),
    # EXPLAIN only plans; EXPLAIN ANALYZE runs its statement, so it needs that statement's role
    "explain finetune": (
        "reader",
        _execute('EXPLAIN FINETUNE "no-such-model" WITH "reviews-train";'),
    ),
    "explain analyze query": (
        "reader",
        _execute("EXPLAIN ANALYZE SELECT name FROM models LIMIT 1;"),
    ),
    "explain analyze finetune": (
        "writer",
        _execute('EXPLAIN ANALYZE FINETUNE "no-such-model" WITH "reviews-train";'),
    ),
    "purge": ("admin", _execute("PURGE;")),
    "add benchmark results": (
        "writer",
        lambda ch, role: query_pb2_grpc.QueryServiceStub(ch).AddBenchmarkResults(
            query_pb2.AddBenchmarkResultsRequest(
                results=[
                    catalog_pb2.BenchmarkResult(
                        run=f"role-{role}", model="m", dataset="d", test_accuracy=0.5
                    )
                ]
            ),
            timeout=30,
        ),
    ),
    "drop model": ("writer", _execute('DROP MODEL IF EXISTS "never-registered";')),
}
RANK = {role: index for index, role in enumerate(ROLES)}
NOT_FOUND = {"finetune", "explain finetune", "explain analyze finetune"}  # authorised, no model


def code_of(action: Action, channel: grpc.Channel, role: str) -> grpc.StatusCode:
    try:
        action(channel, role)
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_role_does_exactly_what_it_may(secured: Secured, role: str, name: str) -> None:
    needed, action = ACTIONS[name]
    with secured.channel(role) as channel:
        code = code_of(action, channel, role)
    if RANK[role] >= RANK[needed]:
        expected = grpc.StatusCode.NOT_FOUND if name in NOT_FOUND else grpc.StatusCode.OK
        assert code == expected, f"{role} should be allowed to {name}"
    else:
        assert code == grpc.StatusCode.PERMISSION_DENIED, f"{role} must not {name}"


def test_a_script_is_refused_whole(secured: Secured) -> None:
    """A reader's `SELECT …; PURGE;` runs nothing: not even the SELECT."""
    stub = query_pb2_grpc.QueryServiceStub(secured.channel("reader"))
    events = stub.Execute(
        query_pb2.ExecuteRequest(script="SELECT name FROM models; PURGE;"), timeout=30
    )
    received = []
    with pytest.raises(grpc.RpcError) as err:
        for event in each_event(events):
            received.append(event)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "PURGE (statement 2) needs the admin role" in (err.value.details() or "")
    assert received == []


def test_explain_analyze_of_a_finetune_needs_the_writer_role(secured: Secured) -> None:
    """EXPLAIN ANALYZE FINETUNE fine-tunes and registers models: a reader may plan it, not
    run it, and the denial names what was refused."""
    stub = query_pb2_grpc.QueryServiceStub(secured.channel("reader"))
    finetune = 'FINETUNE "no-such-model" WITH "reviews-train";'
    analyze = query_pb2.ExecuteRequest(script=f"EXPLAIN ANALYZE {finetune}")
    with pytest.raises(grpc.RpcError) as err:
        events_of(stub.Execute(analyze, timeout=30))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    details = err.value.details() or ""
    assert "EXPLAIN ANALYZE FINETUNE (statement 1) needs the writer role" in details
    with pytest.raises(grpc.RpcError) as planned:
        events_of(stub.Execute(query_pb2.ExecuteRequest(script=f"EXPLAIN {finetune}"), timeout=30))
    assert planned.value.code() == grpc.StatusCode.NOT_FOUND  # authorised; the model is unknown


@pytest.mark.parametrize(
    "token", [None, "shift_not-a-real-token", "", "Basic dXNlcjpwYXNz"], ids=str
)
def test_no_or_unknown_token_is_unauthenticated(secured: Secured, token: str | None) -> None:
    with secured.channel(token=token or None) as channel:
        code = code_of(ACTIONS["parse"][1], channel, "reader")
    assert code == grpc.StatusCode.UNAUTHENTICATED


def test_health_and_reflection_need_no_token(secured: Secured) -> None:
    with secured.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="shift.v1.QueryService"), timeout=5
        )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in reply.list_services_response.service}
    assert {"shift.v1.QueryService", "shift.v1.ParserService"} <= names
    assert "shift.v1.CacheService" not in names


def test_revoked_token_is_refused_at_once(secured: Secured) -> None:
    token = issue(secured.token_file, "short-lived", "reader")
    with secured.channel(token=token) as channel:
        assert code_of(ACTIONS["parse"][1], channel, "reader") == grpc.StatusCode.OK
        revoke(secured.token_file, "short-lived")
        assert code_of(ACTIONS["parse"][1], channel, "reader") == grpc.StatusCode.UNAUTHENTICATED


def test_denials_are_logged_by_name_never_by_token(
    secured: Secured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with secured.channel("reader") as channel:
        assert code_of(ACTIONS["purge"][1], channel, "reader") == grpc.StatusCode.PERMISSION_DENIED
    with secured.channel(token="shift_guessed") as channel:
        assert code_of(ACTIONS["parse"][1], channel, "-") == grpc.StatusCode.UNAUTHENTICATED
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "reader-token" in text and "denied" in text
    assert "shift_guessed" not in text
    assert not any(token in text for token in secured.tokens.values())


def test_token_file_keeps_hashes_only(secured: Secured) -> None:
    text = secured.token_file.read_text()
    assert not any(token in text for token in secured.tokens.values())
    assert secured.token_file.stat().st_mode & 0o077 == 0
