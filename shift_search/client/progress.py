"""A progress bar while a search runs: tqdm's widget in a notebook, rich in a terminal, nothing
when no person is watching (a pipe, a log, CI).

tqdm, rich and ipywidgets are optional (`pip install 'shift-search[client]'`); without them the
display falls back to the next choice, and finally to none.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Literal, Protocol, assert_never

from shift_search.client.events import Eliminated, Event, Finished, Planned, TaskDone

Shown = Literal["notebook", "terminal", "text", "none"]
Choice = Literal["auto", "notebook", "terminal", "text", "none"]


class Display(Protocol):
    def update(self, event: Event) -> None: ...

    def close(self) -> None: ...


def plan_line(event: Planned) -> str:
    plan = event.plan
    decisions = ", ".join(f"{k}={v}" for k, v in sorted(plan.decisions.items()) if k != "reason")
    return f"plan: {plan.strategy} ({decisions}); estimated {plan.estimated_seconds:.1f}s"


SUMMARY_DECISIONS = ("successive_halving", "chunk", "budget")
"""The decisions a live display shows (EXPLAIN shows them all)."""


def short_plan_line(event: Planned) -> str:
    plan = event.plan
    shown = [
        f"{k}={plan.decisions[k]}"
        for k in SUMMARY_DECISIONS
        if plan.decisions.get(k) not in (None, "", "-")
    ]
    decisions = f" ({', '.join(shown)})" if shown else ""
    return f"plan: {plan.strategy}{decisions}; estimated {plan.estimated_seconds:.1f}s"


def task_line(event: TaskDone) -> str:
    cached = " (cached)" if event.from_cache else ""
    return f"{event.model}: {event.kind} = {event.error:.4f}{cached}"


def eliminated_line(event: Eliminated) -> str:
    return f"round {event.round}: eliminated {event.model} ({event.error:.4f})"


class Silent:
    def update(self, event: Event) -> None:
        pass

    def close(self) -> None:
        pass


class TqdmBar:
    """One tqdm bar per statement that runs tasks; `notebook` uses the Jupyter widget."""

    def __init__(self, notebook: bool) -> None:
        if notebook:
            from tqdm.notebook import tqdm
        else:
            from tqdm import tqdm
        self._tqdm = tqdm
        self._notebook = notebook
        self._bar: Any = None
        self._description = "search"

    def update(self, event: Event) -> None:
        match event:
            case Planned():
                self._description = event.plan.strategy
            case TaskDone():
                bar = self._bar or self._open(event.total)
                bar.total = max(event.total, event.done)
                bar.n = event.done
                bar.set_postfix_str(task_line(event), refresh=False)
                bar.refresh()
            case Eliminated() if self._bar is not None:
                self._bar.write(eliminated_line(event))
            case Finished():
                self.close()
            case _:
                pass

    def _open(self, total: int) -> Any:
        options: dict[str, Any] = {"total": total, "desc": self._description, "unit": "task"}
        if not self._notebook:
            options["file"] = sys.stderr
        self._bar = self._tqdm(**options)
        return self._bar

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class RichBar:
    """A live rich bar on stderr; plans and eliminations are printed above it and stay."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
            transient=True,
        )
        self._task: Any = None
        self._description = "search"

    def update(self, event: Event) -> None:
        match event:
            case Planned():
                self._description = event.plan.strategy
                self.console.print(short_plan_line(event), style="dim", highlight=False)
            case TaskDone():
                if self._task is None:
                    self._progress.start()
                    self._task = self._progress.add_task(
                        self._description, total=event.total, last=""
                    )
                self._progress.update(
                    self._task,
                    total=max(event.total, event.done),
                    completed=event.done,
                    last=task_line(event),
                    refresh=True,  # every task shows, however soon the next one comes
                )
            case Eliminated():
                self.console.print(eliminated_line(event), style="dim", highlight=False)
            case Finished():
                self.close()
            case _:
                pass

    def close(self) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._progress.stop()
            self._task = None


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is never imported here just to ask)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def choose(progress: bool | Choice | None) -> Shown:
    """What `progress=` means here: None/"auto"/True pick by where the code runs (True shows a
    plain text bar when nothing interactive is there); False/"none" show nothing."""
    match progress:
        case False | "none":
            return "none"
        case "notebook" | "terminal" | "text":
            return progress
        case None | True | "auto":
            if in_notebook():
                return "notebook" if _installed("ipywidgets") and _installed("tqdm") else "text"
            if sys.stderr is not None and sys.stderr.isatty() and _installed("rich"):
                return "terminal"
            return "text" if progress is True else "none"
    raise ValueError(f"progress={progress!r}: expected True, False, None or one of {Choice}")


def display(progress: bool | Choice | None) -> Display:
    choice = choose(progress)
    match choice:
        case "notebook":
            return TqdmBar(notebook=True)
        case "terminal":
            return RichBar()
        case "text":
            return TqdmBar(notebook=False) if _installed("tqdm") else Silent()
        case "none":
            return Silent()
        case _:
            assert_never(choice)
