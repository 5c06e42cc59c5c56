"""The arithmetic of search-vs-enumeration, free of any service: which model a strategy returns,
its regret and speed-up, and the per-dataset table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COLUMNS = (
    "strategy",
    "plan",
    "model returned",
    "fine-tuned accuracy",
    "± 95%",
    "regret (points)",
    "regret within interval",
    "search s",
    "search (fine-tunes)",
    "total s",
    "speed-up",
    "models fine-tuned",
)
GOAL_STRATEGIES = ("Q4 hybrid", "AUTO")
"""The goal line: one of these within 1 point of the best at a search below one fine-tune."""


@dataclass(frozen=True)
class Finetuned:
    """A model's ground truth: its (mean) fine-tuned test accuracy, the seconds fine-tuning it
    costs, and, under the seeded protocol, the 95% interval's half-width, the seeds' accuracies
    and the learning rate chosen on validation (0 / empty / None for a single-run protocol)."""

    model: str
    accuracy: float
    seconds: float
    ci_half: float = 0.0
    accuracies: tuple[float, ...] = ()
    lr: float | None = None


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
    return max(f.accuracy for f in enumeration.values())


def enumeration_seconds(enumeration: Mapping[str, Finetuned]) -> float:
    return sum(f.seconds for f in enumeration.values())


def mean_finetune_seconds(enumeration: Mapping[str, Finetuned]) -> float:
    """What one fine-tune costs on average: the unit of "fine-tune equivalents"."""
    return enumeration_seconds(enumeration) / len(enumeration)


def in_finetunes(seconds: float, enumeration: Mapping[str, Finetuned]) -> float:
    return seconds / mean_finetune_seconds(enumeration)


def within_interval(regret: float, returned: Finetuned) -> bool:
    """Whether the best mean lies inside the returned model's 95% interval (regret in points):
    the seeds cannot tell the returned model from the best one."""
    return regret <= 100.0 * returned.ci_half + 1e-9


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


def strategy_row(scored: Scored, enumeration: Mapping[str, Finetuned]) -> list[Any]:
    o = scored.outcome
    returned = enumeration[scored.returned]
    return [
        o.strategy,
        o.plan,
        scored.returned,
        round(scored.accuracy, 4),
        round(returned.ci_half, 4),
        round(scored.regret, 2),
        "yes" if within_interval(scored.regret, returned) else "no",
        round(o.search_seconds, 2),
        round(in_finetunes(o.search_seconds, enumeration), 3),
        round(scored.total_seconds, 2),
        round(scored.speedup, 2),
        len(o.candidates),
    ]


def enumeration_row(enumeration: Mapping[str, Finetuned]) -> list[Any]:
    best = max(enumeration.values(), key=lambda f: f.accuracy)
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
        ]
        for f in ranked
    ]  # fmt: skip
    columns = ["model", "fine-tuned accuracy", "± 95%", "per seed", "lr", "fine-tune s"]
    return {"columns": columns, "rows": rows}


def goals(
    strategies: Sequence[Mapping[str, Any]], enumeration: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The goal line: the hybrid (Q4), or what AUTO picks, within 1 point of the best at a
    search cost below one (mean) fine-tune of the pool; met when either meets both."""
    seconds = [f["seconds"] for f in enumeration.values()]
    mean_finetune = sum(seconds) / len(seconds)
    out: dict[str, Any] = {
        "mean_finetune_seconds": round(mean_finetune, 2),
        "min_finetune_seconds": round(min(seconds), 2),
    }
    met = []
    for name in GOAL_STRATEGIES:
        found = next((s for s in strategies if s["strategy"] == name), None)
        if found is None:
            continue
        key = name.split()[-1].lower()
        search = found["search_seconds"] / mean_finetune
        within = found["regret_points"] <= 1.0
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
