"""The arithmetic of search-vs-enumeration, free of any service: which model a strategy returns,
its regret and speed-up, and the per-dataset table."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.search_vs_enumeration.queries import AUTO_BUDGETED

COLUMNS = (
    "strategy",
    "plan",
    "model returned",
    "fine-tuned accuracy",
    "± 95%",
    "regret (points)",
    "regret indistinguishable (95%)",
    "search s",
    "search (fine-tunes)",
    "total s",
    "speed-up",
    "models fine-tuned",
)
TOLERANCE = 1e-9
"""Points below which two regrets (or a regret and a bound) differ only by float rounding."""
GOAL_STRATEGIES = {"Q4 hybrid": "hybrid", "AUTO": "auto", AUTO_BUDGETED: "auto_budget"}
"""The goal line: one of these within 1 point of the best at a search below one fine-tune (and
the key of its figures in `goals`)."""


@dataclass(frozen=True)
class Finetuned:
    """A model's ground truth: its (mean) fine-tuned test accuracy, the seconds fine-tuning it
    costs, and, under the seeded protocol, the 95% interval's half-width, the seeds' accuracies
    and the learning rate chosen on validation, and every run's best epoch and epochs run, the
    grid's then the extra seeds' (0 / empty / None for a single-run protocol or a recording
    made before epochs were kept)."""

    model: str
    accuracy: float
    seconds: float
    ci_half: float = 0.0
    accuracies: tuple[float, ...] = ()
    lr: float | None = None
    best_epochs: tuple[int, ...] = ()
    epochs_run: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A strategy's search: the models it hands to fine-tuning and what the search cost."""

    strategy: str
    plan: str  # how it ran: "metadata", "all the data", "SH", AUTO's choice …
    candidates: tuple[str, ...]
    search_seconds: float
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scored:
    """An outcome priced against the enumeration."""

    outcome: Outcome
    returned: str
    accuracy: float
    regret: float
    total_seconds: float
    speedup: float


def best_of(candidates: Sequence[str], enumeration: Mapping[str, Finetuned]) -> str:
    """The candidate with the best fine-tuned accuracy (the first one on ties)."""
    if not candidates:
        raise ValueError("a strategy returned no model")
    return max(candidates, key=lambda name: (enumeration[name].accuracy, -candidates.index(name)))


def best_accuracy(enumeration: Mapping[str, Finetuned]) -> float:
    return best_model(enumeration).accuracy


def enumeration_seconds(enumeration: Mapping[str, Finetuned]) -> float:
    return sum(f.seconds for f in enumeration.values())


def mean_finetune_seconds(enumeration: Mapping[str, Finetuned]) -> float:
    """What one fine-tune costs on average: the unit of "fine-tune equivalents"."""
    return enumeration_seconds(enumeration) / len(enumeration)


def in_finetunes(seconds: float, enumeration: Mapping[str, Finetuned]) -> float:
    return seconds / mean_finetune_seconds(enumeration)


def difference_half_width(best: Sequence[float], returned: Sequence[float]) -> float | None:
    """Half-width, in accuracy points, of Welch's two-sided 95% interval for the difference of
    two models' mean accuracies (best − returned) from their per-seed accuracies: Student's t at
    0.975 with the Welch–Satterthwaite degrees of freedom (fractional, scipy's quantile) times
    sqrt(s_b²/n_b + s_r²/n_r).

    None where it cannot be estimated: a model with fewer than two seeds (a single-run
    protocol) has no variance. Where neither model's seeds vary the interval is 0 wide (the
    degrees of freedom, 0/0, are not needed); where one side alone has zero variance the degrees
    of freedom are the other side's n - 1 (the formula's limit, no division by zero)."""
    if len(best) < 2 or len(returned) < 2:
        return None
    parts = [(statistics.variance(a) / len(a), len(a) - 1) for a in (best, returned)]
    se2 = sum(v for v, _ in parts)
    if se2 <= 0.0:
        return 0.0
    df = se2**2 / sum(v**2 / dof for v, dof in parts)
    from scipy.stats import t  # the bench extra's

    return 100.0 * float(t.ppf(0.975, df)) * math.sqrt(se2)


def indistinguishable(regret: float, best: Sequence[float], returned: Sequence[float]) -> bool:
    """Whether the seeds cannot tell the returned model from the best at 95% (regret in points,
    the per-seed accuracies of each): the regret is 0 (it is the best, or ties it), or Welch's
    95% interval of best − returned contains 0, i.e. the regret is at most its half-width
    (`difference_half_width`). A positive regret with no interval (a model with a single seed)
    is "no": nothing says it is noise."""
    if regret <= TOLERANCE:
        return True
    half = difference_half_width(best, returned)
    return half is not None and regret <= half + TOLERANCE


def regret_points(best: float, accuracy: float) -> float:
    """Best fine-tuned accuracy in the pool minus this one, in accuracy points (0-100 scale)."""
    return 100.0 * (best - accuracy)


def speedup(enumeration_total: float, total: float) -> float:
    return enumeration_total / total if total > 0 else float("inf")


def score(outcome: Outcome, enumeration: Mapping[str, Finetuned]) -> Scored:
    """Fine-tune every candidate (as the enumeration measured it) and keep the best."""
    returned = best_of(outcome.candidates, enumeration)
    accuracy = enumeration[returned].accuracy
    finetuning = sum(enumeration[name].seconds for name in outcome.candidates)
    total = outcome.search_seconds + finetuning
    return Scored(
        outcome,
        returned,
        accuracy,
        regret_points(best_accuracy(enumeration), accuracy),
        total,
        speedup(enumeration_seconds(enumeration), total),
    )


