"""Splits a script into statements at each `;` outside strings and comments, as `parse` does
(for callers that handle statements as text, such as an interactive prompt)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shift_search.parser.lexer import tokenize


@dataclass(frozen=True, slots=True)
class Chunk:
    """One statement's text (with its `;` when it has one) and where it starts."""

    text: str
    line: int
    column: int


def split_statements(script: str) -> Iterator[Chunk]:
    """The non-blank statements of `script`, in order (a chunk starts just after the previous
    `;`, and holds the blanks and comments before its first token)."""
    start, line, column = 0, 1, 1
    blank = True
    for token in tokenize(script):
        if token.kind == "SEMI" or token.kind == "END":
            end = token.start + 1 if token.kind == "SEMI" else len(script)
            if not blank:
                yield Chunk(script[start:end], line, column)
            start, line, column = end, token.line, token.column + 1
            blank = True
        elif token.kind != "SPACE":
            blank = False


def is_complete(script: str) -> bool:
    """Whether every statement of `script` is ended by its `;` (outside strings and comments)."""
    tokens = tokenize(script)
    last = next((t for t in reversed(tokens[:-1]) if t.kind != "SPACE"), None)
    return last is None or last.kind == "SEMI"
