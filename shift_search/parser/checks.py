"""Static checks that need no catalog: repeated clauses and parameters, bad counts and sizes,
index lists, numbers too large for the protobuf AST, `USE` targets.

The clause checks run while a statement is built (they know the clause's position);
`check_statement` runs on a finished statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import assert_never

from shift_search.parser import ast
from shift_search.parser.cursor import Param
from shift_search.parser.errors import Problem, shorten
from shift_search.parser.literals import quote
from shift_search.parser.names import column_name


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
            also = (
                ""
                if seen[name] == spelling
                else f" (as `{shorten(seen[name])}` and `{shorten(spelling)}`)"
            )
            problems.append(Problem(pos, f"parameter `{shorten(name)}` is given twice{also}"))
        seen.setdefault(name, spelling)
    return problems


# LIMIT, CHUNK / BUDGET counts and CHANGE indices are int64 fields of the protobuf AST.
INT64_MAX = 2**63 - 1


def _out_of_range(what: str, value: int, pos: ast.Pos) -> list[Problem]:
    if value <= INT64_MAX:
        return []
    return [
        Problem(pos, f"{what} {shorten(str(value))} is out of range; the largest is {INT64_MAX}")
    ]


def check_limit(limit: int, pos: ast.Pos) -> list[Problem]:
    """LIMIT must be a positive number of models that fits in 64 bits."""
    if limit < 1:
        return [Problem(pos, f"LIMIT must be at least 1, not {shorten(str(limit))}")]
    return _out_of_range("LIMIT", limit, pos)


def check_amount(clause: str, amount: int | ast.Auto, pos: ast.Pos) -> list[Problem]:
    """CHUNK and BUDGET must be at least 1 (or AUTO) and fit in 64 bits."""
    if isinstance(amount, int) and amount < 1:
        return [Problem(pos, f"{clause} must be at least 1 or AUTO, not {shorten(str(amount))}")]
    return _out_of_range(clause, amount, pos) if isinstance(amount, int) else []


def read_index(digits: str) -> int:
    """A CHANGE sample index as written (`0`-`9` only); one too large for 64 bits reads as -1."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 19 and int(significant) <= INT64_MAX else -1


def check_index(index: int, digits: str, pos: ast.Pos) -> list[Problem]:
    """A CHANGE sample index (`index` as `read_index` read `digits`) must fit in 64 bits."""
    if index >= 0:
        return []
    number = shorten(digits.lstrip("0"))
    return [Problem(pos, f"sample index {number} is out of range; the largest is {INT64_MAX}")]


_HOST_PORT = re.compile(
    r"(?: \[[0-9a-f:.]+\] | [a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])? ) : ([0-9]{1,5}) \Z", re.I | re.X
)


def check_use_target(target: str, pos: ast.Pos) -> list[Problem]:
    """USE takes `host:port` (a name, an IPv4 or a bracketed IPv6 address; port 1 to 65535)."""
    match = _HOST_PORT.match(target)
    if match is not None and 1 <= int(match.group(1)) <= 65535:
        return []
    return [
        Problem(pos, f"USE takes host:port, such as localhost:50051, not {quote(shorten(target))}")
    ]


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
        case (
            ast.VariableRef()
            | ast.SelectVec()
            | ast.DropDataset()
            | ast.DropModel()
            | ast.Use()
            | ast.Print()
            | ast.Purge()
        ):
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


CASCADE_PARAMS = ("keep", "prior")


def check_cascade(
    func: str, pos: ast.Pos, stages: Sequence[ast.ProxySpec], params: Sequence[Param]
) -> list[Problem]:
    """`Cascade(stage, stage, …, keep=…, prior=…)`: only Cascade takes stages; FineTune comes
    last; `keep` is one whole count ≥ 1 or one per step between stages; `prior` is a column."""
    if func.lower() != "cascade":
        return [
            Problem(
                pos,
                f"only Cascade takes proxies as arguments (`Cascade(CosineNN, LogME, keep=4)`);"
                f" `{shorten(func)}(…)` takes parameters like `k=5`",
            )
        ]
    problems = [
        Problem(stage.pos, "FineTune can only be the last stage of a Cascade")
        for stage in stages[:-1]
        if stage.name == "finetune"
    ]
    for param in params:
        if param.name not in CASCADE_PARAMS:
            known = ", ".join(CASCADE_PARAMS)
            name = shorten(param.spelling)
            problems.append(
                Problem(param.pos, f"unknown Cascade parameter `{name}`; known: {known}")
            )
        elif param.name == "keep":
            problems += _check_keep(param, len(stages))
        elif not isinstance(param.value, ast.Identifier | str):
            problems.append(
                Problem(param.pos, "prior takes a metadata column, e.g. prior=upstream_accuracy")
            )
    return problems


def _check_keep(param: Param, stages: int) -> list[Problem]:
    counts = param.value if isinstance(param.value, tuple) else (param.value,)
    whole = all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in counts)
    if (
        not whole
        or not counts
        or (isinstance(param.value, tuple) and len(counts) not in (1, stages - 1))
    ):
        per_step = f", or a list of {stages - 1} (one per step between stages)"
        message = "keep takes a whole number of models ≥ 1" + (per_step if stages > 2 else "")
        return [Problem(param.pos, message)]
    return _out_of_range("keep", max(c for c in counts if isinstance(c, int)), param.pos)


def cascade_options(params: Sequence[Param]) -> tuple[tuple[int, ...], str | None]:
    """(keep counts, prior column) of a Cascade's parameters (checked by `check_cascade`)."""
    keep: tuple[int, ...] = ()
    prior = None
    for param in params:
        if param.name == "keep":
            values = param.value if isinstance(param.value, tuple) else (param.value,)
            keep = tuple(v for v in values if isinstance(v, int) and not isinstance(v, bool))
        elif param.name == "prior" and isinstance(param.value, ast.Identifier | str):
            word = param.value.name if isinstance(param.value, ast.Identifier) else param.value
            prior = column_name(word)
    return keep, prior


def aggregate_problem(func: str, word: str) -> str:
    """What is wrong with `func(word)`, which is neither a proxy call nor an aggregate."""
    if func.lower() == "cascade":
        return "a Cascade needs at least two stages, e.g. `Cascade(CosineNN, LogME, keep=4)`"
    return (
        "expected a parameter like `k=5` or an aggregate like `avg(err)`, "
        f"not `{shorten(func)}({shorten(word)})`"
    )
