"""The paper authors' published query files (`corpus/`, see its README): every statement parses,
and survives formatting and protobuf like any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.parser import ast, format_script, format_text, parse
from shift_search.parser.convert import script_from_proto, script_to_proto
from shift_search.proto.v1 import ast_pb2 as pb

CORPUS = Path(__file__).parent / "corpus" / "ds3lab_shift"
FILES = sorted(CORPUS.rglob("*.shiftql"))
STATEMENTS = 270


def corpus() -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in FILES]


def test_the_corpus_is_all_there() -> None:
    assert len(FILES) == 59
    assert sum(len(parse(text).statements) for _, text in corpus()) == STATEMENTS


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_every_statement_parses_formats_and_converts(path: Path) -> None:
    text = path.read_text()
    script = parse(text, source=path.name)
    assert parse(format_script(script)) == script
    assert parse(format_text(text)) == script
    back = script_from_proto(pb.Script.FromString(script_to_proto(script).SerializeToString()))
    assert back == script


def test_the_files_that_failed_before_parse_as_they_read() -> None:
    leep = parse((CORPUS / "client/shiftql/examples/extensions/rank_by_leep.shiftql").read_text())
    (explain,) = leep.statements
    assert isinstance(explain, ast.Explain) and isinstance(explain.query, ast.Rank)
    assert explain.query.scorer == "leep" and explain.query.query.wait
    # ends with a commented-out statement holding quotes, and no newline after it
    candidates = CORPUS / "client/shiftql/examples/experiments/candidates.shiftql"
    assert not candidates.read_text().endswith("\n")
    assert len(parse(candidates.read_text()).statements) == 9
