"""The ParserService gRPC handler: text in, typed AST (protobuf) or canonical text out."""

from __future__ import annotations

import grpc

from shift_search.parser.convert import script_to_proto
from shift_search.parser.formatter import format_text
from shift_search.parser.parsing import parse
from shift_search.proto.v1 import parser_pb2, parser_pb2_grpc
from shift_search.runtime.server import Registration


class ParserServicer(parser_pb2_grpc.ParserServiceServicer):
    def Parse(
        self, request: parser_pb2.ParseRequest, context: grpc.ServicerContext
    ) -> parser_pb2.ParseResponse:
        script = parse(request.text, request.source_name or "<query>")
        return parser_pb2.ParseResponse(script=script_to_proto(script))

    def Format(
        self, request: parser_pb2.FormatRequest, context: grpc.ServicerContext
    ) -> parser_pb2.FormatResponse:
        return parser_pb2.FormatResponse(
            text=format_text(request.text, request.source_name or "<query>")
        )


def registration() -> Registration:
    servicer = ParserServicer()
    return Registration(
        name=parser_pb2.DESCRIPTOR.services_by_name["ParserService"].full_name,
        add=lambda server: parser_pb2_grpc.add_ParserServiceServicer_to_server(servicer, server),
    )
