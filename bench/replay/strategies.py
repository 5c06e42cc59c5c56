"""Model-selection strategies that need no forward pass, as pure functions over recorded
fine-tuning accuracies (standard library only), so the planner's meta-learned strategy can take
them over as they are.

Terms: a *benchmark* maps dataset -> {model: fine-tuned accuracy}; the *target* is the dataset a
user searches for, whose accuracies a strategy must not read (they are the ground truth it is
scored against). Every ranking returns model names, best first.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence

Benchmark = Mapping[str, Mapping[str, float]]


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


def benchmark_mean_prior(benchmark: Benchmark, exclude: Sequence[str] = ()) -> dict[str, float]:
    """A task-agnostic prior learned from the benchmark: each model's mean percentile rank over
    the datasets (other than `exclude`) it was fine-tuned on."""
    ranks: dict[str, list[float]] = {}
    for name, accuracy in benchmark.items():
        if name in exclude:
            continue
        for model, rank in percentile_ranks(accuracy).items():
            ranks.setdefault(model, []).append(rank)
    return {m: statistics.fmean(r) for m, r in ranks.items()}


def percentile_ranks(accuracy: Mapping[str, float]) -> dict[str, float]:
    """Each model's rank in [0, 1] (1 = best; ties share their mean rank)."""
    ordered = sorted(accuracy.values())
    n = len(ordered)
    if n == 1:
        return dict.fromkeys(accuracy, 1.0)
    out = {}
    for model, value in accuracy.items():
        below = _count_below(ordered, value)
        equal = _count_equal(ordered, value, below)
        out[model] = (below + (equal - 1) / 2) / (n - 1)
    return out


def _count_below(ordered: Sequence[float], value: float) -> int:
    lo, hi = 0, len(ordered)
    while lo < hi:
        mid = (lo + hi) // 2
        if ordered[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _count_equal(ordered: Sequence[float], value: float, start: int) -> int:
    end = start
    while end < len(ordered) and ordered[end] == value:
        end += 1
    return end - start


# --- meta-learned ----------------------------------------------------------------------------

Similarity = Callable[[str, str], float]


def most_similar_datasets(
    target: str, candidates: Sequence[str], similarity: Similarity, k: int
) -> list[str]:
    """The `k` candidate datasets most similar to `target` (ties broken by name)."""
    scored = sorted((-similarity(target, c), c) for c in candidates if c != target)
    return [name for _, name in scored[:k]]


def meta_learned_ranking(
    benchmark: Benchmark, similar: Sequence[str], candidates: Sequence[str]
) -> list[str]:
    """Candidates ranked by their mean percentile rank on the `similar` benchmark datasets
    (the paper's meta-learned strategy: the models that fine-tuned best on similar tasks).
    Candidates never fine-tuned on any of them come last, in the given order."""
    scores: dict[str, list[float]] = {}
    for name in similar:
        for model, rank in percentile_ranks(benchmark[name]).items():
            scores.setdefault(model, []).append(rank)
    seen = [m for m in candidates if m in scores]
    ranked = sorted(seen, key=lambda m: (-statistics.fmean(scores[m]), m))
    return ranked + [m for m in candidates if m not in scores]


def metadata_similarity(categories: Mapping[str, str]) -> Similarity:
    """1 for datasets of the same category (e.g. VTAB's natural/specialized/structured), 0.5
    for the same modality (the part before '/'), else 0."""

    def similarity(a: str, b: str) -> float:
        ca, cb = categories.get(a, ""), categories.get(b, "")
        if ca and ca == cb:
            return 1.0
        return 0.5 if ca.split("/")[0] == cb.split("/")[0] else 0.0

    return similarity


def probe_similarity(
    benchmark: Benchmark, target_probes: Mapping[str, float], minimum_shared: int = 3
) -> Similarity:
    """Spearman correlation between the target and a benchmark dataset over the probe models:
    the few models fine-tuned on the target for this purpose (their cost is the strategy's
    cost). Fewer than `minimum_shared` shared probes: similarity -1."""

    def similarity(_target: str, other: str) -> float:
        shared = [m for m in target_probes if m in benchmark[other]]
        if len(shared) < minimum_shared:
            return -1.0
        return spearman([target_probes[m] for m in shared], [benchmark[other][m] for m in shared])

    return similarity


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (0 when either side is constant)."""
    ra = list(percentile_ranks(dict(enumerate(a))).values())
    rb = list(percentile_ranks(dict(enumerate(b))).values())
    if len(set(ra)) < 2 or len(set(rb)) < 2:
        return 0.0
    return statistics.correlation(ra, rb)


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
