"""Static checks that need no catalog: repeated clauses and parameters, bad counts and sizes,
index lists, numbers too large for the protobuf AST, `USE` targets.

The clause checks run while a statement is built (they know the clause's position);
`check_statement` runs on a finished statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, assert_never

from bench.parser_baseline.errors import Problem
from bench.parser_baseline.literals import quote
from shift_search.parser import ast
from shift_search.parser import checks as parser_checks
from shift_search.parser.cursor import Param as ParserParam

if TYPE_CHECKING:
    from bench.parser_baseline.builder import Param


def repeated_clauses(clauses: Sequence[tuple[str, ast.Pos]]) -> list[Problem]:
    """A problem at every clause (named like `LIMIT`) that an earlier one already gave."""
    seen: set[str] = set()
    problems = []
    for name, pos in clauses:
        if name in seen:
            problems.append(Problem(pos, f"{name} is given twice; each clause may appear once"))
        seen.add(name)
    return problems


def repeated_params(params: Sequence[tuple[str, str, ast.Pos]]) -> list[Problem]:
    """A problem at every parameter (canonical name, spelling, position) given before."""
    seen: dict[str, str] = {}
    problems = []
    for name, spelling, pos in params:
        if name in seen:
            also = "" if seen[name] == spelling else f" (as `{seen[name]}` and `{spelling}`)"
            problems.append(Problem(pos, f"parameter `{name}` is given twice{also}"))
        seen.setdefault(name, spelling)
    return problems


# LIMIT, CHUNK / BUDGET counts and CHANGE indices are int64 fields of the protobuf AST.
INT64_MAX = 2**63 - 1


def _out_of_range(what: str, value: int, pos: ast.Pos) -> list[Problem]:
    if value <= INT64_MAX:
        return []
    return [Problem(pos, f"{what} {value} is out of range; the largest is {INT64_MAX}")]


def check_limit(limit: int, pos: ast.Pos) -> list[Problem]:
    """LIMIT must be a positive number of models that fits in 64 bits."""
    if limit < 1:
        return [Problem(pos, f"LIMIT must be at least 1, not {limit}")]
    return _out_of_range("LIMIT", limit, pos)


def check_amount(clause: str, amount: int | ast.Auto, pos: ast.Pos) -> list[Problem]:
    """CHUNK and BUDGET must be at least 1 (or AUTO) and fit in 64 bits."""
    if isinstance(amount, int) and amount < 1:
        return [Problem(pos, f"{clause} must be at least 1 or AUTO, not {amount}")]
    return _out_of_range(clause, amount, pos) if isinstance(amount, int) else []


def check_index(index: int, pos: ast.Pos) -> list[Problem]:
    """A CHANGE sample index must fit in 64 bits."""
    return _out_of_range("sample index", index, pos)


_HOST_PORT = re.compile(
    r"(?: \[[0-9a-f:.]+\] | [a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])? ) : ([0-9]{1,5}) \Z", re.I | re.X
)


def check_use_target(target: str, pos: ast.Pos) -> list[Problem]:
    """USE takes `host:port` (a name, an IPv4 or a bracketed IPv6 address; port 1 to 65535)."""
    match = _HOST_PORT.match(target)
    if match is not None and 1 <= int(match.group(1)) <= 65535:
        return []
    return [Problem(pos, f"USE takes host:port, such as localhost:50051, not {quote(target)}")]


def check_statement(stmt: ast.Statement) -> list[Problem]:
    """Every static problem of a statement (and the queries nested in it)."""
    return list(_statement_problems(stmt))


def _statement_problems(stmt: ast.Statement | ast.Query | ast.Finetune) -> Iterator[Problem]:
    match stmt:
        case ast.Select():
            yield from _select_problems(stmt)
        case ast.SetOperation():
            yield from _statement_problems(stmt.left)
            yield from _statement_problems(stmt.right)
        case ast.Rank():
            yield from _select_problems(stmt.query)
        case ast.Declare():
            yield from _statement_problems(stmt.query)
        case ast.Explain():
            yield from _statement_problems(stmt.query)
        case ast.Finetune():
            yield from _dataset_problems(stmt.dataset)
        case ast.RegisterDataset() | ast.RegisterModel():
            if len(stmt.columns) != len(stmt.values):
                yield Problem(
                    stmt.pos,
                    f"{len(stmt.columns)} column(s) but {len(stmt.values)} value(s) to register",
                )
        case ast.VariableRef() | ast.SelectVec() | ast.Use() | ast.Print() | ast.Purge():
            pass
        case ast.DropDataset() | ast.DropModel():  # the baseline reads no DROP
            pass
        case _:
            assert_never(stmt)


def _select_problems(select: ast.Select) -> Iterator[Problem]:
    for datasets in (select.trained_on, select.tested_on):
        if datasets is not None:
            yield from _dataset_problems(datasets)


def _dataset_problems(datasets: ast.DatasetExpr) -> Iterator[Problem]:
    match datasets:
        case ast.DatasetName():
            pass
        case ast.DatasetList():
            for item in datasets.items:
                yield from _dataset_problems(item)
        case ast.Mutation():
            for change in datasets.changes:
                yield from _change_problems(change)
        case _:
            assert_never(datasets)


def _change_problems(change: ast.Change) -> Iterator[Problem]:
    if change.source_indices is not None and len(change.source_indices) != len(change.indices):
        yield Problem(
            change.pos,
            f"CHANGE replaces {len(change.indices)} sample(s) by "
            f"{len(change.source_indices)}; both index lists must have the same length",
        )


# Cascade came after the baseline: its checks are the parser's, on the baseline's types.


def check_cascade(
    func: str, pos: ast.Pos, stages: Sequence[ast.ProxySpec], params: Sequence[Param]
) -> list[Problem]:
    """The parser's checks of `Cascade(stage, stage, …, keep=…, prior=…)`."""
    found = parser_checks.check_cascade(func, pos, stages, [ParserParam(*p) for p in params])
    return [Problem(p.pos, p.message, p.expected) for p in found]


def cascade_options(params: Sequence[Param]) -> tuple[tuple[int, ...], str | None]:
    """(keep counts, prior column) of a Cascade's parameters, as the parser reads them."""
    return parser_checks.cascade_options([ParserParam(*p) for p in params])


def aggregate_problem(func: str, word: str) -> str:
    """What is wrong with `func(word)`, in the parser's words."""
    return parser_checks.aggregate_problem(func, word)
