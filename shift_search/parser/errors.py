"""Syntax and static-check errors, positioned and phrased for people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shift_search.parser.ast import Pos, Statement
from shift_search.runtime.errors import PositionedError, SourcePosition

# Keywords that only ever start a two-word phrase are shown as the phrase.
_PHRASES = {
    "ORDER": "ORDER BY",
    "GROUP": "GROUP BY",
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
    "ASSIGN": "`:=`",
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


EXCERPT_WIDTH = 100
"""Lines up to this long are quoted whole; longer ones, only this much around the column."""


def excerpt(text: str, line: int, column: int) -> str:
    """The source line and a caret under `column`. Lines end at `\n` only, as the lexer counts
    them (a `\r` before it is dropped; a lone `\r` or form feed is not a line break). Tabs
    before the caret are repeated in its padding, so it lines up however tabs are shown. A line
    longer than `EXCERPT_WIDTH` is cut to that much around the column, cuts marked `...`."""
    start = _line_start(text, line)
    end = start if start < 0 else text.find("\n", start)
    if end < 0:
        end = len(text)
    if end > start >= 0 and text[end - 1] == "\r":
        end -= 1
    index = max(column - 1, 0)
    if end - start <= EXCERPT_WIDTH:
        source_line = text[start:end] if start >= 0 else ""
    else:
        first = min(max(index - EXCERPT_WIDTH // 2, 0), end - start - EXCERPT_WIDTH)
        before_cut = "..." if first > 0 else ""
        after_cut = "..." if start + first + EXCERPT_WIDTH < end else ""
        window = text[start + first : start + first + EXCERPT_WIDTH]
        source_line = before_cut + window + after_cut
        index += len(before_cut) - first
    before = source_line[:index]
    padding = "".join("\t" if c == "\t" else " " for c in before)
    return f"{source_line}\n{padding}{' ' * (index - len(before))}^"


def _line_start(text: str, line: int) -> int:
    """Where line `line` (1-based) of `text` starts; -1 past the last line."""
    if line < 1:
        return -1
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return -1
    return start


def shorten(text: str, limit: int = 40) -> str:
    """`text`, cut to `limit` characters and marked `...` when longer (for quoting user text)."""
    return text if len(text) <= limit else text[:limit] + "..."


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


MESSAGE_CHARS = 1_000
"""`ParseErrors.message` describes errors (with their excerpts) up to about this much, then says
how many more there are: a reply holds the message once more beside the errors themselves."""


class ParseErrors(PositionedError):
    """Every error found in a script (parsing goes on after an error, from the next `;`), and
    the script's statements that had none (`statements`, in order)."""

    def __init__(
        self, errors: tuple[ParseError, ...], statements: tuple[Statement, ...] = ()
    ) -> None:
        super().__init__(_describe(errors), tuple(e.position() for e in errors))
        self.errors = errors
        self.statements = statements


def _describe(errors: tuple[ParseError, ...]) -> str:
    """The errors described one after another, the first always, the others while they fit in
    `MESSAGE_CHARS`."""
    parts: list[str] = []
    used = 0
    for count, error in enumerate(errors):
        description = error.describe()
        if parts and used + len(description) > MESSAGE_CHARS:
            rest = len(errors) - count
            parts.append(f"... and {rest} more error{'s' if rest > 1 else ''} (each has a detail)")
            break
        parts.append(description)
        used += len(description) + 1
    return "\n".join(parts)


def weight(error: ParseError) -> int:
    """About how many bytes `error` takes in a reply's error details."""
    return len(error.message) + sum(len(e) + 2 for e in error.expected) + len(error.source) + 24
