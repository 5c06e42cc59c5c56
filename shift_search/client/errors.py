"""The one exception a query raises: the gRPC code, and where in the script it went wrong."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from shift_search.runtime.errors import ShiftError


@dataclass(frozen=True)
class ErrorLocation:
    """A place in the script: 0-based statement index, 1-based line and column."""

    statement: int
    line: int
    column: int
    source: str = "<query>"


@dataclass(frozen=True)
class ErrorPart:
    """One problem of several (a script with two syntax errors has two)."""

    message: str
    locations: tuple[ErrorLocation, ...] = ()
    expected: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


class QueryError(ShiftError):
    """A query failed. `code` is the canonical gRPC status code (`code.name` reads
    `INVALID_ARGUMENT`, `NOT_FOUND`, …); `line` and `column` say where (None when the error is
    not tied to a place, e.g. UNAVAILABLE); `parts` holds every problem the server reported."""

    def __init__(
        self, code: grpc.StatusCode, message: str, parts: tuple[ErrorPart, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.parts = parts

    @property
    def locations(self) -> tuple[ErrorLocation, ...]:
        return tuple(loc for part in self.parts for loc in part.locations)

    @property
    def line(self) -> int | None:
        return self.locations[0].line if self.locations else None

    @property
    def column(self) -> int | None:
        return self.locations[0].column if self.locations else None

    @property
    def statement(self) -> int | None:
        return self.locations[0].statement if self.locations else None

    @property
    def expected(self) -> tuple[str, ...]:
        return tuple(e for part in self.parts for e in part.expected)

    @property
    def suggestions(self) -> tuple[str, ...]:
        return tuple(s for part in self.parts for s in part.suggestions)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    def __repr__(self) -> str:
        where = f", line={self.line}, column={self.column}" if self.line is not None else ""
        return f"QueryError({self.code.name}{where}: {self.message.splitlines()[0]!r})"
