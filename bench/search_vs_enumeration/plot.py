"""Regret against search cost, every strategy on every task: one panel per dataset, the search
in fine-tune equivalents (log x) against regret in points (symlog y), each strategy's regret
with Welch's 95% interval of best − returned over the seeds as an error bar (none for the best
itself or a single run), and the goal region (under 1 point of regret, under one fine-tune of
search) shaded; a search that reads metadata only is drawn at 0.001."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.search_vs_enumeration.queries import AUTO_BUDGETED, is_auto
from bench.search_vs_enumeration.table import (
    Finetuned,
    Scored,
    best_model,
    difference_half_width,
    in_finetunes,
)

MARKERS = {
    "Q1 task-agnostic": "s",
    "Q2 1-NN": "o",
    "Q3 linear": "^",
    "Q4 hybrid": "D",
    "cascade": "v",
    "hybrid+SH": "P",
    "AUTO": "*",
    AUTO_BUDGETED: "X",
}
COLOURS = {
    "Q1 task-agnostic": "tab:gray",
    "Q2 1-NN": "tab:blue",
    "Q3 linear": "tab:green",
    "Q4 hybrid": "tab:red",
    "cascade": "tab:purple",
    "hybrid+SH": "tab:orange",
    "AUTO": "black",
    AUTO_BUDGETED: "tab:brown",
}
FLOOR = 1e-3
"""Search cost drawn for a search that costs (almost) nothing: metadata only."""

Panel = tuple[str, Sequence[Scored], Mapping[str, Finetuned]]
"""A dataset's title, its scored strategies and its enumeration."""


def plot(path: Path, panels: Sequence[Panel]) -> None:
    """Write the figure to `path` (matplotlib, Agg backend): one panel per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 2.0, 4.2), squeeze=False)
    for ax, (title, scored, enumeration) in zip(axes[0], panels, strict=True):
        _panel(ax, title, scored, enumeration)
    found: dict[str, Any] = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            found.setdefault(label, handle)
    fig.legend(list(found.values()), list(found), fontsize=7, loc="center right")
    fig.tight_layout(rect=(0, 0, 1 - 1.6 / fig.get_figwidth(), 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _panel(ax: Any, title: str, scored: Sequence[Scored], enum: Mapping[str, Finetuned]) -> None:
    ax.fill_between([FLOOR / 2, 1.0], 0.0, 1.0, color="tab:green", alpha=0.12, lw=0)
    ax.axhline(1.0, color="tab:red", lw=0.8, ls="--")
    ax.axvline(1.0, color="tab:red", lw=0.8, ls="--")
    best = best_model(enum)
    ci = [
        0.0  # the best itself: no difference
        if s.returned == best.model
        else difference_half_width(best.accuracies, enum[s.returned].accuracies) or 0.0
        for s in scored
    ]
    top = max([s.regret + c for s, c in zip(scored, ci, strict=True)], default=1.0)
    for s, c in zip(scored, ci, strict=True):
        name = s.outcome.strategy
        x = max(FLOOR, in_finetunes(s.outcome.search_seconds, enum))
        ax.errorbar(
            x,
            s.regret,
            yerr=c,
            marker=MARKERS.get(name, "o"),
            ms=9 if is_auto(name) else 7,
            color=COLOURS.get(name, "black"),
            capsize=3,
            ls="none",
            label=name,
        )
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(-0.1, max(2.0, 1.5 * top))
    ax.set_xlim(FLOOR / 2, None)
    ax.set_xlabel("search cost, fine-tune equivalents (log)")
    ax.set_ylabel("regret, accuracy points (symlog)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
