"""`parse`: script text to a `Script`, reporting the errors of every statement.

The script is read into tokens in one pass (`lexer.py`), then statement by statement by a
recursive-descent reader (`grammar.py`) that builds the AST as it goes. After a syntax error
reading resumes at the next statement, so a statement reports at most one syntax error (and every
static problem found while building it); each statement read whole is then checked (`nesting.py`,
`checks.py`).

Hostile input is bounded: a script may hold at most `MAX_SCRIPT_BYTES` bytes (UTF-8) and
`MAX_STATEMENTS` statements, each limit a positioned error, and parsing stops after
`MAX_ERRORS` errors; every error quotes a short excerpt at most (`errors.excerpt`). A caller
serving a request passes `interrupt`, called between statements, to stop when its client has gone.
"""

from __future__ import annotations

from collections.abc import Callable

from shift_search.parser import ast, checks, nesting
from shift_search.parser.errors import ParseError, ParseErrors, Problem, excerpt, shorten, weight
from shift_search.parser.grammar import StatementReader
from shift_search.parser.lexer import tokenize

MAX_SCRIPT_BYTES = 1 << 20
"""The largest script, in bytes of UTF-8 (1 MiB: the published query files are 5 KB at most)."""

MAX_STATEMENTS = 10_000
"""The most statements in one script."""

MAX_ERRORS = 10
"""Parsing stops after this many errors (and says so), keeping error replies small."""

MAX_ERROR_BYTES = 3_500
"""... or sooner, once the errors found would take about this much in a reply's details (with
gRPC's 8 KiB limit on trailers in mind: a reply holds each error, the message, and base64)."""

MAX_SOURCE_CHARS = 100
"""A longer source name is cut (it is repeated in every error)."""

Interrupt = Callable[[], None]
"""Called between statements; raises (e.g. `Cancelled`) to stop parsing."""


def parse(
    text: str,
    source: str = "<query>",
    *,
    interrupt: Interrupt | None = None,
    max_bytes: int = MAX_SCRIPT_BYTES,
    max_statements: int = MAX_STATEMENTS,
) -> ast.Script:
    """Parse a script; raise `ParseErrors` holding the errors found (at most `MAX_ERRORS`, then
    one that says parsing stopped)."""
    source = shorten(source, MAX_SOURCE_CHARS)
    cut = _past_limit(text, max_bytes)
    if cut is not None:
        raise ParseErrors((_too_large(text, cut, max_bytes, source),))
    reader = StatementReader(text, tokenize(text))
    statements: list[ast.Statement] = []
    errors: list[ParseError] = []
    used = 0  # the errors' weight
    index = 0
    while True:
        while reader.skip_blank():
            pass
        if reader.at_end():
            break
        if interrupt is not None:
            interrupt()
        if index == max_statements:
            start = reader.tok
            message = (
                f"more than {max_statements:,} statements in one script; "
                "split it into several scripts"
            )
            problem = Problem(ast.Pos(start.line, start.column), message)
            errors.append(_error(text, index, problem, source))
            break
        statement, problems = reader.read(index)
        if statement is not None:
            deep = reader.levels > nesting.MAX_NESTING
            too_deep = nesting.nesting_problem(statement) if deep else None
            # the checks recurse: spare them what may be too deep for that
            problems += [too_deep] if too_deep is not None else checks.check_statement(statement)
        if problems:
            for problem in sorted(problems, key=lambda p: (p.pos.line, p.pos.column)):
                error = _error(text, index, problem, source)
                used += weight(error)
                if len(errors) == MAX_ERRORS or (errors and used > MAX_ERROR_BYTES):
                    stopped = _stopped(problem.pos, len(errors))
                    errors.append(_error(text, index, stopped, source))
                    raise ParseErrors(tuple(errors), tuple(statements))
                errors.append(error)
        elif statement is not None:
            statements.append(statement)
        index += 1
    if errors:
        raise ParseErrors(tuple(errors), tuple(statements))
    return ast.Script(tuple(statements), source)


def _error(text: str, index: int, problem: Problem, source: str) -> ParseError:
    line, column = problem.pos.line, problem.pos.column
    return ParseError(
        index, line, column, problem.message, problem.expected, excerpt(text, line, column), source
    )


def _stopped(pos: ast.Pos, count: int) -> Problem:
    return Problem(
        pos, f"more errors follow; parsing stopped after {count} (fix these and parse again)"
    )


def _past_limit(text: str, limit: int) -> int | None:
    """Where (as a character index) `text` grows past `limit` bytes of UTF-8; None if it never
    does. Reads at most `limit` characters."""
    if len(text) * 4 <= limit:
        return None
    head = text[: limit + 1].encode("utf-8", "surrogatepass")
    if len(head) <= limit:
        return None
    for cut in range(limit, max(limit - 4, -1), -1):  # a character may straddle the limit
        try:
            return len(head[:cut].decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:
            continue
    return 0


def _too_large(text: str, cut: int, limit: int, source: str) -> ParseError:
    """The error for a script larger than `limit` bytes, at its first character past it, in the
    statement that character belongs to."""
    head = text[:cut]
    tokens = tokenize(head)
    index = 0
    pending = False
    for token in tokens:
        if token.kind == "SEMI":
            index += pending
            pending = False
        elif token.kind not in ("END", "SPACE"):
            pending = True
    line = head.count("\n") + 1
    column = cut - head.rfind("\n")
    size = f"{limit:,} bytes" if limit % (1 << 20) else f"{limit >> 20} MiB"
    message = f"the script is larger than {size}; split it into several scripts"
    return _error(text, index, Problem(ast.Pos(line, column), message), source)
