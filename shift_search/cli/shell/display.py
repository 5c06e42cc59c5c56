"""How the shell shows things: rich tables, EXPLAIN as a tree, notes, errors."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text
from rich.tree import Tree

from shift_search.cli.render import cell_text
from shift_search.client import Plan, PlanStep, QueryError, Table


def table(result: Table) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, title=Text(result.title) if result.title else None)
    for column in result.columns:
        out.add_column(Text(column), overflow="fold")
    for row in result.rows:
        out.add_row(*(Text(cell_text(v)) for v in row))
    if result.remaining_tasks:
        out.caption = Text(
            f"{result.remaining_tasks} task(s) still running: run it again later, or add WAIT"
        )
    return out


def plan_tree(plan: Plan) -> Tree:
    """The plan as a tree: the strategy, its decisions, then each step (nested steps below
    their parent when the server sends them)."""
    head = Text(f"plan: {plan.strategy}", style="bold")
    head.append(f"  estimated {plan.estimated_seconds:.3f}s", style="")
    if plan.measured_seconds is not None:
        head.append(f", measured {plan.measured_seconds:.3f}s")
    tree = Tree(head, guide_style="dim")
    if plan.decisions:
        decisions = tree.add(Text("decisions", style="italic"))
        for key, value in sorted(plan.decisions.items()):
            decisions.add(Text(f"{key} = {value}"))
    for step in plan.steps:
        _add_step(tree, step)
    return tree


PLAIN_KINDS = frozenset({"metadata_scan", "aggregate", "set_operation", "variable_read"})
"""Steps that hold no work the cache could answer (catalog reads, aggregates)."""


def _shows_cached(step: PlanStep) -> bool:
    """Say "cached" as the server's EXPLAIN text does: for a step holding cached work."""
    return step.cached and (
        step.kind not in PLAIN_KINDS or any(_shows_cached(c) for c in step.children)
    )


def _add_step(parent: Tree, step: PlanStep) -> None:
    label = Text()
    if step.id:
        label.append(f"#{step.id} ", style="dim")
    label.append(step.name, style="bold")
    if step.detail:
        label.append(f": {step.detail}")
    costs = [f"estimated {step.estimated_seconds:.3f}s"]
    if _shows_cached(step):
        costs.append("cached")
    if step.measured_seconds is not None:
        costs.append(f"measured {step.measured_seconds:.3f}s")
    if step.measured is not None and step.measured.cache_hits:
        costs.append(f"{step.measured.cache_hits} from cache")
    if step.tasks:
        costs.append(f"{step.tasks} tasks")
    costs += [f"{k}={v}" for k, v in step.extra.items()]
    label.append(f"  ({', '.join(costs)})", style="dim")
    node = parent.add(label)
    for child in step.children:
        _add_step(node, child)


def error(console: Console, err: QueryError) -> None:
    first, *rest = err.message.splitlines() or [""]
    console.print(Text(f"{err.code.name}: {first}", style="bold red"))
    for line in rest:
        console.print(Text(line))


def note(console: Console, text: str) -> None:
    console.print(Text(text))
