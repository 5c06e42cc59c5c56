"""docs/benchmarks.md's search-vs-enumeration section (`bench.report` calls it): which strategy
wins on which task and why, from what was measured, then per task the table, the goal line and
the pool, the regret-against-search-cost plot, and what the authors' runs say at the paper's
scale (bench.replay)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.search_vs_enumeration.queries import is_auto
from bench.search_vs_enumeration.table import (
    GOAL_STRATEGIES,
    difference_half_width,
    indistinguishable,
)

AUTOS = tuple((key, name) for name, key in GOAL_STRATEGIES.items() if is_auto(name))
"""The AUTO rows: their key in `winners` (and `goals`) and their strategy's name."""
COLUMNS_WON = ["task", "best under 1 fine-tune of search", "lowest regret"]
COLUMNS_WON += [name for _, name in AUTOS] + ["goal line"]


def markdown_table(table: Mapping[str, Any]) -> list[str]:
    """A {"columns", "rows"} table as markdown lines."""

    def cell(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(map(str, table["columns"])) + " |"]
    lines.append("|" + "---|" * len(table["columns"]))
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in table["rows"]]


def _met(flag: Any) -> str:
    return "met" if flag else "**missed**"


def _ft(strategy: Mapping[str, Any], goals: Mapping[str, Any]) -> float:
    """A strategy's search in fine-tune equivalents."""
    return float(strategy["search_seconds"]) / float(goals["mean_finetune_seconds"])


def _pick(s: Mapping[str, Any], goals: Mapping[str, Any]) -> str:
    return (
        f"{s['strategy']}: {s['returned']}, regret {s['regret_points']:.2f}"
        f" at {_ft(s, goals):.2f} fine-tunes"
    )


def winners(data: Mapping[str, Any]) -> dict[str, Any]:
    """A task's winners: the lowest regret among searches under one fine-tune (cheapest on
    ties), the lowest regret at any cost, and AUTO with and without a budget."""
    goals, strategies = data["goals"], data["strategies"]
    cheap = [s for s in strategies if _ft(s, goals) < 1.0]
    by_regret = sorted(strategies, key=lambda s: (round(s["regret_points"], 6), _ft(s, goals)))
    best_cheap = min(
        cheap, key=lambda s: (round(s["regret_points"], 6), _ft(s, goals)), default=None
    )
    autos = {k: next((s for s in strategies if s["strategy"] == n), None) for k, n in AUTOS}
    return {"cheap": best_cheap, "lowest": by_regret[0] if by_regret else None, **autos}


def why(name: str, data: Mapping[str, Any]) -> list[str]:
    """What the measurements say about one task: where each proxy's pick landed, which picks
    the seeds cannot tell from the best (Welch's 95% interval of the difference holds 0), and
    AUTO's reasoning."""
    enumeration = data["enumeration"]
    best = max(enumeration.values(), key=lambda f: f["accuracy"])
    spread = 100 * (best["accuracy"] - min(f["accuracy"] for f in enumeration.values()))
    lines = [
        f"- **{name}**: the best model is {best['model']} ({100 * best['accuracy']:.1f}"
        f" ± {100 * best.get('ci_half', 0.0):.1f}); the pool spans {spread:.1f} points, and a"
        f" mean fine-tune costs {data['goals']['mean_finetune_seconds']:.0f} s."
    ]
    picks, seeds = [], best.get("accuracies", ())
    for s in data["strategies"]:
        regret, returned = s["regret_points"], enumeration[s["returned"]].get("accuracies", ())
        half = difference_half_width(seeds, returned)
        text = f"{regret:.1f}" + (f" ± {half:.1f}" if half is not None and regret > 0 else "")
        if regret > 0 and indistinguishable(regret, seeds, returned):
            text += ", indistinguishable"
        picks.append(f"{s['strategy']} → {s['returned']} ({text})")
    lines.append(
        "  Picks (regret in points ± the half-width of Welch's 95% interval of best − pick over"
        " the seeds; indistinguishable where it holds 0): " + "; ".join(picks) + "."
    )
    for _, label in AUTOS:
        auto = next((s for s in data["strategies"] if s["strategy"] == label), None)
        if auto is not None and auto.get("auto_reason"):
            lines.append(f"  {label}: {auto['auto_reason']}.")
    return lines


