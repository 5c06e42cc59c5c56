"""Static checks that need no catalog: repeated clauses, bad counts and sizes, index lists.

The clause checks run while a statement is built (they know the clause's position);
`check_statement` runs on a finished statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import assert_never

from services.parser import ast
from services.parser.errors import Problem


def repeated_clauses(clauses: Sequence[tuple[str, ast.Pos]]) -> list[Problem]:
    """A problem at every clause (named like `LIMIT`) that an earlier one already gave."""
    seen: set[str] = set()
    problems = []
    for name, pos in clauses:
        if name in seen:
            problems.append(Problem(pos, f"{name} is given twice; each clause may appear once"))
        seen.add(name)
    return problems


def check_limit(limit: int, pos: ast.Pos) -> list[Problem]:
    """LIMIT must be a positive number of models."""
    return [] if limit >= 1 else [Problem(pos, f"LIMIT must be at least 1, not {limit}")]


def check_amount(clause: str, amount: int | ast.Auto, pos: ast.Pos) -> list[Problem]:
    """CHUNK and BUDGET must be at least 1 (or AUTO)."""
    if isinstance(amount, int) and amount < 1:
        return [Problem(pos, f"{clause} must be at least 1 or AUTO, not {amount}")]
    return []


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
