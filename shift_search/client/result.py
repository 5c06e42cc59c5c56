"""What `Client.query` returns: every event of a script, with its tables, notes and plans."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shift_search.client.events import Event, Finished, Message, Planned, Table
from shift_search.client.plans import Plan


@dataclass(frozen=True)
class QueryResult:
    """The events of a script in the order they came. `table` is the last result table (the
    answer of a one-statement query); `tables` has one per statement that returned rows."""

    events: tuple[Event, ...]

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(e for e in self.events if isinstance(e, Table))

    @property
    def table(self) -> Table:
        if not self.tables:
            raise LookupError("the script returned no table (only notes: see .messages)")
        return self.tables[-1]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.table.columns

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        return self.table.rows

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.events if isinstance(e, Message))

    @property
    def plans(self) -> tuple[Plan, ...]:
        return tuple(e.plan for e in self.events if isinstance(e, Planned))

    @property
    def remaining_tasks(self) -> int:
        """Tasks still running on the server (a query without WAIT)."""
        return sum(e.remaining_tasks for e in self.events if isinstance(e, Finished))

    @property
    def seconds(self) -> float:
        return sum(e.seconds for e in self.events if isinstance(e, Finished))

    def records(self) -> list[dict[str, Any]]:
        return self.table.records()

    def to_pandas(self) -> Any:
        """The last table as a pandas DataFrame."""
        return self.table.to_pandas()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records() if self.tables else [])

    def __len__(self) -> int:
        return len(self.rows) if self.tables else 0

    def __repr__(self) -> str:
        shape = (
            f"{len(self.rows)} row(s) x ({', '.join(self.columns)})" if self.tables else "no table"
        )
        return f"<QueryResult {shape}, {len(self.messages)} message(s)>"

    def _repr_html_(self) -> str:
        """How Jupyter shows a result: its notes, then its tables."""
        parts = [f"<pre>{html.escape(text)}</pre>" for text in self.messages]
        parts += [_html_table(t.title, t.columns, t.rows) for t in self.tables]
        return "\n".join(parts) or "<i>no result</i>"


def _html_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
