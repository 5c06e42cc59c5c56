"""The one mapping between SHiFT errors and gRPC statuses, both ways."""

from __future__ import annotations

import grpc
from google.rpc import status_pb2
from grpc_status import rpc_status

from shift_search.proto.v1 import common_pb2
from shift_search.runtime.errors import (
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PositionedError,
    ResourceExhausted,
    ShiftError,
    SourcePosition,
    Unauthenticated,
    Unavailable,
)

_BY_CODE: dict[grpc.StatusCode, type[ShiftError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        FailedPrecondition,
        ResourceExhausted,
        Unavailable,
        Cancelled,
        DeadlineExceeded,
        Unauthenticated,
        PermissionDenied,
    )
}


def error_detail(error: ShiftError) -> common_pb2.ErrorDetail:
    """The structured detail of an error: positions, expectations, suggestions."""
    detail = common_pb2.ErrorDetail(message=error.message)
    for pos in getattr(error, "positions", ()):
        detail.locations.add(
            statement=pos.statement, line=pos.line, column=pos.column, source=pos.source
        )
    detail.expected.extend(getattr(error, "expected", ()))
    detail.suggestions.extend(getattr(error, "suggestions", ()))
    return detail


def error_details(error: ShiftError) -> list[common_pb2.ErrorDetail]:
    """One detail per problem: an error that gathers several (`errors`) gives one each."""
    parts = getattr(error, "errors", None)
    if not parts:
        return [error_detail(error)]
    return [
        common_pb2.ErrorDetail(
            message=part.message,
            locations=[
                common_pb2.SourceLocation(
                    statement=part.statement,
                    line=part.line,
                    column=part.column,
                    source=getattr(part, "source", ""),
                )
            ],
            expected=list(getattr(part, "expected", ())),
        )
        for part in parts
    ]


def to_status(error: ShiftError) -> grpc.Status:
    """A grpc.Status carrying the message and ErrorDetails in google.rpc.Status details."""
    status = status_pb2.Status(code=error.code.value[0], message=error.message)
    for detail in error_details(error):
        status.details.add().Pack(detail)
    return rpc_status.to_status(status)


def from_rpc_error(error: grpc.RpcError) -> ShiftError:
    """Turn an error received from a SHiFT service back into the matching ShiftError."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    message = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    detail = _detail_of(error)
    cls = _BY_CODE.get(code, ShiftError)
    if detail is not None and detail.locations and cls is InvalidArgument:
        positions = tuple(
            SourcePosition(loc.line, loc.column, loc.statement, loc.source or "<query>")
            for loc in detail.locations
        )
        return PositionedError(message, positions)
    out = cls(message)
    out.code = code
    return out


def _detail_of(error: grpc.RpcError) -> common_pb2.ErrorDetail | None:
    if not isinstance(error, grpc.Call):
        return None
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        return None
    if status is None:
        return None
    for any_detail in status.details:
        detail = common_pb2.ErrorDetail()
        if any_detail.Unpack(detail):
            return detail
    return None


def details_of(error: grpc.RpcError) -> list[common_pb2.ErrorDetail]:
    """Every ErrorDetail a SHiFT service attached to an error."""
    if not isinstance(error, grpc.Call):
        return []
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        return []
    out = []
    for any_detail in status.details if status is not None else ():
        detail = common_pb2.ErrorDetail()
        if any_detail.Unpack(detail):
            out.append(detail)
    return out


def error_of_code(name: str, message: str) -> ShiftError:
    """The ShiftError for a canonical gRPC status code given by name ("INVALID_ARGUMENT"), as
    the work queue carries a failed task's code."""
    code = grpc.StatusCode.__members__.get(name, grpc.StatusCode.UNKNOWN)
    out = _BY_CODE.get(code, ShiftError)(message)
    out.code = code
    return out
