"""Golden statements: expected JSON, formatting round trip, protobuf round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.parser import format_script, parse
from services.parser.convert import script_from_proto, script_to_proto
from tests.parser.goldens import actual_statements, expected, golden_queries

CASES = golden_queries()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_statements_match_golden_json(path: Path) -> None:
    assert actual_statements(path) == expected(path)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_format_then_parse_gives_the_same_tree(path: Path) -> None:
    script = parse(path.read_text())
    assert parse(format_script(script)) == script


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_formatting_is_stable(path: Path) -> None:
    once = format_script(parse(path.read_text()))
    assert format_script(parse(once)) == once


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_proto_round_trip_keeps_tree_and_positions(path: Path) -> None:
    script = parse(path.read_text())
    back = script_from_proto(script_to_proto(script))
    assert back == script
    assert repr_with_positions(back) == repr_with_positions(script)


def repr_with_positions(script: object) -> str:
    from services.parser.json_view import script_to_json

    assert hasattr(script, "statements")
    return repr(script_to_json(script))  # type: ignore[arg-type]


def test_every_shiftql_example_is_a_golden_case() -> None:
    names = {p.stem for p in CASES}
    assert {"shiftql_examples", "paper_hybrid"} <= names
