"""Evaluating WHERE predicates on table rows (metadata only: no GPU work)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, assert_never

from shift_search.parser import ast
from shift_search.planner.tables import MODALITY_ALIASES, Row

VariableMembers = Callable[[str], frozenset[str]]
"""Names held by a DECLAREd variable (raises NotFound for an unknown one)."""


def matches(pred: ast.Predicate, row: Row, members: VariableMembers) -> bool:
    """Whether `row` satisfies `pred`. SQL-like: comparisons with NULL are false."""
    match pred:
        case ast.And(operands=ops):
            return all(matches(p, row, members) for p in ops)
        case ast.Or(operands=ops):
            return any(matches(p, row, members) for p in ops)
        case ast.Not(operand=op):
            return not matches(op, row, members)
        case ast.Comparison(column=col, op=op, value=value):
            return _compare(row.get(col.name), op, value, col.name)
        case ast.Between(column=col, low=low, high=high, negated=neg):
            inside = _compare(row.get(col.name), ">=", low, col.name) and _compare(
                row.get(col.name), "<=", high, col.name
            )
            return inside != neg
        case ast.InList(column=col, values=values, negated=neg):
            found = any(_compare(row.get(col.name), "=", v, col.name) for v in values)
            return found != neg
        case ast.InVariable(column=col, variable=var, negated=neg):
            return (str(row.get(col.name)) in members(var)) != neg
        case ast.IsNull(column=col, negated=neg):
            return (row.get(col.name) is None) != neg
        case ast.Like(column=col, pattern=pattern, negated=neg):
            value = row.get(col.name)
            return value is not None and bool(_like(pattern).match(str(value))) != neg
        case ast.Flag(name=name, negated=neg):
            return bool(row.get(name)) != neg
        case _:
            assert_never(pred)


def columns_of(pred: ast.Predicate) -> list[ast.Column]:
    """Every column a predicate reads (for binding)."""
    match pred:
        case ast.And(operands=ops) | ast.Or(operands=ops):
            return [c for p in ops for c in columns_of(p)]
        case ast.Not(operand=op):
            return columns_of(op)
        case ast.Flag(name=name, pos=pos):
            return [ast.Column(name, pos)]
        case (
            ast.Comparison(column=col)
            | ast.Between(column=col)
            | ast.InList(column=col)
            | ast.InVariable(column=col)
            | ast.IsNull(column=col)
            | ast.Like(column=col)
        ):
            return [col]
        case _:
            assert_never(pred)


def variables_of(pred: ast.Predicate) -> list[str]:
    """Every variable a predicate names (`IN v`)."""
    match pred:
        case ast.And(operands=ops) | ast.Or(operands=ops):
            return [v for p in ops for v in variables_of(p)]
        case ast.Not(operand=op):
            return variables_of(op)
        case ast.InVariable(variable=var):
            return [var]
        case _:
            return []


def literal(value: ast.Value) -> Any:
    """A SHiFT-QL value as a plain Python value (bare words become strings)."""
    match value:
        case ast.Identifier(name=name):
            return name
        case tuple():
            return tuple(literal(v) for v in value)
        case _:
            return value


def _compare(actual: Any, op: str, expected: ast.Value, column: str) -> bool:
    if actual is None:
        return False
    want = literal(expected)
    if want is None:
        return False
    left, right = _comparable(actual, want, column)
    match op:
        case "=":
            return bool(left == right)
        case "!=":
            return bool(left != right)
        case "<":
            return bool(left < right)
        case "<=":
            return bool(left <= right)
        case ">":
            return bool(left > right)
        case ">=":
            return bool(left >= right)
    return False


def _comparable(actual: Any, want: Any, column: str) -> tuple[Any, Any]:
    """Bring both sides to one type: numbers, booleans, dates or case-insensitive text."""
    if isinstance(actual, bool) or isinstance(want, bool):
        return _truthy(actual), _truthy(want)
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            return float(actual), float(want)
        except (TypeError, ValueError):
            return str(actual).lower(), str(want).lower()
    if column == "date_added":
        return _date(str(actual)), _date(str(want))
    left, right = str(actual).lower(), str(want).lower()
    if column == "modality":
        left, right = MODALITY_ALIASES.get(left, left), MODALITY_ALIASES.get(right, right)
    return left, right


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value)


def _date(text: str) -> str:
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        return text


_LIKE_CACHE: dict[str, re.Pattern[str]] = {}


def _like(pattern: str) -> re.Pattern[str]:
    """SQL LIKE: `%` any run, `_` one character, case-insensitive."""
    compiled = _LIKE_CACHE.get(pattern)
    if compiled is None:
        body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
        compiled = _LIKE_CACHE[pattern] = re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL)
    return compiled
