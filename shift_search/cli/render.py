"""Printing results for people (aligned tables, progress) and for machines (JSON lines)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from shift_search.client.events import (
    Eliminated,
    Event,
    Leaders,
    Message,
    Planned,
    Table,
    TaskDone,
    TaskProgress,
)
from shift_search.client.progress import eliminated_line, plan_line, task_line


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


class HumanPrinter:
    """Tables on stdout; plans, notes and live progress on stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        # the streams of the moment (not of import time), so redirecting sys.stdout works
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self._live = self.err.isatty()

    def event(self, event: Event) -> None:
        match event:
            case Table():
                self._clear()
                print(table_text(event.columns, event.rows), file=self.out)
                if event.remaining_tasks:
                    print(
                        f"({event.remaining_tasks} task(s) still running; run the query again "
                        "later, or add WAIT)",
                        file=self.out,
                    )
                print(file=self.out)
            case Message():
                self._clear()
                print(event.text, file=self.out)
            case Planned():
                self._progress(plan_line(event), keep=True)
            case TaskDone():
                self._progress(f"[{event.done}/{event.total}] {task_line(event)}")
            case TaskProgress() if self._live:  # transient: only where the line is redrawn
                self._progress(f"{event.model}: {event.message or event.stage}")
            case Eliminated():
                self._progress(eliminated_line(event), keep=True)
            case Leaders():
                self._progress(f"leaders: {', '.join(event.models)}", keep=True)
            case _:
                pass

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
    """One JSON object per line on stdout: each result table, message and plan (a plan in the
    shape of EXPLAIN JSON, `client.Plan.explain_json`: strategy, decisions, steps as a tree)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def event(self, event: Event) -> None:
        match event:
            case Table():
                payload = {
                    "statement": event.statement,
                    "title": event.title,
                    "rows": event.records(),
                    "remaining_tasks": event.remaining_tasks,
                }
                print(json.dumps(payload, default=str), file=self.out)
            case Message():
                print(
                    json.dumps({"statement": event.statement, "message": event.text}),
                    file=self.out,
                )
            case Planned():
                plan = event.plan.explain_json()
                print(json.dumps({"statement": event.statement, "plan": plan}), file=self.out)
            case _:
                pass
