"""Error goldens, and how errors are reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shift_search.parser import ParseErrors, parse
from shift_search.runtime.errors import PositionedError
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


def test_caret_keeps_the_tabs_of_the_line() -> None:
    error = _errors("\tSELECT * FRM m;").errors[0]
    assert (error.line, error.column) == (1, 11)
    assert error.excerpt == "\tSELECT * FRM m;\n\t         ^"
    error = _errors("SELECT *\n \t\tFROM m LIMT 1;").errors[0]
    assert error.excerpt == " \t\tFROM m LIMT 1;\n \t\t       ^"


def test_errors_keep_the_statements_that_parsed() -> None:
    errors = _errors("PURGE;\nSELECT * FRM m;\nPRINT *;")
    assert [type(s).__name__ for s in errors.statements] == ["Purge", "Print"]
    assert [s.index for s in errors.statements] == [0, 2]


def test_a_statement_reports_one_syntax_error_then_parsing_resumes_at_the_next() -> None:
    errors = _errors("SELECT * FRM m WHERE a = = 1; SELECT * FROM m LIMT 1;").errors
    assert [(e.statement, e.column) for e in errors] == [(0, 10), (1, 47)]
