"""EXPLAIN of a whole script without running it: every statement that does work gets a plan, and
the variables it declares are bound for the statements after it (`Q1 := …; … NOT IN Q1`).

A declared query runs now only when it is metadata-only (restrict, or rank by a column: no GPU
work), so its variable holds exactly what the script would give it. A query that needs GPU work
(proxies, fine-tuning) is planned, not run: its variable holds as many models as the query
returns, taken from its candidates in catalog order. That is exact without a LIMIT (a ranking
returns every candidate) and a stand-in with one: plans reading it are priced for the right
number of models, if not the very ones, and say which variables stand in. Nothing is declared
in the client's session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import assert_never

from shift_search.parser import ast
from shift_search.planner import predicates
from shift_search.planner.binder import Binder, candidates, is_task_aware
from shift_search.planner.physical import Plan
from shift_search.planner.session import Variable, VariableKind
from shift_search.planner.statements import metadata_select
from shift_search.runtime.errors import FailedPrecondition

Planner = Callable[[ast.Query | ast.Finetune], Plan]


def plans(statements: Sequence[ast.Statement], binder: Binder, plan: Planner) -> list[Plan]:
    """A plan per statement that does work; `binder.session` receives the declared variables."""
    standing_in: set[str] = set()
    out = []
    for stmt in statements:
        match stmt:
            case ast.Explain(query=query):
                out.append(_noted(plan(query), query, binder, standing_in))
            case ast.Select() | ast.SetOperation() | ast.Finetune() | ast.Rank() | ast.SelectVec():
                out.append(_noted(plan(stmt), stmt, binder, standing_in))
            case ast.Declare(name=name, query=query):
                info = _noted(plan(query), query, binder, standing_in)
                kind, members, exact = _members(query, binder, standing_in)
                binder.session.declare(Variable(name, kind, members, query))
                how = "exact, no GPU work run" if exact else "stand-in: needs GPU work, not run"
                info = info.noted([("declares", f"{name} := {len(members)} {kind} ({how})")])
                if not exact:
                    standing_in.add(name.lower())
                out.append(info)
            case _:
                continue  # no plan: REGISTER, DROP, PRINT, USE, PURGE
    return out


def _noted(
    info: Plan, query: ast.Query | ast.Finetune, binder: Binder, standing_in: set[str]
) -> Plan:
    """Say which variables the plan reads that stand in for a result not computed."""
    used = sorted({v for v in _variables(query, binder) if v.lower() in standing_in})
    if used:
        note = (
            f"{', '.join(used)}: as many models as the query returns, not the very ones "
            "(EXPLAIN runs no GPU work)"
        )
        return info.noted([("stand-ins", note)])
    return info


def _variables(query: ast.Query | ast.Finetune, binder: Binder) -> list[str]:
    """The session variables a query reads (tables, IN / NOT IN, OTHER THAN, operands)."""
    match query:
        case ast.Select():
            names = [query.table.name, *([query.other_than] if query.other_than else [])]
            if query.where is not None:
                names += predicates.variables_of(query.where)
            return [n for n in names if binder.session.has(n)]
        case ast.SetOperation(left=left, right=right):
            return _variables(left, binder) + _variables(right, binder)
        case ast.VariableRef(name=name):
            return [name, *_variables(binder.session.get(name).query, binder)]
        case ast.Finetune(models=models):
            return [m.name for m in models if not m.quoted and binder.session.has(m.name)]
        case ast.Rank(query=select):
            return _variables(select, binder)
        case ast.SelectVec(datasets=datasets, probe=probe):
            return [n for n in (datasets, probe) if binder.session.has(n)]
        case _:
            assert_never(query)


def _members(
    query: ast.Query, binder: Binder, standing_in: set[str]
) -> tuple[VariableKind, tuple[str, ...], bool]:
    """(kind, names, exact) of what a declared query gives its variable, without GPU work."""
    match query:
        case ast.Select() if not is_task_aware(query):
            table = binder.table(query.table)
            rows = binder.filter(query, table)
            result = metadata_select(table.kind, rows, query.order, query.limit, query.columns)
            kind: VariableKind = "datasets" if result.kind == "datasets" else "models"
            return kind, result.names, True
        case ast.Select():
            table = binder.table(query.table)
            names = tuple(m.name for m in candidates(table, binder.filter(query, table)))
            exact = query.limit is None or query.limit >= len(names)
            return "models", names[: query.limit], exact
        case ast.SetOperation(op=op, left=left, right=right):
            kind, first, exact_left = _members(left, binder, standing_in)
            _, second, exact_right = _members(right, binder, standing_in)
            return kind, _combine(op, first, second), exact_left and exact_right
        case ast.VariableRef(name=name):
            var = binder.session.get(name)
            return var.kind, var.members, name.lower() not in standing_in
        case ast.Rank(query=select):
            table = binder.table(select.table)
            names = tuple(m.name for m in candidates(table, binder.filter(select, table)))
            exact = select.limit is None or select.limit >= len(names)
            return "models", names[: select.limit], exact
        case ast.SelectVec():
            raise FailedPrecondition(
                "SELECT vec answers a distance matrix, not models or datasets a variable can hold"
            )
        case _:
            assert_never(query)


def _combine(op: ast.SetOp, left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    """Names of a set operation, in the order `statements.combine` gives them."""
    match op:
        case "UNION":
            return left + tuple(n for n in right if n not in left)
        case "INTERSECT":
            return tuple(n for n in left if n in right)
        case "EXCEPT":
            return tuple(n for n in left if n not in right)
        case _:
            assert_never(op)
