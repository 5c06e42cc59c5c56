"""Running what was typed: events of a script shown as they come, EXPLAIN as trees."""

from __future__ import annotations

from rich.console import Console

from shift_search.cli.shell import display
from shift_search.client import Client, Message, Planned, Table
from shift_search.client.progress import RichBar
from shift_search.parser import ParseErrors, ast, parse


def explained(text: str) -> set[int]:
    """Indices of the EXPLAIN statements of `text` (none when it does not parse: the server
    will say why)."""
    try:
        statements = parse(text, "shell").statements
    except ParseErrors as errors:
        statements = errors.statements
    return {s.index for s in statements if isinstance(s, ast.Explain)}


def use_target(text: str) -> str | None:
    """The server of a script that is one `USE host:port;`, else None."""
    try:
        statements = parse(text, "shell").statements
    except ParseErrors:
        return None
    match statements:
        case (ast.Use(target=target),):
            return target
        case _:
            return None


def run_script(client: Client, text: str, out: Console, err: Console) -> None:
    """Stream the script's events: tables and notes on `out`, plans and progress on `err`."""
    explains = explained(text)
    bar = RichBar(err)
    shown_plans: set[str] = set()
    try:
        for event in client.events(text, source="shell"):
            match event:
                case Planned() if event.statement in explains:
                    bar.close()
                    out.print(display.plan_tree(event.plan))
                    shown_plans.add(event.plan.text)
                case Message() if event.text in shown_plans:
                    pass  # the same plan as text: already shown as a tree
                case Table():
                    bar.close()
                    out.print(display.table(event))
                case Message():
                    bar.close()
                    display.note(out, event.text)
                case _:
                    bar.update(event)
    finally:
        bar.close()
