"""The vocabulary of the composite strategies, as the binder checks it: a Cascade's keep counts,
AUTO's parameters and evidence proxies, and the task-agnostic prior (the paper's hybrid pick)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.parser.names import column_name
from shift_search.planner.bound import Proxy
from shift_search.planner.predicates import literal
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument
from shift_search.runtime.proxy_names import COSINE_NN, LOGME

EVIDENCE = (Proxy(COSINE_NN, {}, "CosineNN"), Proxy(LOGME, {}, "LogME"))
"""AUTO's evidence: two cheap proxies on the same features (one forward pass per model); LogME
costs no forward pass once 1-NN embedded the data."""

FINETUNE_PARAMS = ("lr", "batch_size", "optimizer")
"""AUTO parameters passed on to its fine-tuning (with `epochs`)."""

AUTO_DEFAULTS: Mapping[str, Any] = {"regret": 1.0, "epochs": 3, "keep": 4}
"""regret: the expected regret (points) AUTO accepts; epochs: of a fine-tune (what one costs,
and the last round of halving over epochs); keep: the most contenders it fine-tunes. Without a
default: budget, the most the search may cost in fine-tunes (the evidence included)."""

AUTO_PARAMS = (*AUTO_DEFAULTS, "budget", "prior", *FINETUNE_PARAMS)


def check_clauses(select: ast.Select) -> None:
    """A Cascade or AUTO names its own proxies and ranks by error, lowest first."""
    what = "AUTO" if isinstance(_key(select), ast.AutoStrategy) else "a Cascade"
    if select.classified_by:
        raise FailedPrecondition(f"{what} chooses its proxies itself; leave out CLASSIFIED BY")
    if select.test_mode == "BENCHMARK":
        raise FailedPrecondition(f"{what} runs on one task: TESTED ON BENCHMARK is not supported")
    if select.order is not None and select.order.descending:
        raise FailedPrecondition(f"{what} ranks by error, lowest first: leave out DESC")


def _key(select: ast.Select) -> ast.OrderKey | None:
    return select.order.key if select.order is not None else None


def default_keep(models: int) -> int:
    """Models a Cascade keeps between stages when the query does not say: ⌈√M⌉, at least 2."""
    return max(2, math.ceil(math.sqrt(models)))


def keep_counts(given: tuple[int, ...], stages: int, models: int) -> tuple[int, ...]:
    """One count per step between stages: as given, one count for every step, or the default."""
    steps = stages - 1
    if not given:
        return (default_keep(models),) * steps
    if len(given) == 1:
        return given * steps
    return given


def auto_params(params: Sequence[tuple[str, ast.Value]]) -> dict[str, Any]:
    """AUTO's parameters with their defaults; InvalidArgument names a bad one."""
    out: dict[str, Any] = dict(AUTO_DEFAULTS)
    for name, value in params:
        if name not in AUTO_PARAMS:
            known = ", ".join(AUTO_PARAMS)
            raise InvalidArgument(f"unknown AUTO parameter {name!r}; known: {known}")
        out[name] = literal(value)
    regret, epochs, keep = out["regret"], out["epochs"], out["keep"]
    if not isinstance(regret, int | float) or isinstance(regret, bool) or regret < 0:
        raise InvalidArgument(f"AUTO's regret is a number of accuracy points ≥ 0, not {regret!r}")
    if not _whole(epochs, 1):
        raise InvalidArgument(f"AUTO's epochs is a whole number ≥ 1, not {epochs!r}")
    if not _whole(keep, 2):
        raise InvalidArgument(f"AUTO's keep is a whole number of models ≥ 2, not {keep!r}")
    budget = out.get("budget")
    if budget is not None and (
        not isinstance(budget, int | float) or isinstance(budget, bool) or not budget > 0
    ):
        raise InvalidArgument(f"AUTO's budget is a number of fine-tunes > 0, not {budget!r}")
    if "prior" in out and not isinstance(out["prior"], str):
        raise InvalidArgument("AUTO's prior is a metadata column, e.g. prior=upstream_accuracy")
    return out


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def prior_column(params: Mapping[str, Any], models: Sequence[ModelRecord]) -> str:
    """The task-agnostic ranking AUTO's hybrid takes its pick from: as given, else upstream
    accuracy when a candidate has one, else the number of parameters (hub pools without it)."""
    given = params.get("prior")
    if isinstance(given, str):
        return column_name(given)
    if any(m.upstream_accuracy is not None for m in models):
        return "upstream_accuracy"
    return "num_params"


def finetune_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """What AUTO passes to fine-tuning: its epochs and the fine-tuning parameters it was given."""
    return {"epochs": params["epochs"], **{k: params[k] for k in FINETUNE_PARAMS if k in params}}
