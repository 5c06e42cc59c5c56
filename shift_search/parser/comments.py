"""Where a script's comments go when it is formatted (the AST holds none).

A comment after a statement's `;` on the same line trails that statement. Every other comment, on
a line of its own or inside a statement, is written on its own line before the next statement, in
order (so comments inside a statement move above it), or at the end when no statement follows.
Statements are told apart as the parser does (`lexer.tokenize`), so empty ones hold no comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from shift_search.parser.lexer import tokenize


@dataclass(frozen=True, slots=True)
class Comments:
    """A script's comments by statement, in the order `parse` gives the statements."""

    leading: tuple[tuple[str, ...], ...]
    trailing: tuple[str | None, ...]
    end: tuple[str, ...] = ()


def find_comments(script: str) -> Comments:
    """The comments of `script`, placed as the module says (strings are skipped)."""
    leading: list[tuple[str, ...]] = []
    trailing: list[str | None] = []
    pending: list[str] = []
    in_statement = False  # a token of a statement seen since the last `;`
    trail_line = 0  # the line of the last statement's `;` while nothing but blanks follow it
    for token in tokenize(script, comments=True):
        match token.kind:
            case "COMMENT":
                if token.line == trail_line:
                    trailing[-1] = token.text.rstrip()
                else:
                    pending.append(token.text.rstrip())
                trail_line = 0
            case "SEMI":
                if in_statement:
                    leading.append(tuple(pending))
                    trailing.append(None)
                    pending = []
                trail_line = token.line if in_statement else 0
                in_statement = False
            case "END":
                if in_statement:
                    leading.append(tuple(pending))
                    trailing.append(None)
                    pending = []
            case "SPACE":
                pass
            case _:
                in_statement = True
                trail_line = 0
    return Comments(tuple(leading), tuple(trailing), tuple(pending))
