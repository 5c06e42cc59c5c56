"""Error goldens, and how errors are reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.parser import ParseErrors, parse
from services.runtime.errors import PositionedError
from tests.parser.goldens import actual_errors, error_queries, expected

CASES = error_queries()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_errors_match_golden(path: Path) -> None:
    found = actual_errors(path)
    assert found, "an error case must fail"
    assert found == expected(path)


def _errors(text: str) -> ParseErrors:
    with pytest.raises(ParseErrors) as info:
        parse(text, source="q.sql")
    return info.value


def test_every_statement_is_reported_not_only_the_first() -> None:
    errors = _errors("SELECT * FRM a; PRINT x; SELECT * FROM m LIMIT 0; SELECT; PURGE;").errors
    assert [e.statement for e in errors] == [0, 2, 3]


def test_error_renders_source_line_column_and_caret() -> None:
    error = _errors("SELECT * FROM models\n  WHERE source = 'x' LIMT 5;").errors[0]
    assert error.render() == "q.sql:2:22: " + error.message
    assert error.excerpt == "  WHERE source = 'x' LIMT 5;\n" + " " * 21 + "^"
    assert "LIMIT" in error.expected and "ORDER BY" in error.expected and "`;`" in error.expected


def test_messages_never_show_grammar_terminal_names() -> None:
    inputs = ["SELECT * FROM m WHERE a = ;", "USE ;", "SELECT * FROM m ORDER BY", "x := ;", "("]
    for text in inputs:
        for error in _errors(text).errors:
            assert not re.search(r"[A-Z]+_[A-Z]+|__ANON|\$END|LPAR|RSQB", error.message), error


def test_parse_errors_is_a_positioned_shift_error() -> None:
    errors = _errors("SELECT * FROM models WHERE;\nPURGE;\nSELECT 1;")
    assert isinstance(errors, PositionedError)
    assert [(p.statement, p.line) for p in errors.positions] == [(0, 1), (2, 3)]
    assert "(statement 3)" in errors.message
