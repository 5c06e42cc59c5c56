"""One PNG per dataset, like the paper's figures: fine-tuned accuracy against total time (log x),
a marker per strategy, AO filled and full data hollow, and the enumeration point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.search_vs_enumeration.table import Finetuned, Scored, best_accuracy, enumeration_seconds

MARKERS = {"Q1 task-agnostic": "s", "Q2 1-NN": "o", "Q3 linear": "^", "Q4 hybrid": "D"}
COLOURS = {"Q1 task-agnostic": "tab:gray", "Q2 1-NN": "tab:blue", "Q3 linear": "tab:green"}
COLOURS = {**COLOURS, "Q4 hybrid": "tab:red"}


def plot(
    path: Path,
    title: str,
    scored: Sequence[Scored],
    enumeration: Mapping[str, Finetuned],
) -> None:
    """Write the figure to `path` (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.4, 4.4))
    for s in scored:
        name = s.outcome.strategy
        filled = s.outcome.ao is not False
        colour = COLOURS.get(name, "black")
        ax.scatter(
            s.total_seconds,
            100 * s.accuracy,
            marker=MARKERS.get(name, "o"),
            s=70,
            facecolors=colour if filled else "none",
            edgecolors=colour,
            label=f"{name}{_mode(s.outcome.ao)}",
        )
    ax.scatter(
        enumeration_seconds(enumeration),
        100 * best_accuracy(enumeration),
        marker="*",
        s=160,
        color="black",
        label="fine-tune all (enumeration)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("total time, s (search + fine-tuning what it returns; log scale)")
    ax.set_ylabel("fine-tuned test accuracy, %")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _mode(ao: bool | None) -> str:
    return "" if ao is None else " (AO)" if ao else " (full data)"
