"""Reading tokens one at a time for the recursive-descent reader (`grammar.py`), noting at each
token what could have come there, so that a syntax error can say exactly that."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from shift_search.parser import ast
from shift_search.parser.errors import Problem, describe_expected, expectation, shorten
from shift_search.parser.lexer import NUMBER, Token

MAX_DEPTH = 100
"""How deeply `(` and `[` may nest in a statement (the reader recurses into each)."""

# A word that starts like a number, and what a number is (for "`1.5e` is not a number").
_NUMBERISH = re.compile(r"(?<![\w.])(?:[0-9]|\.[0-9])[\w.]*(?:(?<=[eE])[+-][\w.]*)?")
_WHOLE_NUMBER = re.compile(rf"(?:{NUMBER})\Z", re.IGNORECASE)


class Lit(NamedTuple):
    """A value with the position it was written at."""

    value: ast.Value
    pos: ast.Pos


class Param(NamedTuple):
    """`name=value`: the canonical name, as written, the value, where."""

    name: str
    spelling: str
    value: ast.Value
    pos: ast.Pos


class SyntaxProblem(Exception):
    """The syntax error that ends a statement, and the token reading stopped at."""

    def __init__(self, problem: Problem, token: Token) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.token = token


def position(token: Token) -> ast.Pos:
    return ast.Pos(token.line, token.column)


class TokenCursor:
    """A script's tokens, the current one (`tok`, at `i`), and what one statement found so far:
    its static problems (each with the token index at which it was found), how deeply brackets
    nest (`depth`), how many nesting constructs it has (`levels`)."""

    def __init__(self, script: str, tokens: list[Token]) -> None:
        self.script = script
        self.tokens = tokens
        self.i = 0
        self.tok = tokens[0]
        self.index = 0
        self.depth = 0
        self.levels = 0
        self.problems: list[tuple[Problem, int]] = []
        self._missed_at = -1
        self._missed: list[str] = []

    def _advance(self) -> Token:
        tok = self.tok
        self.i += 1
        self.tok = self.tokens[self.i]
        return tok

    def _accept(self, kind: str) -> Token | None:
        """The current token when it is a `kind` (and step past it), else None (noting that a
        `kind` could have come here)."""
        if self.tok.kind == kind:
            return self._advance()
        self._miss((kind,))
        return None

    def _expect(self, kind: str) -> Token:
        if self.tok.kind == kind:
            return self._advance()
        self._miss(("INT_LIT",) if kind == "INT" else (kind,))
        raise self._error()

    def _name(self) -> Token:
        if self.tok.word:
            return self._advance()
        self._miss(("NAME",))
        raise self._error()

    def _enter(self, bracket: Token) -> None:
        """One more level of `(` or `[`; too many is an error at the one too deep."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            message = f"`(` and `[` nested more than {MAX_DEPTH} deep; split the query with DECLARE"
            raise SyntaxProblem(Problem(position(bracket), message), bracket)

    def _miss(self, kinds: tuple[str, ...]) -> None:
        """Note what could have come at the current token, for the error if it is one."""
        if self._missed_at != self.i:
            self._missed_at = self.i
            self._missed = list(kinds)
        else:
            self._missed.extend(kinds)

    def _problem(self, pos: ast.Pos, message: str) -> None:
        self.problems.append((Problem(pos, message), self.i))

    def _problems_from(self, found: list[Problem]) -> None:
        self.problems.extend((p, self.i) for p in found)

    def _error(self) -> SyntaxProblem:
        """The syntax error at the current token."""
        return self._error_at(self.tok, self._missed if self._missed_at == self.i else ())

    def _error_at(self, tok: Token, kinds: Iterable[str]) -> SyntaxProblem:
        """The syntax error at `tok`, where `kinds` of token could have come."""
        pos = position(tok)
        if tok.kind != "END":
            bad = _bad_number(self.script, tok)
            if bad is not None:
                return SyntaxProblem(bad, tok)
        expected = describe_expected(kinds)
        match tok.kind:
            case "END":
                what = "end of statement"
            case "SEMI":
                what = "`;`"
            case "BADSTRING":
                quote_char = tok.text[0]
                message = f"unterminated string: no closing {quote_char} on this line"
                return SyntaxProblem(Problem(pos, message), tok)
            case "CHAR" | "SPACE":
                return SyntaxProblem(Problem(pos, f"unexpected character `{tok.text}`"), tok)
            case _:
                what = f"`{shorten(tok.text)}`"
        tail = expectation(expected)
        message = f"unexpected {what}; {tail}" if tail else f"unexpected {what}"
        return SyntaxProblem(Problem(pos, message, expected), tok)


def _bad_number(script: str, tok: Token) -> Problem | None:
    """A problem at a malformed number (`1.5e`, `10KB`) that the token is part of, if any."""
    start = script.rfind("\n", 0, tok.start) + 1
    end = script.find("\n", tok.start)
    line = script[start : end if end >= 0 else len(script)]
    column = tok.column
    for match in _NUMBERISH.finditer(line):
        if match.start() >= column:
            break
        if column <= match.end() and not _WHOLE_NUMBER.match(match.group()):
            return Problem(
                ast.Pos(tok.line, match.start() + 1),
                f"`{shorten(match.group())}` is not a number; "
                "numbers read like 7, 1.5, 2e-5 or 10M",
            )
    return None