def wins_section(datasets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The summary: per task, the winners and the goal line, then why."""
    measured = {n: d for n, d in datasets.items() if "strategies" in d and "goals" in d}
    if not measured:
        return []
    rows = []
    for name, data in measured.items():
        won, goals = winners(data), data["goals"]
        autos = [won[key] for key, _ in AUTOS]
        rows.append(
            [
                name,
                _pick(won["cheap"], goals) if won["cheap"] else "none",
                _pick(won["lowest"], goals) if won["lowest"] else "-",
                *(
                    (f"chose {a.get('auto_choice', '?')}: " + _pick(a, goals)) if a else "-"
                    for a in autos
                ),
                _met(goals.get("goal_met")),
            ]
        )
    lines = ["", "### Which strategy wins, and why", ""]
    lines += markdown_table({"columns": COLUMNS_WON, "rows": rows})
    lines += [""]
    for name, data in measured.items():
        lines += why(name, data)
    return lines


def replay_lines(path: Path) -> list[str]:
    """At the paper's scale: per modality the strategies of bench.replay best by median regret
    for one and for several fine-tunes, and how often each stays within a point."""
    if not path.exists():
        return []
    r = json.loads(path.read_text())
    lines = ["", "At the paper's scale (bench.replay, the authors' fine-tuning runs, no proxies):"]
    for modality in ("text", "vision"):
        per = r.get("summary", {}).get(modality, {}).get("strategies", {})
        if not per:
            continue
        one = {n: d for n, d in per.items() if d["cost_finetunes"] == 1}
        more = {n: d for n, d in per.items() if d["cost_finetunes"] > 1}
        best_one = min(one, key=lambda n: one[n]["median"], default=None)
        best_more = min(more, key=lambda n: more[n]["median"], default=None)
        parts = []
        for label, best, group in (("1 fine-tune", best_one, one), ("more", best_more, more)):
            if best is not None:
                d = group[best]
                parts.append(
                    f"with {label}, {best} (median regret {d['median']} points, within 1 point on"
                    f" {100 * d['share_le_1_point']:.0f}% of {d['datasets']} datasets)"
                )
        lines.append(f"- {modality}: " + "; ".join(parts) + ".")
    shares = [
        d["share_le_1_point"]
        for m in ("text", "vision")
        for d in r.get("summary", {}).get(m, {}).get("strategies", {}).values()
    ]
    ladder = [d["rank_correlation_rungs"] for d in r.get("successive_halving", {}).values()]
    if shares:
        lines.append(
            f"  No pick made without a forward pass is within 1 point on more than"
            f" {100 * max(shares):.0f}% of the authors' datasets: a prior alone does not close"
            " the gap; fine-tuning more picks lowers the median regret."
        )
    if ladder:
        lines.append(
            f"  Halving up their recorded epochs (1 epoch on 800 samples, then 25 on 80%) ranks"
            f" models with a rank correlation of {min(ladder):.2f} to {max(ladder):.2f} between"
            " the rungs: short fine-tunes mislead where the ranking changes with training."
        )
    return lines


def svse_section(path: Path, results: Path) -> str:
    """The whole section for one result file."""
    result = json.loads(path.read_text())
    kept = result.get("kept_from_earlier") or []
    versions = ", ".join(f"{k} {v}" for k, v in result.get("versions", {}).items())
    config = result.get("config", {})
    lines = [
        f"## {path.stem}",
        "",
        f"Device {result['device']} ({result.get('processor') or result['machine']}; {versions});"
        f" {result['mode']} run ({config.get('name', 'wave-1 configuration')}),"
        f" {result['wall_seconds'] / 60:.0f} min wall clock for the last run"
        f" ({', '.join(n for n in result['datasets'] if n not in kept)}; every dataset lists"
        " its runs)."
        f" {result['protocol']['note']}. Every strategy is the SHiFT-QL its row names"
        " (bench/search_vs_enumeration/queries.py); search in fine-tune equivalents is its"
        " search over the pool's mean fine-tune (the protocol's learning-rate grid).",
    ]
    if kept:
        lines += [
            "",
            f"Kept from an earlier run (not measured by this one): {', '.join(kept)}; each says"
            " when it was measured and under which protocol.",
        ]
    lines += wins_section(result["datasets"])
    lines += replay_lines(results / "replay.json")
    if result.get("plot") and (path.parent.parent.parent / result["plot"]).exists():
        lines += ["", f"![regret against search cost](../{result['plot']})"]
    for name, data in result["datasets"].items():
        lines += _dataset(name, data)
    return "\n".join(lines)


def runs_line(runs: Sequence[Mapping[str, Any]]) -> str:
    """The runs that measured a dataset: when, which strategies, how long, at which commit."""
    if not runs:
        return ""
    said = [
        f"{r['at'][:16].replace('T', ' ')} ({', '.join(r['strategies'])}"
        + (f": {r['wall_seconds'] / 60:.0f} min" if r.get("wall_seconds") is not None else "")
        + (f", at {r['commit']})" if r.get("commit") else ")")
        for r in runs
    ]
    return "; runs: " + "; ".join(said)


def _dataset(name: str, data: Mapping[str, Any]) -> list[str]:
    if "table" not in data:
        return ["", f"### {name}", "", f"Skipped: {data.get('skipped', 'not measured')}."]
    left = data.get("left_out") or dict.fromkeys(data.get("excluded_onnx") or [], "ONNX")
    named = ", ".join(f"{m} ({reason})" for m, reason in left.items())
    left_text = f"; left out: {named}" if left else ""
    cut = f", reviews cut to {data['max_chars']} characters" if data.get("max_chars") else ""
    searched = (
        f" / {data['search']:,} search samples (the strategies search on training and search"
        " samples, never on the test samples that judge their picks)"
        if data.get("search")
        else " samples (the strategies searched on the test samples too)"
    )
    lines = [
        "",
        f"### {name}",
        "",
        f"{data['train']:,} training / {data['test']:,} test{searched} (seed {data['seed']}{cut}),"
        f" {data['pool_size']} {data['modality']} models{left_text}; fine-tuning protocol"
        f" {data['finetune_params']}; measured {data.get('measured_at', 'earlier')}"
        f"{runs_line(data.get('runs', ()))}.",
        "",
        *markdown_table(data["table"]),
    ]
    goals = data.get("goals", {})
    lines += ["", *_goal_lines(goals), *convergence_line(data.get("convergence"))]
    if "enumeration_table" in data:
        lines += ["", "<details><summary>The pool, fine-tuned</summary>", ""]
        lines += [*markdown_table(data["enumeration_table"]), "", "</details>"]
    return lines


def convergence_line(summary: Mapping[str, Any] | None) -> Sequence[str]:
    """Whether the enumeration's fine-tunes converged (`table.convergence`); nothing for a
    recording that kept no epochs."""
    if not summary:
        return []
    return [
        f"- Convergence: early stopping ended {summary['stopped_early']} of the"
        f" {summary['runs']} fine-tunes (validation accuracy stopped improving);"
        f" {summary['best_at_cap']} were still improving at the cap of"
        f" {summary['max_epochs']} epochs; mean best epoch {summary['mean_best_epoch']}."
    ]


def _goal_lines(goals: Mapping[str, Any]) -> Sequence[str]:
    out = []
    for key, label in (("hybrid", "Hybrid (Q4)"), *AUTOS):
        if f"{key}_regret_points" not in goals:
            continue
        out.append(
            f"- {label}: regret {goals[f'{key}_regret_points']} points (≤ 1:"
            f" {_met(goals[f'{key}_regret_le_1'])}); search {goals[f'{key}_search_seconds']} s ="
            f" {goals[f'{key}_search_in_finetunes']} mean fine-tunes (< 1:"
            f" {_met(goals[f'{key}_search_lt_one_finetune'])})."
        )
    out.append(f"- Goal line (the hybrid or an AUTO meets both): {_met(goals.get('goal_met'))}.")
    return out


def estimate_section(path: Path) -> str:
    """`--estimate`: what a full run costs, per dataset, on this machine now and when idle."""
    r = json.loads(path.read_text())
    config = r.get("config", {})
    rows = [
        [name, d["train"], d["test"], d.get("search", ""), len(d["models"]),
         d["now"]["hours_upper"], d["now"]["hours_if_half_the_epochs"], d["idle"]["hours_upper"],
         d["idle"]["hours_if_half_the_epochs"]]
        for name, d in r["datasets"].items()
        if "now" in d
    ]  # fmt: skip
    rows.append(
        ["all", "", "", "", "", r["now_hours_upper"], r["now_hours_if_half_the_epochs"],
         r["idle_hours_upper"], r["idle_hours_if_half_the_epochs"]]
    )  # fmt: skip
    columns = ["dataset", "train", "test", "search", "models", "hours now"]
    columns += ["now, half the epochs"]
    columns += ["hours idle", "idle, half the epochs"]
    excluded = ", ".join(config.get("excluded", []))
    return "\n".join(
        [
            f"## {path.stem}",
            "",
            f"`python -m bench.search_vs_enumeration --estimate` ({config.get('name', '?')} mode),"
            f" measured under a load average of {r['load_average_1min']} on"
            f" {r['cpu_threads']} threads: the enumeration (every model under the protocol) and"
            " the strategies (a fresh store each), every run to its last epoch (upper bound) or"
            " half of them (early stopping). Idle: the process's CPU seconds, calibrated by one"
            f" fine-tune per modality timed on the idle machine. Left out: {excluded}.",
            "",
            *markdown_table({"columns": columns, "rows": rows}),
        ]
    )
