"""When the text typed so far is a whole statement, and what it asks of the shell itself."""

from __future__ import annotations

import re

# The lexical pieces that can hide a `;`: strings in three quotes (they end at a newline, as the
# parser's do) and comments to the end of the line.
_PIECES = re.compile(
    r"""
      "(?:[^"\\\n]|\\.)*"?
    | '(?:[^'\\\n]|\\.)*'?
    | `(?:[^`\\\n]|\\.)*`?
    | (?:\#|--)[^\n]*
    | ;
    """,
    re.VERBOSE,
)
_BLANK = re.compile(r"(?:\s|(?:#|--)[^\n]*)*")
SHELL_COMMANDS = ("help", "quit", "exit", r"\q", r"\?", "refresh")


def is_complete(text: str) -> bool:
    """True when `text` ends with a `;` outside strings and comments (only blanks and comments
    after it), or is one of the shell's own commands, or is blank."""
    if not text.strip() or shell_command(text) is not None:
        return True
    last_end = None
    for match in _PIECES.finditer(text):
        if match.group() == ";":
            last_end = match.end()
    return last_end is not None and _BLANK.fullmatch(text, last_end) is not None


def shell_command(text: str) -> str | None:
    """The shell command `text` is (`quit`, `help` …, with or without a `;`), else None."""
    word = text.strip().rstrip(";").strip().lower()
    return word if word in SHELL_COMMANDS else None
