"""Property tests: no input crashes or hangs the parser; errors point inside the text."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.parser import ParseErrors, format_script, parse
from tests.parser.goldens import golden_queries

TOKENS = [
    "SELECT", "*", "FROM", "models", "WHERE", "name", "=", "'x'", '"y"', "10M", "2e-5", "AND",
    "OR", "NOT", "(", ")", "[", "]", ",", ";", "ORDER", "BY", "err", "ASC", "DESC", "LIMIT", "1",
    "TRAINED", "TESTED", "ON", "TASK", "CLASSIFIED", "Linear", "lr", "CHANGE", "TO", "UNION",
    "Q1", ":=", "DECLARE", "AS", "IN", "IS", "NULL", "BETWEEN", "LIKE", "FINETUNE", "WITH",
    "USING", "EXPLAIN", "RANK", "USE", "PRINT", "PURGE", "REGISTER", "DATASET", "VALUES", "#c\n",
    "-- c\n", "`z", "?", "\n", "CHUNK", "AUTO", "WAIT", "OTHER", "THAN", "avg", "-",
]  # fmt: skip

SOURCES = [line for p in golden_queries() for line in re.split(r"(?<=;)", p.read_text())]
SOURCES = [s for s in SOURCES if s.strip()]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_parses_or_fails_cleanly(text: str) -> None:
    lines = text.split("\n")  # the parser's lines: a lone \r or form feed does not end one
    try:
        script = parse(text)
    except ParseErrors as errors:
        assert errors.errors
        for e in errors.errors:
            assert 1 <= e.line <= max(len(lines), 1) + 1
            assert 1 <= e.column <= len(lines[min(e.line, len(lines)) - 1]) + 2
            assert e.message and "^" in e.excerpt
        return
    assert parse(format_script(script)) == script


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_random_token_sequences(tokens: list[str]) -> None:
    check_parses_or_fails_cleanly(" ".join(tokens))


@FAST
@given(st.text(max_size=80))
def test_random_text(text: str) -> None:
    check_parses_or_fails_cleanly(text)


@pytest.mark.parametrize("text", ["\r;0", "SELECT\x0c;0", "SELECT 1;\r\n0"])
def test_odd_line_breaks_position_errors_on_real_lines(text: str) -> None:
    check_parses_or_fails_cleanly(text)


@FAST
@given(st.sampled_from(SOURCES), st.data())
def test_mutated_valid_queries(source: str, data: st.DataObject) -> None:
    words = source.split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(words)))
        match data.draw(st.sampled_from(["delete", "insert", "swap"])):
            case "delete" if words:
                del words[min(i, len(words) - 1)]
            case "insert":
                words.insert(i, data.draw(st.sampled_from(TOKENS)))
            case "swap" if len(words) > 1:
                j = data.draw(st.integers(0, len(words) - 1))
                k = min(i, len(words) - 1)
                words[j], words[k] = words[k], words[j]
            case _:
                pass
    check_parses_or_fails_cleanly(" ".join(words))
