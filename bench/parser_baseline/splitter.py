"""Splits a script into statements at each `;` outside strings and comments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Strings stop at a newline (an unterminated string ends its line), comments run to the end of
# the line; a `;` matched here is a statement end.
PIECES = re.compile(
    r"""
      "(?:[^"\\\n]|\\.)*"?
    | '(?:[^'\\\n]|\\.)*'?
    | `(?:[^`\\\n]|\\.)*`?
    | (?:\#|--)[^\n]*
    | ;
    """,
    re.VERBOSE,
)
_COMMENT = re.compile(r"(?:#|--)[^\n]*")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One statement's text (with its `;` when it has one) and where it starts."""

    text: str
    line: int
    column: int


def split_statements(script: str) -> Iterator[Chunk]:
    """The non-blank statements of `script`, in order."""
    start = 0
    line = 1
    line_start = 0
    for match in PIECES.finditer(script):
        if match.group() != ";":
            continue
        end = match.end()
        yield from _chunk(script, start, end, line, start - line_start + 1)
        line += script.count("\n", start, end)
        newline = script.rfind("\n", start, end)
        if newline >= 0:
            line_start = newline + 1
        start = end
    yield from _chunk(script, start, len(script), line, start - line_start + 1)


def _chunk(script: str, start: int, end: int, line: int, column: int) -> Iterator[Chunk]:
    text = script[start:end]
    if not is_blank(text):
        yield Chunk(text, line, column)


def is_blank(text: str) -> bool:
    """Only whitespace, comments and at most the `;` (a string is never blank)."""
    if any(q in text for q in "\"'`"):
        return False
    return _COMMENT.sub("", text).strip() in ("", ";")
