"""Syntax and static-check errors, positioned and phrased for people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shift_search.parser.ast import Pos, Statement
from shift_search.runtime.errors import PositionedError, SourcePosition

# Keywords that only ever start a two-word phrase are shown as the phrase.
_PHRASES = {
    "ORDER": "ORDER BY",
    "TRAINED": "TRAINED ON",
    "TESTED": "TESTED ON",
    "CLASSIFIED": "CLASSIFIED BY",
    "OTHER": "OTHER THAN",
}

_SYMBOLS = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "INT_LIT": "a number",
    "HOSTPORT": "host:port",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SEMI": "`;`",
    "OP_EQ": "`=`",
    "OP_EQEQ": "`==`",
    "OP_NE": "`!=`",
    "OP_LTGT": "`<>`",
    "OP_LT": "`<`",
    "OP_LE": "`<=`",
    "OP_GT": "`>`",
    "OP_GE": "`>=`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "__ANON_0": "`:=`",
}


def describe_terminal(name: str) -> str | None:
    """How people call a grammar terminal (`_ORDER` -> `ORDER BY`); None for end of input."""
    bare = name.lstrip("_")
    if bare in ("END", "$END", "WS", "COMMENT"):
        return None
    if bare in _SYMBOLS:
        return _SYMBOLS[bare]
    if bare.startswith("ANON"):
        return None
    return _PHRASES.get(bare, bare)


def describe_expected(terminals: Iterable[str]) -> tuple[str, ...]:
    """Sorted human phrases: keywords first, then symbols and kinds of token."""
    phrases = {p for t in terminals if (p := describe_terminal(t)) is not None}
    return tuple(sorted(phrases, key=lambda p: (not p[0].isupper(), p)))


def excerpt(text: str, line: int, column: int) -> str:
    """The source line and a caret under `column`. Lines end at `\n` only, as the lexer counts
    them (a `\r` before it is dropped; a lone `\r` or form feed is not a line break). Tabs
    before the caret are repeated in its padding, so it lines up however tabs are shown."""
    lines = text.split("\n")
    source_line = lines[line - 1].removesuffix("\r") if 0 < line <= len(lines) else ""
    before = source_line[: max(column - 1, 0)]
    padding = "".join("\t" if c == "\t" else " " for c in before)
    return f"{source_line}\n{padding}{' ' * (max(column - 1, 0) - len(before))}^"


@dataclass(frozen=True, slots=True)
class Problem:
    """A positioned message found while building or checking one statement."""

    pos: Pos
    message: str
    expected: tuple[str, ...] = ()


def expectation(expected: tuple[str, ...]) -> str:
    """`expected one of: ORDER BY, LIMIT, `;``, or `expected X` for a single choice."""
    if not expected:
        return ""
    if len(expected) == 1:
        return f"expected {expected[0]}"
    return f"expected one of: {', '.join(expected)}"


@dataclass(frozen=True, slots=True)
class ParseError:
    """One problem in a script: where (statement 0-based, line and column 1-based) and what."""

    statement: int
    line: int
    column: int
    message: str
    expected: tuple[str, ...] = ()
    excerpt: str = ""
    source: str = "<query>"

    def render(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"

    def describe(self) -> str:
        """The rendered error, the statement it is in, and the excerpt with its caret."""
        return f"{self.render()} (statement {self.statement + 1})\n{self.excerpt}"

    def position(self) -> SourcePosition:
        return SourcePosition(self.line, self.column, self.statement, self.source)


class ParseErrors(PositionedError):
    """Every error found in a script (parsing goes on after an error, from the next `;`), and
    the script's statements that had none (`statements`, in order)."""

    def __init__(
        self, errors: tuple[ParseError, ...], statements: tuple[Statement, ...] = ()
    ) -> None:
        super().__init__(
            "\n".join(e.describe() for e in errors), tuple(e.position() for e in errors)
        )
        self.errors = errors
        self.statements = statements
