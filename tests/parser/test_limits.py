"""Limits that keep every accepted script convertible: int64 numbers and nesting depth."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message

from shift_search.parser import ParseErrors, parse
from shift_search.parser.convert import script_from_proto, script_to_proto
from shift_search.parser.nesting import BASE_DEPTH, MAX_NESTING
from shift_search.proto.v1 import ast_pb2 as pb

LEVELS = MAX_NESTING


def decoded(text: str) -> pb.Script:
    """The script through protobuf bytes and back, checked to give the same tree."""
    script = parse(text)
    message = pb.Script.FromString(script_to_proto(script).SerializeToString())
    assert script_from_proto(message) == script
    return message


def proto_depth(message: Message) -> int:
    """How many messages deep `message` nests (itself counts one)."""
    deepest = 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = value if field.is_repeated else [value]
        deepest = max([deepest, *(proto_depth(item) for item in items)])
    return 1 + deepest


def only_error(text: str) -> tuple[int, int, str]:
    with pytest.raises(ParseErrors) as info:
        parse(text)
    (error,) = info.value.errors
    return error.line, error.column, error.message


# --- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "what"),
    [
        ("SELECT * FROM m LIMIT 99999999999999999999999;", 23, "LIMIT"),
        ("SELECT * FROM m CHUNK 99999999999999999999;", 23, "CHUNK"),
        ("SELECT * FROM m BUDGET 9223372036854775808;", 24, "BUDGET"),
        ('SELECT * FROM m TRAINED ON ("a" CHANGE [99999999999999999999] TO "o");', 41, "index"),
        (
            'SELECT * FROM m TRAINED ON ("a" CHANGE [1, 3] TO "o" [2, 9223372036854775808]);',
            58,
            "index",
        ),
    ],
)
def test_integers_beyond_int64_are_positioned_errors(text: str, column: int, what: str) -> None:
    line, col, message = only_error(text)
    assert (line, col) == (1, column)
    assert what in message and "out of range" in message


def test_the_largest_int64_is_accepted_and_converts() -> None:
    top = 2**63 - 1
    message = decoded(
        f'SELECT * FROM m TRAINED ON ("a" CHANGE [{top}] TO "o") LIMIT {top} CHUNK {top};'
    )
    select = message.statements[0].select
    assert select.limit == top and select.chunk.count == top
    assert list(select.trained_on.mutation.changes[0].indices.indices) == [top]


def test_values_beyond_int64_still_convert_as_big_integers() -> None:
    decoded("SELECT * FROM m WHERE num_params < 99999999999999999999999;")


# --- nesting ------------------------------------------------------------------------------


def nots(n: int) -> str:
    return "SELECT * FROM m WHERE " + "NOT " * n + "a = 1;"


def or_and(pairs: int) -> str:
    return "SELECT * FROM m WHERE " + "(a = 1 OR (b = 1 AND " * pairs + "c = 1" + "))" * pairs + ";"


def union_chain(operands: int) -> str:
    return " UNION ".join(f"SELECT * FROM m{i}" for i in range(operands)) + ";"


def lists(n: int) -> str:
    return 'REGISTER DATASET "x" ("a") VALUES (' + "[" * n + "1" + "]" * n + ");"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (nots(48), 1, 23 + 4 * LEVELS),  # the NOT one level too deep
        (or_and(24), 1, 23 + 21 * (LEVELS // 2) + 1),  # the `a` of the OR one level too deep
        (union_chain(50), 1, 1),  # a left-deep chain: its set operations start where it does
        (lists(60), 1, 1),  # values keep no position: the statement's
    ],
)
def test_too_deep_is_a_positioned_error(text: str, line: int, column: int) -> None:
    found_line, found_column, message = only_error(text)
    assert (found_line, found_column) == (line, column)
    assert f"more than {MAX_NESTING} levels" in message


@pytest.mark.parametrize(
    "text",
    [nots(LEVELS), or_and(LEVELS // 2), union_chain(20), union_chain(LEVELS + 1), lists(LEVELS)],
)
def test_nesting_up_to_the_limit_is_accepted_and_decodes(text: str) -> None:
    decoded(text)


@pytest.mark.parametrize(
    "text",
    [nots(LEVELS + 1), or_and(LEVELS // 2 + 1), union_chain(LEVELS + 2), lists(LEVELS + 1)],
)
def test_one_level_more_is_refused(text: str) -> None:
    assert "levels" in only_error(text)[2]


def deepest_accepted(kind: str) -> str:
    """A statement as deep in protobuf messages as an accepted statement of its kind gets."""
    third = LEVELS // 3
    rest = LEVELS - third

    def inside_sets(select: str) -> str:
        return "(" * third + select + "".join(f" UNION Q{i})" for i in range(1, third + 1))

    match kind:
        case "rank_proxy_params":
            query = f"RANK * FROM m ORDER BY Linear(lr={'[' * LEVELS}1{']' * LEVELS}) BY 'x'"
        case "rank_mutation":
            mutation = '["a", ("b" CHANGE [1] TO "c")]'
            query = f"RANK * FROM m TRAINED ON {mutation} TESTED ON t BY 'x'"
        case "set_predicate_list":
            where = "NOT " * (rest - 1) + "a IN ([1])"
            query = inside_sets(f"SELECT * FROM m WHERE {where}")
        case "set_comparison":
            query = inside_sets(f"SELECT * FROM m WHERE a = {'[' * rest}1{']' * rest}")
        case "set_proxy_params":
            proxy = f"Linear(lr={'[' * rest}1{']' * rest})"
            query = inside_sets(f"SELECT * FROM m ORDER BY {proxy} CLASSIFIED BY {proxy}")
        case _:
            raise AssertionError(kind)
    return f"EXPLAIN ANALYZE {query};"


KINDS = [
    "rank_proxy_params",
    "rank_mutation",
    "set_predicate_list",
    "set_comparison",
    "set_proxy_params",
]


@pytest.mark.parametrize("kind", KINDS)
def test_the_deepest_accepted_statements_stay_within_the_documented_bound(kind: str) -> None:
    message = decoded(deepest_accepted(kind))
    assert proto_depth(message) <= BASE_DEPTH + 2 * MAX_NESTING < 100
