"""The strategies search-vs-enumeration runs, each as the SHiFT-QL a user would write, and what
each hands to fine-tuning:

- Q1 task-agnostic: the highest upstream accuracy (the largest model for pools without it);
- Q2 1-NN and Q3 linear: the proxy's top model (the paper's task-aware queries);
- Q4 hybrid: Q1's model and the linear probe's best of the others (the paper's Q4), both;
- cascade: Cosine NN keeps its best `keep`, LogME ranks them; its top model;
- hybrid+SH: the linear probe keeps its best `keep`, the task-agnostic pick joins them, and
  successive halving over fine-tuning epochs ranks them; its winner (fine-tuned by the search);
- AUTO: what AUTO chooses (the cascade's or hybrid's models; hybrid_sh's winner);
- AUTO budget=1: AUTO held to a search of one fine-tune (of its own `epochs`, shorter than the
  protocol's grid, so the bound is stricter than the goal line's).
The meta-learned strategy has a slot in AUTO's set (unavailable until stored benchmark results
exist); once it has SHiFT-QL of its own, its query joins this list.
Every query leaves CHUNK and BUDGET to the cost model (AO) and runs to its end (WAIT).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shift_search.cache.records import ModelRecord

LINEAR = "Linear(lr=0.1, epochs=100)"
NN = "EuclideanNN"
AUTO_BUDGETED = "AUTO budget=1"
STRATEGIES = (
    "Q1 task-agnostic", "Q2 1-NN", "Q3 linear", "Q4 hybrid", "cascade", "hybrid+SH", "AUTO",
    AUTO_BUDGETED,
)  # fmt: skip


def is_auto(strategy: str) -> bool:
    """Whether a strategy is AUTO (with or without a budget)."""
    return strategy in ("AUTO", AUTO_BUDGETED)


@dataclass(frozen=True)
class Query:
    """A strategy as SHiFT-QL: its name and the script a user would run."""

    strategy: str
    script: str


def prior_column(models: Sequence[ModelRecord]) -> str:
    """Upstream accuracy, or the number of parameters for pools without it."""
    if any(m.upstream_accuracy is not None for m in models):
        return "upstream_accuracy"
    return "num_params"


def task_agnostic_query(models: Sequence[ModelRecord], modality: str) -> str:
    """Q1 as SHiFT-QL: highest upstream accuracy, or the largest model when no model has one."""
    names = ", ".join(f"'{m.name}'" for m in models)
    return (
        f"SELECT name FROM {modality}_models WHERE name IN ({names}) "
        f"ORDER BY {prior_column(models)} DESC LIMIT 1;"
    )


def queries(
    models: Sequence[ModelRecord],
    modality: str,
    train: str,
    test: str,
    keep: int,
    finetune: Mapping[str, Any],
    auto: Mapping[str, Any] | None = None,
) -> list[Query]:
    """Every strategy's script over the pool `models` (all of the store's models of `modality`)
    trained on dataset `train`, tested on `test`; `auto`: AUTO's own parameters."""
    table = f"{modality}_models"
    data = f'TRAINED ON "{train}" TESTED ON "{test}"'
    prior = prior_column(models)
    tune = ", ".join(f"{k}={v}" for k, v in finetune.items())
    chosen = {**finetune, "keep": keep, **(auto or {})}
    auto_params = ", ".join(f"{k}={v}" for k, v in chosen.items())
    q1 = f"SELECT name FROM {table} ORDER BY {prior} DESC LIMIT 1"
    rank = f"SELECT name FROM {table} ORDER BY"
    return [
        Query("Q1 task-agnostic", f"{q1};"),
        Query("Q2 1-NN", f"{rank} {NN} ASC {data} LIMIT 1 WAIT;"),
        Query("Q3 linear", f"{rank} {LINEAR} ASC {data} LIMIT 1 WAIT;"),
        Query(
            "Q4 hybrid",
            f"Q1 := {q1};\nQ1 UNION SELECT name FROM {table} WHERE name NOT IN Q1"
            f" ORDER BY {LINEAR} ASC {data} LIMIT 1 WAIT;",
        ),
        Query("cascade", f"{rank} Cascade(CosineNN, LogME, keep={keep}) {data} LIMIT 1 WAIT;"),
        Query(
            "hybrid+SH",
            f"{rank} Cascade({LINEAR}, FineTune({tune}), keep={keep}, prior={prior})"
            f" {data} LIMIT 1 WAIT;",
        ),
        Query("AUTO", f"{rank} Auto({auto_params}) {data} WAIT;"),
        Query(AUTO_BUDGETED, f"{rank} Auto({auto_params}, budget=1) {data} WAIT;"),
    ]


def candidates(strategy: str, names: Sequence[str], chosen: str | None) -> tuple[str, ...]:
    """What a strategy hands to fine-tuning, from the names its query returned: both models of
    the hybrid (and of AUTO's hybrid), the winner of a halving over fine-tuning epochs, else the
    top model."""
    if strategy == "Q4 hybrid" or (is_auto(strategy) and chosen in ("hybrid", "cascade")):
        return tuple(names)
    return tuple(names[:1])


def how_it_ran(strategy: str, decisions: Mapping[str, str]) -> str:
    """A few words on the plan the query ran, from its decisions (AO's choice, AUTO's)."""
    match strategy:
        case "Q1 task-agnostic":
            return "metadata"
        case "Q4 hybrid":
            return _sh(decisions.get("right.successive_halving"))
        case "cascade" | "hybrid+SH":
            return decisions.get("first stage", "-")
        case _ if is_auto(strategy):
            return f"chose {decisions.get('strategy', '?')}"
        case _:
            return _sh(decisions.get("successive_halving"))


def _sh(flag: str | None) -> str:
    return {"true": "SH", "false": "all the data"}.get(flag or "", "-")
