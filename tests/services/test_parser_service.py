"""ParserService over real gRPC: parse, format, and positioned INVALID_ARGUMENT errors."""

from __future__ import annotations

import grpc
import pytest

from shift_search.parser import parse
from shift_search.parser.convert import script_from_proto
from shift_search.proto.v1 import parser_pb2, parser_pb2_grpc
from shift_search.runtime.status import details_of
from tests.services.conftest import Stack


def test_parse_returns_the_typed_ast(stack: Stack) -> None:
    text = "SELECT * FROM models WHERE num_params < 10M ORDER BY up_acc DESC LIMIT 3;"
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel)
    reply = stub.Parse(parser_pb2.ParseRequest(text=text), timeout=5)
    assert script_from_proto(reply.script) == parse(text)


def test_format_gives_canonical_text(stack: Stack) -> None:
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel)
    reply = stub.Format(parser_pb2.FormatRequest(text="select * from models limit 1"), timeout=5)
    assert reply.text.startswith("SELECT *")
    assert parse(reply.text) == parse("select * from models limit 1")


def test_syntax_errors_are_invalid_argument_with_positions(stack: Stack) -> None:
    text = "SELECT * FRM models;\nSELECT * FROM models LIMT 3;"
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Parse(parser_pb2.ParseRequest(text=text, source_name="q.sql"), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = details_of(err.value)
    assert [(d.locations[0].statement, d.locations[0].line) for d in details] == [(0, 1), (1, 2)]
    assert details[0].locations[0].column == 10
    assert "FROM" in details[0].expected


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("PURGE;\nSELECT * FROM m LIMIT 99999999999999999999999;", 2, 23, "out of range"),
        ('SELECT * FROM m TRAINED ON ("a" CHANGE [99999999999999999999] TO "o");', 1, 41, "range"),
        ("SELECT * FROM m WHERE " + "NOT " * 48 + "a = 1;", 1, 151, "levels deep"),
    ],
)
def test_scripts_the_ast_cannot_hold_are_invalid_argument_with_positions(
    stack: Stack, text: str, line: int, column: int, words: str
) -> None:
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Parse(parser_pb2.ParseRequest(text=text, source_name="q.sql"), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (detail,) = details_of(err.value)
    location = detail.locations[0]
    assert (location.line, location.column, location.source) == (line, column, "q.sql")
    assert words in detail.message


def test_format_keeps_comments_and_reports_positioned_errors(stack: Stack) -> None:
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel)
    reply = stub.Format(parser_pb2.FormatRequest(text="-- keep\npurge; # me"), timeout=5)
    assert reply.text == "-- keep\nPURGE; # me\n"
    with pytest.raises(grpc.RpcError) as err:
        stub.Format(
            parser_pb2.FormatRequest(text="PURGE;\nSELECT * FRM m;", source_name="q.sql"),
            timeout=5,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    location = details_of(err.value)[0].locations[0]
    assert (location.statement, location.line, location.column) == (1, 2, 10)
    assert location.source == "q.sql"
