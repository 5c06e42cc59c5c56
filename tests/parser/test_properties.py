"""Property tests: no input crashes or hangs the parser; errors point inside the text; every
accepted script survives formatting and protobuf bytes."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shift_search.parser import ParseErrors, format_script, format_text, parse
from shift_search.parser.convert import script_from_proto, script_to_proto
from shift_search.parser.nesting import MAX_NESTING
from shift_search.proto.v1 import ast_pb2 as pb
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
# A deadline flags a slow example (a parse takes milliseconds; this allows for a busy machine);
# the guard stops one that never ends, which a deadline alone would wait for forever.
FAST = settings(
    max_examples=150, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow]
)
HANG_SECONDS = 10


@contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail the example when it runs for `seconds` (SIGALRM: the main thread, Unix)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"parsing took over {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_parses_or_fails_cleanly(text: str) -> None:
    with hang_guard():
        _check(text)


def _check(text: str) -> None:
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
    assert parse(format_text(text)) == script
    data = script_to_proto(script).SerializeToString()
    assert script_from_proto(pb.Script.FromString(data)) == script


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


def nested_predicate(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["a = 1", "b IN (1, [2, [3]])", "FINETUNED", "c = [[1]]"])
    if depth == 0:
        return leaf
    inner = nested_predicate(depth - 1)
    return st.one_of(
        leaf,
        inner.map(lambda p: f"NOT {p}"),
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({' '.join(t)})"),
    )


@st.composite
def nested_statements(draw: st.DrawFn) -> str:
    """Statements nested around the limit: predicates, set operations, value lists."""
    where = draw(nested_predicate(draw(st.integers(0, 12))))
    select = f"SELECT * FROM m WHERE {where}"
    operands = draw(st.integers(0, MAX_NESTING + 3))
    left_deep = draw(st.booleans())
    for i in range(operands):
        op = draw(st.sampled_from(["UNION", "INTERSECT", "EXCEPT"]))
        select = f"({select}) {op} Q{i}" if left_deep else f"Q{i} {op} ({select})"
    wrap = draw(st.sampled_from(["{}", "EXPLAIN {}", "DECLARE v AS {}", "EXPLAIN ANALYZE {}"]))
    return wrap.format(select) + ";"


@FAST
@given(nested_statements())
def test_deep_statements_decode_from_protobuf_or_fail_cleanly(text: str) -> None:
    check_parses_or_fails_cleanly(text)


@FAST
@given(st.integers(0, 2 * MAX_NESTING), st.integers(0, MAX_NESTING), st.integers(1, 3))
def test_value_lists_inside_predicates_decode_or_fail_cleanly(
    nots: int, lists: int, width: int
) -> None:
    value = "[" * lists + ", ".join(["1"] * width) + "]" * lists
    check_parses_or_fails_cleanly(f"SELECT * FROM m WHERE {'NOT ' * nots}a = {value};")
