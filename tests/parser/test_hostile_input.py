"""Bounded work and bounded errors, whatever the input: scripts too large or with too many
statements are one positioned error, parsing stops after `MAX_ERRORS`, errors quote short
excerpts, deep brackets and huge numbers are errors, and a caller can stop parsing."""

from __future__ import annotations

import pytest

from shift_search.parser import ParseErrors, format_text, parse
from shift_search.parser.cursor import MAX_DEPTH
from shift_search.parser.errors import EXCERPT_WIDTH
from shift_search.parser.parsing import MAX_ERRORS, MAX_SCRIPT_BYTES, MAX_STATEMENTS
from shift_search.runtime.errors import Cancelled


def errors_of(text: str) -> ParseErrors:
    with pytest.raises(ParseErrors) as info:
        parse(text, source="q.sql")
    return info.value


def longest_line(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def test_a_script_past_the_byte_limit_is_one_error_at_the_first_byte_past_it() -> None:
    head = "PURGE;\n" * 3
    filler = "-- " + "x" * (MAX_SCRIPT_BYTES - len(head) - 5) + "\n"  # ends one byte short
    text = head + filler + "PRINT *;\n" * 1000
    (error,) = errors_of(text).errors
    assert (error.statement, error.line, error.column) == (3, 5, 2)
    assert error.message == "the script is larger than 1 MiB; split it into several scripts"
    assert len(error.excerpt) <= 2 * (EXCERPT_WIDTH + 8)


def test_the_byte_limit_counts_utf8_bytes() -> None:
    text = "-- " + "é" * (MAX_SCRIPT_BYTES // 2)  # two bytes each: over the limit in bytes only
    (error,) = errors_of(text).errors
    assert (error.line, error.column) == (1, 3 + (MAX_SCRIPT_BYTES - 3) // 2 + 1)
    assert len(text) < MAX_SCRIPT_BYTES
    parse("-- " + "é" * ((MAX_SCRIPT_BYTES - 3) // 2))  # just within


def test_too_many_statements_is_an_error_at_the_first_one_too_many() -> None:
    text = "PURGE;\n" * MAX_STATEMENTS + "PRINT *;\nPURGE;\n"
    errors = errors_of(text)
    (error,) = errors.errors
    assert (error.statement, error.line, error.column) == (MAX_STATEMENTS, MAX_STATEMENTS + 1, 1)
    assert f"more than {MAX_STATEMENTS:,} statements" in error.message
    assert len(errors.statements) == MAX_STATEMENTS
    assert len(parse("PURGE;\n" * MAX_STATEMENTS).statements) == MAX_STATEMENTS


def test_parsing_stops_after_max_errors_and_says_so() -> None:
    errors = errors_of("SELECT;\n" * 50).errors
    assert len(errors) == MAX_ERRORS + 1
    assert [e.line for e in errors] == list(range(1, MAX_ERRORS + 2))
    assert errors[-1].message.startswith(f"more errors follow; parsing stopped after {MAX_ERRORS}")


def test_errors_in_long_lines_quote_a_short_excerpt_around_the_column() -> None:
    line = "SELECT * FROM m WHERE a = '" + "y" * 200_000 + "' LIMT 3;"
    (error,) = errors_of(line).errors
    assert error.column == len(line) - 6
    first, caret = error.excerpt.split("\n")
    assert len(first) <= EXCERPT_WIDTH + 6 and first.startswith("...")
    assert first[len(caret) - 1 : len(caret) + 3] == "LIMT"  # the caret is under the error


def test_long_tokens_are_quoted_cut() -> None:
    name = "w" * 100_000
    for text in [
        f"SELECT * FROM m WHERE a = 1 {name};",
        f"{name};",
        f"SELECT * FROM m WHERE {name} AND a = 1;",
        f"USE '{name}';",
        f"SELECT * FROM m WHERE a = 1{name};",
        f"SELECT * FROM m ORDER BY {name}({name});",
        f"SELECT * FROM m ORDER BY Linear({name}=1, {name}=2) TRAINED ON a TESTED ON b;",
    ]:
        for error in errors_of(text).errors:
            assert len(error.message) < 300 and "www..." in error.message, error.message


def test_the_message_of_all_errors_stays_small() -> None:
    line = "SELECT * FROM m WHERE a = '" + "y" * 50_000 + "' LIMT 3;\n"
    errors = errors_of(line * 18)
    assert len(errors.message) < 5_000


@pytest.mark.parametrize("opening", ["(", "["])
def test_brackets_nested_deeper_than_the_limit_are_an_error(opening: str) -> None:
    inner = "SELECT * FROM m WHERE " if opening == "(" else "SELECT * FROM m WHERE a = "
    for depth in (MAX_DEPTH + 1, 100_000):
        (error,) = errors_of(inner + opening * depth).errors
        assert error.column == len(inner) + MAX_DEPTH + 1
        assert f"nested more than {MAX_DEPTH} deep" in error.message


def test_brackets_up_to_the_limit_parse() -> None:
    parse("SELECT * FROM m WHERE " + "(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH + ";")
    parse("(" * MAX_DEPTH + "SELECT * FROM m" + ")" * MAX_DEPTH + ";")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("SELECT * FROM m LIMIT " + "9" * 5000 + ";", "is too large"),
        ("SELECT * FROM m WHERE a = " + "9" * 5000 + ";", "is too large"),
        ("SELECT * FROM m WHERE a = 1" + "0" * 400 + ".5;", "is too large"),
        ('SELECT * FROM m TRAINED ON ("a" CHANGE [' + "9" * 5000 + '] TO "b");', "out of range"),
        ("SELECT * FROM m LIMIT -" + "9" * 3000 + ";", "at least 1"),
    ],
)
def test_huge_numbers_are_short_errors(text: str, words: str) -> None:
    (error,) = errors_of(text).errors
    assert words in error.message and len(error.message) < 200


def test_leading_zeros_do_not_make_an_index_out_of_range() -> None:
    script = parse('SELECT * FROM m TRAINED ON ("a" CHANGE [' + "0" * 50 + '7] TO "b");')
    assert script.statements


def test_interrupt_is_called_between_statements_and_stops_parsing() -> None:
    calls = []

    def interrupt() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        parse("PURGE;\n" * 10, interrupt=interrupt)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(Cancelled):
        format_text("PURGE;\n" * 10, interrupt=interrupt)


def test_a_long_single_line_script_is_read_in_bounded_time_and_reported_in_bounded_size() -> None:
    text = "PURGE " * (MAX_SCRIPT_BYTES // 6 - 1) + ";"
    (error,) = errors_of(text).errors
    assert error.column == 7 and longest_line(error.excerpt) <= EXCERPT_WIDTH + 6
