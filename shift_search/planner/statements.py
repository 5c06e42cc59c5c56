"""Results of statements, and the metadata-only strategies (restrict, rank by a column)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shift_search.parser import ast
from shift_search.planner.grouping import grouped_rows, is_grouped
from shift_search.planner.tables import NAME_COLUMN, STAR

Cell = Any


@dataclass(frozen=True)
class QueryResult:
    """What a query produced: the names it selected (in order) and the table shown."""

    kind: str  # "models" | "datasets" | "benchmark_results"
    names: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    remaining_tasks: int = 0


def output_columns(columns: ast.Columns, kind: str) -> tuple[list[str], list[str]]:
    """(source column, header) pairs for SELECT's column list."""
    match columns:
        case ast.AllColumns():
            star = list(STAR.get(kind, STAR["models"]))
            return star, star
        case _:
            sources = [item.column.name for item in columns]
            headers = [item.alias or item.column.name for item in columns]
            return sources, headers


def sort_rows(
    rows: list[Mapping[str, Any]], ordering: ast.Ordering | None
) -> list[Mapping[str, Any]]:
    """Order by a metadata column; NULLs last whatever the direction."""
    if ordering is None or not isinstance(ordering.key, ast.Column):
        return sorted(rows, key=lambda r: str(r.get("name", r.get("model"))))
    column = ordering.key.name

    def key(row: Mapping[str, Any]) -> tuple[int, Any]:
        value = row.get(column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0)
        return (0, value if isinstance(value, int | float) else str(value).lower())

    present = [r for r in rows if key(r)[0] == 0]
    missing = [r for r in rows if key(r)[0] == 1]
    present.sort(key=key, reverse=ordering.descending)
    return present + missing


def metadata_select(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    ordering: ast.Ordering | None,
    limit: int | None,
    columns: ast.Columns,
    group_by: Sequence[str] = (),
) -> QueryResult:
    """Restrict, rank by metadata, or group (`grouping`): no GPU work. A grouped result is
    named by its first GROUP BY column."""
    if is_grouped(columns, group_by, ordering):
        assert isinstance(columns, tuple)  # the binder refused SELECT * with grouping
        headers, cells = grouped_rows(rows, columns, group_by, ordering, limit)
        first = next((i for i, c in enumerate(columns) if c.column.name in group_by[:1]), None)
        names = tuple(str(row[first]) for row in cells) if first is not None else ()
        return QueryResult(kind, names, tuple(headers), tuple(cells))
    ordered = sort_rows(list(rows), ordering)
    if limit is not None:
        ordered = ordered[:limit]
    sources, headers = output_columns(columns, kind)
    name = NAME_COLUMN.get(kind, "name")
    return QueryResult(
        kind,
        tuple(str(r[name]) for r in ordered),
        tuple(headers),
        tuple(tuple(r.get(c) for c in sources) for r in ordered),
    )


def combine(op: ast.SetOp, left: QueryResult, right: QueryResult) -> QueryResult:
    """UNION (left's order, then right's new names), INTERSECT, EXCEPT; the table keeps the
    left's columns, with a cell from the right where the left has no row."""
    match op:
        case "UNION":
            names = list(left.names) + [n for n in right.names if n not in left.names]
        case "INTERSECT":
            names = [n for n in left.names if n in right.names]
        case "EXCEPT":
            names = [n for n in left.names if n not in right.names]
    right = align(right, left.columns)
    rows_by_name = _rows_by_name(right) | _rows_by_name(left)
    columns = left.columns
    rows = tuple(rows_by_name[n] for n in names)
    return QueryResult(
        left.kind, tuple(names), columns, rows, left.remaining_tasks + right.remaining_tasks
    )


def _rows_by_name(result: QueryResult) -> dict[str, tuple[Cell, ...]]:
    out: dict[str, tuple[Cell, ...]] = {}
    for name, row in zip(result.names, result.rows, strict=False):
        out.setdefault(name, row)
    return out


def align(result: QueryResult, columns: Sequence[str]) -> QueryResult:
    """The same rows under other column headers (missing columns empty)."""
    positions = [result.columns.index(c) if c in result.columns else None for c in columns]
    rows = tuple(tuple(row[p] if p is not None else None for p in positions) for row in result.rows)
    return QueryResult(result.kind, result.names, tuple(columns), rows, result.remaining_tasks)
