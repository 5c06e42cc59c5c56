"""The arithmetic of search-vs-enumeration, free of any service: which model a strategy returns,
its regret and speed-up, and the per-dataset table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COLUMNS = (
    "strategy",
    "AO",
    "model returned",
    "fine-tuned accuracy",
    "± 95%",
    "regret (points)",
    "regret within interval",
    "search s",
    "total s",
    "speed-up",
    "models fine-tuned",
)


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
    ao: bool | None  # None: no task-aware search to optimise (task-agnostic)
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
        "-" if o.ao is None else ("yes" if o.ao else "no"),
        scored.returned,
        round(scored.accuracy, 4),
        round(returned.ci_half, 4),
        round(scored.regret, 2),
        "yes" if within_interval(scored.regret, returned) else "no",
        round(o.search_seconds, 2),
        round(scored.total_seconds, 2),
        round(scored.speedup, 2),
        len(o.candidates),
    ]


def enumeration_row(enumeration: Mapping[str, Finetuned]) -> list[Any]:
    best = max(enumeration.values(), key=lambda f: f.accuracy)
    total = enumeration_seconds(enumeration)
    head = ["enumeration", "-", best.model, round(best.accuracy, 4), round(best.ci_half, 4)]
    head += [0.0, "yes", 0.0]
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
    """The hybrid with AO: regret at most one point, and a search cheaper than one (mean)
    fine-tune of the pool."""
    hybrid = next(s for s in strategies if s["strategy"] == "Q4 hybrid" and s["ao"])
    seconds = [f["seconds"] for f in enumeration.values()]
    mean_finetune = sum(seconds) / len(seconds)
    search_in_finetunes = hybrid["search_seconds"] / mean_finetune
    return {
        "hybrid_ao_regret_points": round(hybrid["regret_points"], 2),
        "hybrid_ao_regret_le_1": hybrid["regret_points"] <= 1.0,
        "hybrid_ao_search_seconds": round(hybrid["search_seconds"], 2),
        "mean_finetune_seconds": round(mean_finetune, 2),
        "min_finetune_seconds": round(min(seconds), 2),
        "hybrid_ao_search_in_finetunes": round(search_in_finetunes, 2),
        "hybrid_ao_search_lt_one_finetune": search_in_finetunes < 1.0,
    }
