"""ParserService under hostile input, over a real gRPC server: a script far past the limits gets
its positioned INVALID_ARGUMENT in small trailers (not RESOURCE_EXHAUSTED), many errors in long
lines stay small, work stops when the client's deadline passes, and the server stays healthy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shift_search.parser import parse
from shift_search.parser.convert import script_from_proto
from shift_search.parser.parsing import MAX_ERRORS, MAX_SCRIPT_BYTES, MAX_STATEMENTS
from shift_search.parser.service import registration
from shift_search.proto.v1 import parser_pb2, parser_pb2_grpc
from shift_search.runtime.channels import open_channel
from shift_search.runtime.limits import PUBLIC_LIMITS
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.status import details_of

TRAILERS_LIMIT = 8 * 1024
"""gRPC's default limit on metadata a client accepts (past it, calls fail RESOURCE_EXHAUSTED)."""


@pytest.fixture(scope="module")
def stub() -> Iterator[parser_pb2_grpc.ParserServiceStub]:
    limits = replace(PUBLIC_LIMITS, max_workers=4)
    server = ServiceServer(port=0, limits=limits).add(registration()).start()
    channel = open_channel(server.address)
    try:
        yield parser_pb2_grpc.ParserServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING  # after everything
    finally:
        channel.close()
        server.stop(0)


def failure(call: grpc.RpcError) -> tuple[grpc.StatusCode, int]:
    """The status code of a failed call and the size of what came back with it."""
    assert isinstance(call, grpc.Call)
    trailers = sum(len(k) + len(v) for k, v in call.trailing_metadata() or ())
    return call.code(), trailers + len((call.details() or "").encode())


def test_a_script_far_past_the_size_limit_is_one_small_positioned_error(
    stub: parser_pb2_grpc.ParserServiceStub,
) -> None:
    line = "SELECT * FROM models WHERE name = 'x' LIMT 1;\n"
    text = line * (3 * MAX_SCRIPT_BYTES // len(line))  # under the 4 MiB request limit
    for call in (stub.Parse, stub.Format):
        with pytest.raises(grpc.RpcError) as err:
            call(parser_pb2.ParseRequest(text=text, source_name="big.sql"), timeout=60)
        code, size = failure(err.value)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and size < 2048
        (detail,) = details_of(err.value)
        location = detail.locations[0]
        assert location.source == "big.sql"
        assert location.line == MAX_SCRIPT_BYTES // len(line) + 1
        assert location.column == MAX_SCRIPT_BYTES % len(line) + 1
        assert "larger than 1 MiB" in detail.message


def test_many_errors_in_long_lines_come_back_bounded(
    stub: parser_pb2_grpc.ParserServiceStub,
) -> None:
    # each line an error with the longest list of expected tokens, in a 40 KB line
    line = "SELECT * FROM m WHERE a = '" + "y" * 40_000 + "' AND b LIMT;\n"
    text = line * (MAX_SCRIPT_BYTES // len(line))
    with pytest.raises(grpc.RpcError) as err:
        stub.Parse(parser_pb2.ParseRequest(text=text), timeout=60)
    code, size = failure(err.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    details = details_of(err.value)
    assert 2 < len(details) <= MAX_ERRORS + 1 and "parsing stopped" in details[-1].message
    assert all(len(d.expected) > 20 for d in details[:-1])
    assert size < TRAILERS_LIMIT


def test_a_long_source_name_is_cut(stub: parser_pb2_grpc.ParserServiceStub) -> None:
    request = parser_pb2.ParseRequest(text="SELECT;\n" * 50, source_name="s" * 1_000_000)
    with pytest.raises(grpc.RpcError) as err:
        stub.Parse(request, timeout=60)
    code, size = failure(err.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and size < TRAILERS_LIMIT
    assert details_of(err.value)[0].locations[0].source.startswith("sss")


def test_the_most_statements_still_parse(stub: parser_pb2_grpc.ParserServiceStub) -> None:
    text = "PURGE;\n" * MAX_STATEMENTS
    reply = stub.Parse(parser_pb2.ParseRequest(text=text), timeout=60)
    assert script_from_proto(reply.script) == parse(text)


@pytest.mark.parametrize("method", ["Parse", "Format"])
def test_work_stops_when_the_deadline_passes(method: str, caplog: pytest.LogCaptureFixture) -> None:
    statement = "select * from image_models where source='vtab' order by err trained on a"
    line = f"{statement} tested on b classified by ['Cosine NN'] limit 3;\n"
    text = line * min(MAX_STATEMENTS, MAX_SCRIPT_BYTES // len(line))  # as much as is allowed
    caplog.set_level(logging.INFO, logger="shift.rpc")
    limits = replace(PUBLIC_LIMITS, max_workers=1)  # one call at a time
    server = ServiceServer(port=0, limits=limits).add(registration()).start()
    channel = open_channel(server.address)
    try:
        stub = parser_pb2_grpc.ParserServiceStub(channel)
        call = getattr(stub, method)
        with pytest.raises(grpc.RpcError) as err:
            call(parser_pb2.FormatRequest(text=text), timeout=0.05)
        assert failure(err.value)[0] == grpc.StatusCode.DEADLINE_EXCEEDED
        reply = stub.Parse(parser_pb2.ParseRequest(text="PURGE;"), timeout=30)  # served after
        assert len(reply.script.statements) == 1
    finally:
        channel.close()
        server.stop(0)
    stopped = [r.getMessage() for r in caplog.records if "deadline passed" in r.getMessage()]
    assert stopped and f"{method} -> DEADLINE_EXCEEDED" in stopped[0]
