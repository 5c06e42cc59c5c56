"""`parse`: script text to a `Script`, reporting every error of every statement.

Each statement is parsed on its own by an LALR parser that builds the AST as it reduces; after a
syntax error parsing resumes at the next statement, so a statement reports at most one syntax
error (and every static problem found while building it). One parser per thread (the builder
holds the current statement's state).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bench.parser_baseline import checks, nesting
from bench.parser_baseline.builder import AstBuilder
from bench.parser_baseline.errors import (
    ParseError,
    ParseErrors,
    Problem,
    describe_expected,
    excerpt,
    expectation,
)
from bench.parser_baseline.splitter import Chunk, split_statements
from shift_search.parser import ast

GRAMMAR = Path(__file__).with_name("shiftql.lark").read_text()

_QUOTES = "\"'`"

# A word that starts like a number (`1.5e`, `10KB`, `1e+`, `1_000`), and what a number is.
_NUMBERISH = re.compile(r"(?<![\w.])(?:[0-9]|\.[0-9])[\w.]*(?:(?<=[eE])[+-][\w.]*)?")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:e[+-]?[0-9]+)?[kmb]?\Z", re.I)


_BUILDING = threading.Lock()
"""Lark loads a grammar with `ast.literal_eval`, which CPython 3.11 does not make thread-safe
("AST constructor recursion depth mismatch" when threads build parsers at once)."""


class _StatementParser(threading.local):
    def __init__(self) -> None:
        self.builder = AstBuilder()
        with _BUILDING:
            self.lark = Lark(GRAMMAR, parser="lalr", transformer=self.builder)


_parsers = _StatementParser()


def parse(text: str, source: str = "<query>") -> ast.Script:
    """Parse a script; raise `ParseErrors` holding every error found."""
    statements: list[ast.Statement] = []
    errors: list[ParseError] = []
    for index, chunk in enumerate(split_statements(text)):
        statement, problems = _parse_statement(chunk, index)
        for p in sorted(problems, key=lambda p: (p.pos.line, p.pos.column)):
            line, column = p.pos.line, p.pos.column
            errors.append(
                ParseError(
                    index,
                    line,
                    column,
                    p.message,
                    p.expected,
                    excerpt(text, line, column),
                    source,
                )
            )
        if statement is not None and not problems:
            statements.append(statement)
    if errors:
        raise ParseErrors(tuple(errors), tuple(statements))
    return ast.Script(tuple(statements), source)


def _parse_statement(chunk: Chunk, index: int) -> tuple[ast.Statement | None, list[Problem]]:
    builder = _parsers.builder
    builder.reset(index, chunk.line, chunk.column)
    try:
        statement: ast.Statement = _parsers.lark.parse(chunk.text)  # type: ignore[assignment]
    except UnexpectedInput as error:
        builder.muted = True
        return None, [*builder.problems, _syntax_problem(error, chunk, builder)]
    too_deep = nesting.nesting_problem(statement)
    if too_deep is not None:  # the checks recurse: spare them what may be too deep for that
        return statement, [*builder.problems, too_deep]
    return statement, [*builder.problems, *checks.check_statement(statement)]


def _syntax_problem(error: UnexpectedInput, chunk: Chunk, builder: AstBuilder) -> Problem:
    return _bad_number(error, chunk, builder) or _unexpected(error, chunk, builder)


def _bad_number(error: UnexpectedInput, chunk: Chunk, builder: AstBuilder) -> Problem | None:
    """A problem at a malformed number (`1.5e`, `10KB`) that the error falls in, if any."""
    line, column = error.line, error.column
    if not isinstance(line, int) or not isinstance(column, int) or line < 1:
        return None
    text = chunk.text.split("\n")[line - 1] if line <= chunk.text.count("\n") + 1 else ""
    for match in _NUMBERISH.finditer(text):
        if match.start() < column <= match.end() and not _NUMBER.match(match.group()):
            pos = builder.pos(Token("NUMBER", "", line=line, column=match.start() + 1))
            return Problem(
                pos, f"`{match.group()}` is not a number; numbers read like 7, 1.5, 2e-5 or 10M"
            )
    return None


def _unexpected(error: UnexpectedInput, chunk: Chunk, builder: AstBuilder) -> Problem:
    match error:
        case UnexpectedToken() if error.token.type != "$END":
            expected = describe_expected(error.accepts or error.expected)
            token = error.token
            pos = builder.pos(token)
            what = "`;`" if token.type == "_SEMI" else f"`{token}`"
            return Problem(pos, _message(f"unexpected {what}", expected), expected)
        case UnexpectedToken() | UnexpectedEOF():
            expected = describe_expected(error.expected)
            pos = builder.pos(_end_token(chunk.text))
            return Problem(pos, _message("unexpected end of statement", expected), expected)
        case UnexpectedCharacters():
            pos = builder.pos(Token("CHAR", "", line=error.line, column=error.column))
            char = error.char
            if char in _QUOTES:
                return Problem(pos, f"unterminated string: no closing {char} on this line")
            return Problem(pos, f"unexpected character `{char}`")
        case _:
            return Problem(builder.pos(_end_token(chunk.text)), str(error))


def _message(head: str, expected: tuple[str, ...]) -> str:
    tail = expectation(expected)
    return f"{head}; {tail}" if tail else head


def _end_token(text: str) -> Token:
    """A token placed just after the statement's last non-blank character."""
    body = text.rstrip()
    line = body.count("\n") + 1
    column = len(body) - (body.rfind("\n") + 1) + 1
    return Token("END", "", line=line, column=column)
