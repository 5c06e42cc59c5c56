"""The parser against the lark parser it replaced (`bench/parser_baseline`), on the language both
read: the same statements give the same trees (positions included), and the same errors at the
same places with the same words. Only the lists of expected tokens may differ: the baseline's
came from LALR tables, which merge states, so they could list tokens that may not come
(`]` after a value outside any list) or miss some that may (INTERSECT after `(q`), and it never
listed `:=`; `test_reference_grammar.py` checks that the parser's lists are exact. And a static
problem of a construct that ends right before a syntax error (a bare column, `LIMIT 0`) is
reported by the baseline only when its LALR tables reduced the construct on the wrong token,
which merged states sometimes allow (`WHERE a BY`, as BY may follow a condition in RANK): the
parser, like a canonical LR parser, does not check such a construct.

The baseline runs here with keywords read as whole words (as the parser reads them), not glued
to what follows (`Input` after a column was `IN put` to it)."""

from __future__ import annotations

import json
import re
import threading

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lark import Lark

from bench.parser_baseline import ParseErrors as BaselineErrors
from bench.parser_baseline import parsing as baseline
from bench.parser_baseline.builder import AstBuilder
from shift_search.parser import ParseErrors, parse, script_to_json
from shift_search.parser.ast import Script
from shift_search.parser.errors import EXCERPT_WIDTH, shorten
from shift_search.parser.splitter import split_statements
from tests.parser.goldens import golden_queries
from tests.parser.test_reference_grammar import WHOLE_WORDS

# Words of the language both read (no RANK … WAIT, no DROP); space-separated, since the baseline
# read a keyword glued to what follows (`ORDERBY`) where no name could come.
WORDS = [
    "SELECT", "*", "FROM", "models", "WHERE", "name", "=", "==", "<>", "<", ">=", "'x'", '"y"',
    "10M", "2e-5", "-", "7", "1.5e", "10KB", "AND", "OR", "NOT", "(", ")", "[", "]", ",", ";",
    "ORDER", "BY", "err", "ASC", "DESC", "LIMIT", "0", "TRAINED", "TESTED", "ON", "TASK",
    "BENCHMARK", "CLASSIFIED", "Linear", "lr", "avg", "CHANGE", "TO", "UNION", "INTERSECT",
    "EXCEPT", "Q1", ":=", "DECLARE", "AS", "IN", "IS", "NULL", "TRUE", "BETWEEN", "LIKE",
    "FINETUNE", "WITH", "USING", "EXPLAIN", "JSON", "USE", "localhost:80", "'h:1'", "PRINT",
    "PURGE", "REGISTER", "DATASET", "MODEL", "VALUES", "CHUNK", "AUTO", "WAIT", "OTHER", "THAN",
    "ALL", "vec", "probe", "finetuned", "?", "`z", "-- c\n", "\n",
]  # fmt: skip

SOURCES = [
    chunk.text
    for path in golden_queries()
    if path.stem
    not in (
        "drop",
        "rank_wait",
        "rank",
        "benchmark_results",
        "grouping",
        "meta_learned",
        "strategies",
    )
    for chunk in split_statements(path.read_text())
]


class _WholeWordParsers(threading.local):
    """The baseline's per-thread parser, on the grammar with whole-word keywords."""

    def __init__(self) -> None:
        self.builder = AstBuilder()
        self.lark = Lark(WHOLE_WORDS, parser="lalr", transformer=self.builder)


_WHOLE_WORD_PARSERS = _WholeWordParsers()


def baseline_parse(text: str) -> Script:
    """The baseline parser, on the grammar with whole-word keywords."""
    original = baseline._parsers
    baseline._parsers = _WHOLE_WORD_PARSERS  # type: ignore[assignment]
    try:
        return baseline.parse(text)
    finally:
        baseline._parsers = original


def outcome(parser: object, errors: type[Exception], text: str) -> object:
    """What a parser makes of `text`: the tree's JSON, or each error without its expected list
    (with the trees of the statements that had none); excerpts of lines longer than
    `EXCERPT_WIDTH` are left out, as the parser now cuts them."""
    try:
        script = parser(text)  # type: ignore[operator]
    except errors as found:
        kept = json.dumps(script_to_json(Script(found.statements)))  # type: ignore[attr-defined]
        return [
            (e.statement, e.line, e.column, _head(e.message), _short(e.excerpt))
            for e in found.errors  # type: ignore[attr-defined]
        ], kept
    return json.dumps(script_to_json(script))  # type: ignore[arg-type]


def _head(message: str) -> str:
    """The message without its expected list, the text it quotes cut as the parser cuts it."""
    head = message.split("; expected")[0]
    for quoting in (r"(unexpected `)(.*)(`)\Z", r"(`)(.*)(` is not a number.*)\Z"):
        head = re.sub(quoting, lambda m: m[1] + shorten(m[2]) + m[3], head, flags=re.DOTALL)
    return head


def _short(excerpt: str) -> str | None:
    return excerpt if len(excerpt.split("\n")[0]) <= EXCERPT_WIDTH else None


@st.composite
def scripts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=30)))
    words = draw(st.sampled_from(SOURCES)).split(" ")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(words)))
        match draw(st.sampled_from(["delete", "insert", "swap"])):
            case "delete" if words:
                del words[min(i, len(words) - 1)]
            case "insert":
                words.insert(i, draw(st.sampled_from(WORDS)))
            case "swap" if len(words) > 1:
                j = draw(st.integers(0, len(words) - 1))
                k = min(i, len(words) - 1)
                words[j], words[k] = words[k], words[j]
            case _:
                pass
    return " ".join(words)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_the_parser_reads_like_the_baseline(text: str) -> None:
    # the baseline took a quote in a comment for a string (a trailing comment became a statement)
    assume(not re.search(r"(#|--)[^\n]*['\"`]", text))
    ours, theirs = outcome(parse, ParseErrors, text), outcome(baseline_parse, BaselineErrors, text)
    if not isinstance(ours, tuple) or not isinstance(theirs, tuple):
        assert ours == theirs
        return
    assert ours[1] == theirs[1]  # the statements without errors
    mine, baseline_errors = ours[0], theirs[0]
    assert set(mine) <= set(baseline_errors)
    for statement in {e[0] for e in baseline_errors}:  # each statement's last error, the same
        assert max(e for e in mine if e[0] == statement) == max(
            e for e in baseline_errors if e[0] == statement
        )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT name FROM models ORDER BY Linear(probe) LIMIT 1;",
        "SELECT name FROM models ORDER BY Linear(Linear, Linear) LIMIT 1;",
        "SELECT name FROM models ORDER BY Cascade(Linear, LogME, keep=0) LIMIT 1;",
        "SELECT name FROM models ORDER BY Cascade(Linear, LogME, keep=2, prior=x) LIMIT 1;",
    ],
)
def test_the_baseline_reads_the_cascade_words_the_scripts_can_draw(text: str) -> None:
    # `Linear ( probe )` and `Linear ( Linear , Linear )` come from WORDS; the baseline builder
    # once called Cascade checks its own checks module lacked (an AttributeError, not an error)
    assert outcome(baseline_parse, BaselineErrors, text) == outcome(parse, ParseErrors, text)
