"""SHiFT's exceptions. Each class knows its gRPC status code; `interceptors.py` does the mapping.

Raise these from any core (parser, planner, executor, cache); never raise grpc errors there.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc


class ShiftError(Exception):
    """Base of every error SHiFT reports to a caller."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(ShiftError):
    """The request is malformed (bad syntax, bad value)."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ShiftError):
    """A named thing does not exist; `suggestions` holds the closest known names."""

    code = grpc.StatusCode.NOT_FOUND

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        if suggestions:
            quoted = ", ".join(f'"{s}"' for s in suggestions)
            message = f"{message}; did you mean {quoted}?"
        super().__init__(message)
        self.suggestions = suggestions


class AlreadyExists(ShiftError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Unauthenticated(ShiftError):
    """The call carries no valid credentials (a missing, unknown or revoked token)."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ShiftError):
    """The caller is known but may not do this (its role, or a path outside the roots)."""

    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(ShiftError):
    """The request is valid but cannot run in the current state (e.g. budget too small)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ShiftError):
    """No capacity left: device slots, GPU memory."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(ShiftError):
    """A dependency (a store, another service) cannot be reached; retrying later may work."""

    code = grpc.StatusCode.UNAVAILABLE


class Cancelled(ShiftError):
    code = grpc.StatusCode.CANCELLED


class DeadlineExceeded(ShiftError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


@dataclass(frozen=True)
class SourcePosition:
    """Where in a script an error is: 1-based line and column, 0-based statement index."""

    line: int
    column: int
    statement: int = 0
    source: str = "<query>"


class PositionedError(InvalidArgument):
    """An error tied to places in a script (syntax errors, static check failures)."""

    def __init__(self, message: str, positions: tuple[SourcePosition, ...] = ()) -> None:
        super().__init__(message)
        self.positions = positions
