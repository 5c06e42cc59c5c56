"""Where a script's comments go when it is formatted (the AST holds none).

A comment after a statement's `;` on the same line trails that statement. Every other comment, on
a line of its own or inside a statement, is written on its own line before the next statement, in
order (so comments inside a statement move above it), or at the end when no statement follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from shift_search.parser.splitter import PIECES, is_blank


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
    start = 0  # where the current statement's text starts: just after the last `;`
    trail_from: int | None = None  # just after the `;` of the last statement, if any
    for match in PIECES.finditer(script):
        piece = match.group()
        if piece == ";":
            if is_blank(script[start : match.end()]):
                trail_from = None
            else:
                leading.append(tuple(pending))
                trailing.append(None)
                pending = []
                trail_from = match.end()
            start = match.end()
        elif piece.startswith(("#", "--")):
            comment = piece.rstrip()
            between = script[trail_from : match.start()] if trail_from is not None else "\n"
            if not between.strip() and "\n" not in between:
                trailing[-1] = comment
            else:
                pending.append(comment)
    if not is_blank(script[start:]):
        leading.append(tuple(pending))
        trailing.append(None)
        pending = []
    return Comments(tuple(leading), tuple(trailing), tuple(pending))
