"""Comments survive formatting: between statements, trailing a `;`, at the end, and (moved above
their statement) inside one."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.parser import format_text, parse
from shift_search.parser.comments import Comments, find_comments
from tests.parser.goldens import golden_queries

SCRIPT = """-- head
# second head line
SELECT name FROM models; -- trails the select

-- about PURGE
PURGE  -- inside PURGE
;;  -- after an empty statement
SELECT * FROM m WHERE a = '-- no comment; in a string'
-- the end
"""


def test_comments_are_placed_by_statement() -> None:
    assert find_comments(SCRIPT) == Comments(
        leading=(
            ("-- head", "# second head line"),
            ("-- about PURGE", "-- inside PURGE"),
            ("-- after an empty statement", "-- the end"),
        ),
        trailing=("-- trails the select", None, None),
    )


def test_format_text_keeps_comments() -> None:
    assert format_text("-- a\nPURGE; -- b\n-- c\nPRINT *;\n-- d\n") == (
        "-- a\nPURGE; -- b\n-- c\nPRINT *;\n-- d\n"
    )
    assert format_text("# only a comment") == "# only a comment\n"
    assert format_text("") == ""


CASES = [*golden_queries(), None]


@pytest.mark.parametrize("path", CASES, ids=[p.stem if p else "script" for p in CASES])
def test_formatting_with_comments_keeps_the_tree_and_is_stable(path: Path | None) -> None:
    text = path.read_text() if path else SCRIPT
    once = format_text(text)
    assert parse(once) == parse(text)
    assert format_text(once) == once
    comments = [line for line in text.splitlines() if line.lstrip().startswith(("--", "#"))]
    assert all(c.strip() in once for c in comments)
