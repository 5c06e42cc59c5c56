"""The ParserService gRPC handler: text in, typed AST (protobuf) or canonical text out.

Parse and Format stop between statements once the call is over (its client cancelled, or its
deadline passed), and the parser bounds what a script may hold and how much an error quotes
(`parsing.py`), so no request keeps a worker busy for long or answers with oversized trailers.
"""

from __future__ import annotations

import grpc

from shift_search.parser.convert import script_to_proto
from shift_search.parser.formatter import format_text
from shift_search.parser.parsing import Interrupt, parse
from shift_search.proto.v1 import parser_pb2, parser_pb2_grpc
from shift_search.runtime.errors import Cancelled, DeadlineExceeded
from shift_search.runtime.server import Registration


def while_active(context: grpc.ServicerContext) -> Interrupt:
    """An `interrupt` that stops parsing once the call `context` serves is over."""

    def check() -> None:
        if context.is_active():
            return
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded("parsing stopped: the call's deadline passed")
        raise Cancelled("parsing stopped: the call was cancelled")

    return check


class ParserServicer(parser_pb2_grpc.ParserServiceServicer):
    def Parse(
        self, request: parser_pb2.ParseRequest, context: grpc.ServicerContext
    ) -> parser_pb2.ParseResponse:
        source = request.source_name or "<query>"
        script = parse(request.text, source, interrupt=while_active(context))
        return parser_pb2.ParseResponse(script=script_to_proto(script))

    def Format(
        self, request: parser_pb2.FormatRequest, context: grpc.ServicerContext
    ) -> parser_pb2.FormatResponse:
        source = request.source_name or "<query>"
        text = format_text(request.text, source, interrupt=while_active(context))
        return parser_pb2.FormatResponse(text=text)


def registration() -> Registration:
    servicer = ParserServicer()
    return Registration(
        name=parser_pb2.DESCRIPTOR.services_by_name["ParserService"].full_name,
        add=lambda server: parser_pb2_grpc.add_ParserServiceServicer_to_server(servicer, server),
    )
