"""GROUP BY and aggregates of a metadata query: `SELECT model, avg(test_accuracy) FROM
benchmark_results GROUP BY model ORDER BY avg(test_accuracy) DESC`.

A query is grouped when it has GROUP BY, an aggregate in its columns, or an ORDER BY of an
aggregate; without GROUP BY every row is one group. As in SQL, a plain column must be one of
the GROUP BY columns; aggregates skip NULLs (`count(*)` counts rows); `avg` and `sum` take
numbers, `min` and `max` anything ordered. The groups are ordered by ORDER BY (a GROUP BY
column, an output column's name or alias, or an aggregate) and else by their GROUP BY values.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, assert_never

from shift_search.parser import ast
from shift_search.runtime.errors import InvalidArgument

Row = Mapping[str, Any]


def is_grouped(
    columns: ast.Columns, group_by: Sequence[str], ordering: ast.Ordering | None
) -> bool:
    """Whether a metadata query groups its rows: GROUP BY, or an aggregate anywhere."""
    aggregated = isinstance(columns, tuple) and any(i.aggregate for i in columns)
    ordered = ordering is not None and isinstance(ordering.key, ast.ColumnAggregate)
    return bool(group_by) or aggregated or ordered


def header(item: ast.SelectItem) -> str:
    """The output column's name: its alias, else `avg(test_accuracy)` or the column."""
    if item.alias:
        return item.alias
    return f"{item.aggregate}({item.column.name})" if item.aggregate else item.column.name


def aggregated_columns(
    columns: ast.Columns, group_by: Sequence[str], ordering: ast.Ordering | None
) -> list[str]:
    """Every column a grouped query reads (to check that the table has them); `*` left out."""
    wanted = list(group_by)
    if isinstance(columns, tuple):
        wanted += [i.column.name for i in columns]
    if ordering is not None and isinstance(ordering.key, ast.ColumnAggregate):
        wanted.append(ordering.key.column.name)
    return [c for c in dict.fromkeys(wanted) if c != "*"]


def check_grouping(
    columns: ast.Columns, group_by: Sequence[str], ordering: ast.Ordering | None
) -> None:
    """InvalidArgument for a grouped query that cannot be answered: `*`, a plain column that is
    not grouped by, an ORDER BY column that is neither grouped by nor an output column."""
    if isinstance(columns, ast.AllColumns):
        raise InvalidArgument(
            "SELECT * with GROUP BY or an aggregate: name the GROUP BY columns and the "
            "aggregates, e.g. SELECT model, avg(test_accuracy) … GROUP BY model"
        )
    for item in columns:
        if item.aggregate is None and item.column.name not in group_by:
            name = item.column.name
            raise InvalidArgument(
                f"column {name!r} is neither in GROUP BY nor aggregated: add it to GROUP BY, "
                f"or select an aggregate such as max({name}) or count({name})"
            )
    if ordering is not None and isinstance(ordering.key, ast.Column):
        name = ordering.key.name
        if name not in group_by and name not in {header(i) for i in columns}:
            raise InvalidArgument(
                f"ORDER BY {name}: a grouped query orders by a GROUP BY column, an output "
                f"column or an aggregate such as avg({name})"
            )


def grouped_rows(
    rows: Sequence[Row],
    columns: tuple[ast.SelectItem, ...],
    group_by: Sequence[str],
    ordering: ast.Ordering | None,
    limit: int | None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(headers, one row per group), ordered and cut to LIMIT."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(_hashable(row.get(c)) for c in group_by), []).append(row)
    if not group_by and not groups:
        groups[()] = []  # an aggregate over no rows is one row (count 0), as in SQL
    headers = [header(i) for i in columns]
    out = []
    for key, members in groups.items():
        cells = tuple(_cell(item, members) for item in columns)
        out.append((_order_value(ordering, key, group_by, members, headers, cells), key, cells))
    present = [o for o in out if not _is_null(o[0])]
    missing = [o for o in out if _is_null(o[0])]
    descending = bool(ordering and ordering.descending)
    present.sort(key=lambda o: _sortable(o[0]), reverse=descending)
    missing.sort(key=lambda o: tuple(_sortable(v) for v in o[1]))
    if ordering is None:  # by the GROUP BY values
        present.sort(key=lambda o: tuple(_sortable(v) for v in o[1]))
    ordered = [cells for _, _, cells in present + missing]
    return headers, ordered[:limit] if limit is not None else ordered


def _cell(item: ast.SelectItem, members: Sequence[Row]) -> Any:
    if item.aggregate is None:
        return members[0].get(item.column.name) if members else None
    return aggregate(item.aggregate, item.column.name, members)


def _order_value(
    ordering: ast.Ordering | None,
    key: tuple[Any, ...],
    group_by: Sequence[str],
    members: Sequence[Row],
    headers: Sequence[str],
    cells: tuple[Any, ...],
) -> Any:
    if ordering is None:
        return 0
    match ordering.key:
        case ast.ColumnAggregate(func=func, column=column):
            return aggregate(func, column.name, members)
        case ast.Column(name=name) if name in group_by:
            return key[list(group_by).index(name)]
        case ast.Column(name=name):
            return cells[list(headers).index(name)]
        case (
            ast.ProxyOrdering()
            | ast.ProxyErr()
            | ast.Aggregate()
            | ast.Cascade()
            | ast.AutoStrategy()
        ):
            raise InvalidArgument("a grouped query orders by a column or an aggregate")
        case _:
            assert_never(ordering.key)


def aggregate(func: ast.ColumnFunc, column: str, rows: Sequence[Row]) -> Any:
    """`func` over the column's values in `rows`, NULLs skipped (None when none is left,
    except count)."""
    if column == "*":
        return len(rows)
    values: list[Any] = [v for r in rows if not _is_null(v := r.get(column))]
    if func == "count":
        return len(values)
    if not values:
        return None
    if func in ("avg", "sum"):
        if not all(isinstance(v, int | float) for v in values):
            raise InvalidArgument(f"{func}({column}): the column holds text, not numbers")
        total: Callable[[Sequence[float]], float] = statistics.fmean if func == "avg" else sum
        return total(values)
    try:
        return min(values) if func == "min" else max(values)
    except TypeError:
        raise InvalidArgument(f"{func}({column}): the column mixes numbers and text") from None


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _sortable(value: Any) -> tuple[int, Any]:
    """Numbers before text, NULLs last (whatever the direction: see `grouped_rows`)."""
    if _is_null(value):
        return (2, 0)
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).lower())
