"""Golden statements: expected JSON, formatting round trip, protobuf round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shift_search.parser import format_script, parse
from shift_search.parser.convert import script_from_proto, script_to_proto
from shift_search.parser.lexer import KEYWORDS as GRAMMAR_KEYWORDS
from shift_search.proto.v1 import ast_pb2 as pb
from tests.parser.goldens import GOLDEN, actual_statements, expected, golden_queries

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
    data = script_to_proto(script).SerializeToString()
    back = script_from_proto(pb.Script.FromString(data))
    assert back == script
    assert repr_with_positions(back) == repr_with_positions(script)


def repr_with_positions(script: object) -> str:
    from shift_search.parser.json_view import script_to_json

    assert hasattr(script, "statements")
    return repr(script_to_json(script))  # type: ignore[arg-type]


# The language spec: the repository's copy, and the shared original when it is checked out beside.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "shiftql.md"
SPECS = [p for p in (DOCS, DOCS.parents[2] / "shared" / "SHIFTQL.md") if p.exists()]


def code_block(doc: str, heading: str, index: int = 0) -> str:
    """The `index`th fenced code block under `heading` (up to the next heading)."""
    section = doc.split(heading, 1)[1].split("\n#", 1)[0]
    return section.split("```")[2 * index + 1].strip("\n")


def golden_text(stem: str) -> str:
    """A golden query file without its leading comment lines."""
    lines = (GOLDEN / f"{stem}.sql").read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("--")).strip("\n")


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
@pytest.mark.parametrize(
    ("stem", "heading"),
    [
        ("shiftql_examples", "## Examples"),
        ("paper_hybrid", "### Set operations"),
    ],
)
def test_every_shiftql_example_is_a_golden_case(spec: Path, stem: str, heading: str) -> None:
    assert golden_text(stem) == code_block(spec.read_text(), heading)


# Constructs with a golden in each dialect: reference_<construct>.sql and paper_<construct>.sql.
DIALECT_CONSTRUCTS = ["set_operations", "predicates", "benchmark", "change", "explain"]


KEYWORDS = {k.lower() for k in GRAMMAR_KEYWORDS}


def keywords_used(path: Path) -> set[str]:
    """The keywords of a query file as written (strings and comments left out)."""
    text = re.sub(r"--[^\n]*|\"[^\"]*\"|'[^']*'", " ", path.read_text())
    return {word for word in re.findall(r"[A-Za-z_]+", text) if word.lower() in KEYWORDS}


@pytest.mark.parametrize("construct", DIALECT_CONSTRUCTS)
def test_constructs_have_a_golden_in_each_dialect(construct: str) -> None:
    reference = keywords_used(GOLDEN / f"reference_{construct}.sql")
    paper = keywords_used(GOLDEN / f"paper_{construct}.sql")
    assert reference and all(word.islower() for word in reference)
    assert paper and all(word.isupper() for word in paper)
