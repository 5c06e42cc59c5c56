"""What the shell completes, fetched from the server with ordinary metadata queries."""

from __future__ import annotations

from dataclasses import dataclass

from shift_search.client import Client, QueryError, Table
from shift_search.runtime.proxy_names import PROXY_NAMES

KEYWORDS = (
    "SELECT", "FROM", "WHERE", "ORDER", "BY", "ASC", "DESC", "TRAINED", "TESTED", "ON", "TASK",
    "BENCHMARK", "CLASSIFIED", "LIMIT", "OTHER", "THAN", "CHUNK", "BUDGET", "AUTO", "WAIT",
    "UNION", "INTERSECT", "EXCEPT", "DECLARE", "AS", "REGISTER", "DATASET", "MODEL", "VALUES",
    "EXPLAIN", "ANALYZE", "JSON", "FINETUNE", "WITH", "USING", "RANK", "USE", "PRINT", "PURGE",
    "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "FINETUNED", "CHANGE", "TO",
    "ALL", "ERR", "ACC", "AVG", "SUM", "MIN", "MAX",
)  # fmt: skip
"""SHiFT-QL's keywords (docs/shiftql.md)."""
TABLES = ("models", "text_models", "image_models", "datasets", "readers", "benchmark_results")
PAPER_PROXIES = ("CosineNN", "EuclideanNN", "Linear(lr=0.1)", "kNN(k=5)", "LogME", "FineTune(")


@dataclass(frozen=True)
class Catalog:
    """Names the server knows, for completion."""

    models: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    proxies: tuple[str, ...] = tuple(PROXY_NAMES.values())

    @property
    def size(self) -> str:
        return f"{len(self.models)} models, {len(self.datasets)} datasets"


def fetch(client: Client) -> Catalog:
    """Models, datasets, their columns and the session's variables, in one round trip."""
    result = client.query(
        "SELECT * FROM models; SELECT * FROM datasets; PRINT *;", progress=False, source="shell"
    )
    models, datasets, variables = _by_statement(result.tables, 3)
    columns = sorted({c for t in (models, datasets) if t is not None for c in t.columns})
    return Catalog(
        models=_column(models, "name"),
        datasets=_column(datasets, "name"),
        columns=tuple(columns),
        variables=_column(variables, "variable"),
    )


def fetch_or_empty(client: Client) -> tuple[Catalog, QueryError | None]:
    try:
        return fetch(client), None
    except QueryError as err:
        return Catalog(), err


def _by_statement(tables: tuple[Table, ...], count: int) -> list[Table | None]:
    found = {t.statement: t for t in tables}
    return [found.get(i) for i in range(count)]


def _column(table: Table | None, name: str) -> tuple[str, ...]:
    if table is None or name not in table.columns:
        return ()
    index = table.columns.index(name)
    return tuple(str(row[index]) for row in table.rows)
