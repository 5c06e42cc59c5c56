"""Printing results for people (aligned tables, progress) and for machines (JSON lines)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from shift_search.planner.convert import plan_proto_json
from shift_search.proto.v1 import query_pb2
from shift_search.runtime.values import value_from_proto


def cell_text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.4f}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(cell_text(v) for v in value)
    return str(value)


def table_text(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table with a header rule."""
    cells = [[cell_text(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in cells]
    return "\n".join([line.rstrip(), rule, *(b.rstrip() for b in body)])


def result_rows(table: query_pb2.ResultTable) -> list[list[Any]]:
    return [[value_from_proto(c) for c in row.cells] for row in table.rows]


class HumanPrinter:
    """Tables on stdout; plans, notes and live progress on stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        # the streams of the moment (not of import time), so redirecting sys.stdout works
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self._live = self.err.isatty()

    def event(self, event: query_pb2.QueryEvent) -> None:
        kind = event.WhichOneof("event")
        if kind == "result":
            self._clear()
            table = event.result
            print(table_text(list(table.columns), result_rows(table)), file=self.out)
            if table.remaining_tasks:
                print(
                    f"({table.remaining_tasks} task(s) still running; run the query again "
                    "later, or add WAIT)",
                    file=self.out,
                )
            print(file=self.out)
        elif kind == "message":
            self._clear()
            print(event.message.text, file=self.out)
        elif kind == "planned":
            plan = event.planned
            decisions = ", ".join(
                f"{k}={v}" for k, v in sorted(plan.decisions.items()) if k != "reason"
            )
            self._progress(
                f"plan: {plan.strategy} ({decisions}); estimated {plan.estimated_seconds:.1f}s",
                keep=True,
            )
        elif kind == "task_done":
            t = event.task_done
            cached = " (cached)" if t.from_cache else ""
            self._progress(f"[{t.done}/{t.total}] {t.model}: {t.kind} = {t.error:.4f}{cached}")
        elif kind == "eliminated":
            e = event.eliminated
            self._progress(f"round {e.round}: eliminated {e.model} ({e.error:.4f})", keep=True)
        elif kind == "top_k":
            leaders = ", ".join(event.top_k.models)
            self._progress(f"leaders: {leaders}", keep=True)

    def close(self) -> None:
        """End the display: wipe a live progress line, so what follows starts on a clean line."""
        self._clear()

    def _progress(self, text: str, keep: bool = False) -> None:
        if self._live and not keep:
            print(f"\r\033[K{text}", end="", file=self.err, flush=True)
        else:
            self._clear()
            print(text, file=self.err, flush=True)

    def _clear(self) -> None:
        if self._live:
            print("\r\033[K", end="", file=self.err, flush=True)


class JsonPrinter:
    """One JSON object per line on stdout: each result table, message and plan (a plan as
    `planner.convert.plan_proto_json` shapes it: strategy, decisions, steps as a tree)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def event(self, event: query_pb2.QueryEvent) -> None:
        kind = event.WhichOneof("event")
        if kind == "result":
            table = event.result
            rows = [dict(zip(table.columns, row, strict=False)) for row in result_rows(table)]
            payload = {
                "statement": event.statement,
                "title": table.title,
                "rows": rows,
                "remaining_tasks": table.remaining_tasks,
            }
            print(json.dumps(payload, default=str), file=self.out)
        elif kind == "message":
            print(
                json.dumps({"statement": event.statement, "message": event.message.text}),
                file=self.out,
            )
        elif kind == "planned":
            plan = plan_proto_json(event.planned)
            print(json.dumps({"statement": event.statement, "plan": plan}), file=self.out)
