"""How the planner turns SHiFT-QL text into statements: in its own process, or through a
ParserService (`shift serve planner --parser ADDR`). Either way the errors are the same: a
syntax error keeps every position, expectation and excerpt the parser gave it."""

from __future__ import annotations

import functools
from typing import Protocol

import grpc

from shift_search.parser import ParseError, ParseErrors, ast, parse
from shift_search.parser.convert import script_from_proto
from shift_search.proto.v1 import parser_pb2, parser_pb2_grpc
from shift_search.runtime.channels import open_channel, translate
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.status import details_of

PARSE_TIMEOUT_SECONDS = 30.0


class ScriptParser(Protocol):
    def parse(self, text: str, source: str = "<query>") -> ast.Script: ...


class InProcessParser:
    """Parses in the planner's own process; the scripts parsed last are kept (they are
    immutable), so a query sent again is not parsed again."""

    def parse(self, text: str, source: str = "<query>") -> ast.Script:
        return _parsed(text, source)


@functools.lru_cache(maxsize=256)
def _parsed(text: str, source: str) -> ast.Script:
    return parse(text, source)


class ParserClient:
    """Parses through a ParserService; errors come back as the parser raised them."""

    def __init__(self, address: str, credentials: grpc.ChannelCredentials | None = None) -> None:
        self.address = address
        self._stub = parser_pb2_grpc.ParserServiceStub(open_channel(address, credentials))

    def parse(self, text: str, source: str = "<query>") -> ast.Script:
        request = parser_pb2.ParseRequest(text=text, source_name=source)
        try:
            reply = self._stub.Parse(request, timeout=PARSE_TIMEOUT_SECONDS)
        except grpc.RpcError as err:
            raise _relayed(err, self.address) from None
        return script_from_proto(reply.script)


def _relayed(err: grpc.RpcError, address: str) -> ShiftError:
    """The parser's error as it raised it: positioned problems become ParseErrors again (one
    per detail, with the parser's whole message), so clients see what in-process parsing gives."""
    error = translate(err, address, "parser")
    details = details_of(err)
    if error.code != grpc.StatusCode.INVALID_ARGUMENT or not details:
        return error
    if not all(d.locations for d in details):
        return error
    problems = tuple(
        ParseError(
            statement=d.locations[0].statement,
            line=d.locations[0].line,
            column=d.locations[0].column,
            message=d.message,
            expected=tuple(d.expected),
            source=d.locations[0].source or "<query>",
        )
        for d in details
    )
    relayed = ParseErrors(problems)
    relayed.message = error.message
    relayed.args = (error.message,)
    return relayed
