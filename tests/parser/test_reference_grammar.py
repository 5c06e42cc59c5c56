"""The hand-written parser against the reference grammar (`shiftql.lark`, run by lark's LALR
parser): on generated statements both accept the same ones and stop at the same token on the
others. And the expected-token lists of errors are exact: each token listed lets parsing go on
at the error, and a token not listed does not."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

import shift_search.parser
from shift_search.parser import ParseErrors, parse
from shift_search.parser.cursor import SyntaxProblem
from shift_search.parser.grammar import StatementReader
from shift_search.parser.lexer import tokenize
from shift_search.parser.splitter import split_statements
from tests.parser.goldens import golden_queries

GRAMMAR = Path(shift_search.parser.__file__).with_name("shiftql.lark").read_text()
# Where lark's lexer takes only a keyword it reads one glued to what follows (`ORDERBY` as
# `ORDER BY`, `models` after REGISTER as `MODEL s`); the parser reads whole words, so here the
# keywords end at a word boundary (and outrank names, as lark's keywords do).
WHOLE_WORDS = re.sub(r'^(_?[A-Z]+): "(\w+)"i$', r"\1.2: /\2\\b/i", GRAMMAR, flags=re.MULTILINE)
REFERENCE = Lark(WHOLE_WORDS, parser="lalr")

# Statement words, space-separated, and no `;` (one statement at a time).
WORDS = [
    "SELECT", "*", "FROM", "models", "benchmark_results", "WHERE", "name", "=", "==", "<>", "<",
    "'x'", '"y"', "10M", "2e-5", "-", "AND", "OR", "NOT", "(", ")", "[", "]", ",", "ORDER", "BY",
    "err", "ASC", "DESC", "LIMIT", "1", "TRAINED", "TESTED", "ON", "TASK", "BENCHMARK",
    "CLASSIFIED", "Linear", "lr", "avg", "CHANGE", "TO", "UNION", "INTERSECT", "EXCEPT", "Q1",
    ":=", "DECLARE", "AS", "IN", "IS", "NULL", "TRUE", "BETWEEN", "LIKE", "FINETUNE", "WITH",
    "USING", "EXPLAIN", "JSON", "RANK", "USE", "localhost:80", "PRINT", "PURGE", "REGISTER",
    "DATASET", "MODEL", "VALUES", "DROP", "IF", "EXISTS", "CHUNK", "AUTO", "WAIT", "OTHER",
    "THAN", "ALL", "vec", "probe", "finetuned", "1.5e", "?", "`z", "# c\n",
]  # fmt: skip

SOURCES = [
    chunk.text.rstrip().removesuffix(";")
    for path in golden_queries()
    for chunk in split_statements(path.read_text())
]

END = (0, 0)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(text: str) -> tuple[int, int] | None:
    """None when the reference grammar accepts `text`, else where it stops (END: at the end)."""
    try:
        REFERENCE.parse(text)
    except UnexpectedToken as error:
        return END if error.token.type == "$END" else (error.token.line, error.token.column)
    except UnexpectedCharacters as error:
        return (error.line, error.column)
    except UnexpectedEOF:
        return END
    return None


def ours(text: str) -> tuple[int, int] | None:
    """None when the parser reads `text` as one statement, else the token it stops at."""
    reader = StatementReader(text, tokenize(text))
    try:
        reader._statement()  # one statement, for its syntax only
    except SyntaxProblem as error:
        tok = error.token
        return END if tok.kind == "END" else (tok.line, tok.column)
    return None


@st.composite
def statements(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=25)))
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
    return " ".join(words).replace(";", " ")  # one statement (a comment may hold a `;`)


@SETTINGS
@given(statements())
def test_the_parser_accepts_what_the_reference_grammar_accepts(text: str) -> None:
    assert ours(text) == reference(text), text


def test_each_golden_statement_is_in_the_reference_grammar() -> None:
    for text in SOURCES:
        assert reference(text) is None and ours(text) is None, text


# One token for each thing an error may say it expected.
SAMPLES = {
    "a name": "zz",
    "a quoted string": "'s'",
    "a number": "7",
    "host:port": "h:1",
    "`;`": ";",
    "`:=`": ":=",
}


def sample(phrase: str) -> str:
    """A token of the kind `phrase` names (`ORDER BY` -> `ORDER`, `` `(` `` -> `(`)."""
    if phrase in SAMPLES:
        return SAMPLES[phrase]
    if phrase.startswith("`"):
        return phrase.strip("`")
    return phrase.split()[0]


def stops_at(text: str, offset: int) -> bool:
    """Whether reading `text` as one statement stops at the token starting at `offset`."""
    reader = StatementReader(text, tokenize(text))
    try:
        reader._statement()  # one statement, for its syntax only
    except SyntaxProblem as error:
        return error.token.start == offset
    return False


OTHERS = ["(", ")", "[", "]", ",", "=", "<", "*", "-", "7", "'s'", ":=", "ORDER", "WAIT", "BY"]


@SETTINGS
@given(statements())
def test_expected_tokens_are_exactly_those_that_may_come(text: str) -> None:
    try:
        parse(text)
    except ParseErrors as errors:
        error = errors.errors[0]
        if not error.expected:
            return
        tokens = tokenize(text)
        at = next(
            (t.start for t in tokens if (t.line, t.column) == (error.line, error.column)),
            len(text),  # the end of the statement
        )
        if error.message.startswith("unexpected end of statement"):
            at = len(text)
        for phrase in error.expected:  # each lets parsing go on past the error
            tried = f"{text[:at]}\n{sample(phrase)} {text[at:]}"  # \n: never in a comment
            assert not stops_at(tried, at + 1), (text, phrase)
        if "host:port" in error.expected:  # after USE, `7`, `-`, words are hosts
            return
        listed = {sample(p) for p in error.expected}
        for other in OTHERS:  # the others stop it there
            word = other[0].isalpha()
            if other in listed or (word and "a name" in error.expected):
                continue
            tried = f"{text[:at]}\n{other} {text[at:]}"
            assert stops_at(tried, at + 1), (text, other)