def best_model(enumeration: Mapping[str, Finetuned]) -> Finetuned:
    """The model with the best fine-tuned accuracy (the first one on ties)."""
    return max(enumeration.values(), key=lambda f: f.accuracy)


def strategy_row(scored: Scored, enumeration: Mapping[str, Finetuned]) -> list[Any]:
    o = scored.outcome
    returned = enumeration[scored.returned]
    best = best_model(enumeration).accuracies
    return [
        o.strategy,
        o.plan,
        scored.returned,
        round(scored.accuracy, 4),
        round(returned.ci_half, 4),
        round(scored.regret, 2),
        "yes" if indistinguishable(scored.regret, best, returned.accuracies) else "no",
        round(o.search_seconds, 2),
        round(in_finetunes(o.search_seconds, enumeration), 3),
        round(scored.total_seconds, 2),
        round(scored.speedup, 2),
        len(o.candidates),
    ]


def enumeration_row(enumeration: Mapping[str, Finetuned]) -> list[Any]:
    best = best_model(enumeration)
    total = enumeration_seconds(enumeration)
    head = ["enumeration", "fine-tune all", best.model, round(best.accuracy, 4)]
    head += [round(best.ci_half, 4), 0.0, "yes", 0.0, 0.0]
    return [*head, round(total, 2), 1.0, len(enumeration)]


def table(scored: Sequence[Scored], enumeration: Mapping[str, Finetuned]) -> dict[str, Any]:
    """{"columns", "rows"}: one row per strategy run, then the enumeration row."""
    rows = [strategy_row(s, enumeration) for s in scored] + [enumeration_row(enumeration)]
    return {"columns": list(COLUMNS), "rows": rows}


def enumeration_table(enumeration: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """{"columns", "rows"}: every model of the pool, best fine-tuned accuracy first."""
    ranked = sorted(enumeration.values(), key=lambda f: (-f["accuracy"], f["model"]))
    rows = [
        [
            f["model"], round(f["accuracy"], 4), round(f.get("ci_half", 0.0), 4),
            ", ".join(f"{a:.4f}" for a in f.get("accuracies", ())) or "-",
            f.get("lr") if f.get("lr") is not None else "-", round(f["seconds"], 1),
            _epochs(f),
        ]
        for f in ranked
    ]  # fmt: skip
    columns = ["model", "fine-tuned accuracy", "± 95%", "per seed", "lr", "fine-tune s"]
    return {"columns": [*columns, "best epoch / epochs run, per run"], "rows": rows}


def _epochs(recorded: Mapping[str, Any]) -> str:
    pairs = zip(recorded.get("best_epochs", ()), recorded.get("epochs_run", ()), strict=True)
    return ", ".join(f"{best}/{ran}" for best, ran in pairs) or "-"


def convergence(
    enumeration: Mapping[str, Mapping[str, Any]], max_epochs: int
) -> dict[str, Any] | None:
    """Whether the protocol's fine-tunes converged: of every run, how many early stopping ended
    (validation accuracy stopped improving, the best epoch is not the last run) and how many
    were still improving when the cap ended them (the best epoch is `max_epochs`); None when
    the recording kept no epochs."""
    pairs = [
        (best, ran)
        for f in enumeration.values()
        for best, ran in zip(f.get("best_epochs", ()), f.get("epochs_run", ()), strict=True)
    ]
    if not pairs:
        return None
    return {
        "max_epochs": max_epochs,
        "runs": len(pairs),
        "stopped_early": sum(1 for best, ran in pairs if best < ran),
        "best_at_cap": sum(1 for best, _ in pairs if best >= max_epochs),
        "mean_best_epoch": round(statistics.fmean(best for best, _ in pairs), 2),
    }


def goals(
    strategies: Sequence[Mapping[str, Any]], enumeration: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The goal line: the hybrid (Q4), or what AUTO picks (with or without a budget), within 1
    point of the best at a search cost below one (mean) fine-tune of the pool; met when one of
    them meets both. A regret of exactly 1 point is within it: accuracies are ratios of counts
    (1.00 point is 60 of 6,000 seed-predictions), so the float rounding of their difference
    (1.0000000000000009) is no difference (`TOLERANCE`, as `indistinguishable` allows)."""
    seconds = [f["seconds"] for f in enumeration.values()]
    mean_finetune = sum(seconds) / len(seconds)
    out: dict[str, Any] = {
        "mean_finetune_seconds": round(mean_finetune, 2),
        "min_finetune_seconds": round(min(seconds), 2),
    }
    met = []
    for name, key in GOAL_STRATEGIES.items():
        found = next((s for s in strategies if s["strategy"] == name), None)
        if found is None:
            continue
        search = found["search_seconds"] / mean_finetune
        within = found["regret_points"] <= 1.0 + TOLERANCE
        cheap = search < 1.0
        out |= {
            f"{key}_regret_points": round(found["regret_points"], 2),
            f"{key}_regret_le_1": within,
            f"{key}_search_seconds": round(found["search_seconds"], 2),
            f"{key}_search_in_finetunes": round(search, 3),
            f"{key}_search_lt_one_finetune": cheap,
        }
        met.append(within and cheap)
    out["goal_met"] = any(met)
    return out
