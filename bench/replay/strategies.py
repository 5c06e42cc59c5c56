"""Scoring the model-selection strategies of the replay, and the strategies only the replay has
(random choice, a task-agnostic prior, random probes, successive halving over recorded epochs),
as pure functions over recorded fine-tuning accuracies (standard library only).

The meta-learned strategy itself (percentile ranks, dataset similarity, the shortlist) is the
planner's: `shift_search.planner.meta_learned`, which `command.py` calls, so the regrets the
replay publishes are those of the code that answers `ORDER BY MetaLearned(…)`.

Terms: a *benchmark* maps dataset -> {model: fine-tuned accuracy}; the *target* is the dataset a
user searches for, whose accuracies a strategy must not read (they are the ground truth it is
scored against). Every ranking returns model names, best first.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence

# --- scoring ---------------------------------------------------------------------------------


def regret_points(accuracy: Mapping[str, float], chosen: Sequence[str]) -> float:
    """Best accuracy of the pool minus the best of `chosen` (each fine-tuned), in points."""
    return 100.0 * (max(accuracy.values()) - max(accuracy[m] for m in chosen))


def expected_random_regret(accuracy: Mapping[str, float], picks: int = 1) -> float:
    """Expected regret (points) of fine-tuning `picks` models drawn without replacement and
    keeping the best: exact, from the order statistics of the pool's accuracies."""
    values = sorted(accuracy.values())
    n, best = len(values), values[-1]
    picks = min(picks, n)
    total = math.comb(n, picks)
    # P(max of the draw is the i-th smallest) = C(i, picks - 1) / C(n, picks), i counted from 0
    expected_max = sum(values[i] * math.comb(i, picks - 1) for i in range(picks - 1, n)) / total
    return 100.0 * (best - expected_max)


# --- task-agnostic ---------------------------------------------------------------------------


def task_agnostic_ranking(candidates: Sequence[str], prior: Mapping[str, float]) -> list[str]:
    """Candidates with a known prior (upstream accuracy, size, a benchmark mean), highest first;
    models without one are left out."""
    known = [m for m in candidates if m in prior]
    return sorted(known, key=lambda m: (-prior[m], m))


def expected_regret_of_ties(
    accuracy: Mapping[str, float], ranking: Sequence[str], prior: Mapping[str, float]
) -> float:
    """Regret (points) of taking the top of `ranking`, averaged over the models tied with it on
    the prior (a size rank like "base" ties many models; picking one by name would be luck)."""
    top = [m for m in ranking if prior[m] == prior[ranking[0]]]
    return statistics.fmean(regret_points(accuracy, [m]) for m in top)


# --- probes ----------------------------------------------------------------------------------


def random_probes(models: Sequence[str], count: int, seed: int) -> list[str]:
    """`count` distinct models drawn with a seeded generator."""
    return random.Random(seed).sample(sorted(models), min(count, len(models)))


# --- successive halving over recorded epochs -------------------------------------------------


def successive_halving_over_epochs(
    rungs: Sequence[Mapping[str, float]], budgets: Sequence[int], eta: int = 2
) -> tuple[str, float]:
    """SH over fine-tuning budgets: every model trains for budgets[0] epochs, the best 1/eta by
    accuracy go on to budgets[1], and so on; returns (the best model of the last rung, the cost
    in epochs, counting a survivor's continued training only). `rungs[i]` holds each model's
    accuracy after budgets[i] epochs; a model missing from a rung drops out."""
    alive = sorted(rungs[0], key=lambda m: (-rungs[0][m], m))
    cost = float(budgets[0] * len(alive))
    for level in range(1, len(rungs)):
        keep = max(1, math.ceil(len(alive) / eta))
        alive = [m for m in alive if m in rungs[level]][:keep]
        if not alive:
            raise ValueError("no model of the previous rung has a result in the next")
        cost += (budgets[level] - budgets[level - 1]) * len(alive)
        alive = sorted(alive, key=lambda m: (-rungs[level][m], m))
    return alive[0], cost


# --- summaries -------------------------------------------------------------------------------


def distribution(values: Sequence[float]) -> dict[str, float]:
    """Mean, median, 75th and 90th percentiles, max and the share at most 1 point."""
    ordered = sorted(values)
    return {
        "datasets": len(ordered),
        "mean": round(statistics.fmean(ordered), 2),
        "median": round(statistics.median(ordered), 2),
        "p75": round(_percentile(ordered, 0.75), 2),
        "p90": round(_percentile(ordered, 0.90), 2),
        "max": round(ordered[-1], 2),
        "share_le_1_point": round(sum(v <= 1.0 for v in ordered) / len(ordered), 3),
    }


def _percentile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
