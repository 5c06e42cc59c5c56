"""The meta-learned strategy, as pure functions: the models that fine-tuned best on the benchmark
datasets most similar to the user's task, then a proxy among them on the task itself.

Terms: a *benchmark* maps a benchmark dataset (one fine-tuning setting, `setting_name`) to
{model: fine-tuned accuracy}; the *target* is the user's task, whose accuracies a strategy never
reads. Similarity between the target and a benchmark dataset is a `Similarity`: today from a
metadata column (`metadata_similarity`: the `category` tag, `modality/group`), from the
distances of Task2Vec embeddings (`task2vec_similarity`: the planner reads the embeddings, these
functions only see the distances), or from probe models fine-tuned on the target
(`probe_similarity`, what `bench.replay` evaluates); `similarity_for` names the kinds the planner
computes. Standard library only: `bench.replay` evaluates these very functions on the SHiFT
authors' runs, leave one dataset out.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, assert_never

from shift_search.cache.records import ModelRecord
from shift_search.cache.stored import BenchmarkResult
from shift_search.runtime.errors import FailedPrecondition

Benchmark = Mapping[str, Mapping[str, float]]
Similarity = Callable[[str, str], float]
SimilarityKind = Literal["metadata", "task2vec"]
SIMILARITY_KINDS: tuple[SimilarityKind, ...] = ("metadata", "task2vec")

ORDERING = "meta_learned"
"""How the strategy is written in ORDER BY: `MetaLearned(k=3, top=5, proxy="Linear")`."""
DEFAULT_K = 3
DEFAULT_TOP = 5


# --- ranks -----------------------------------------------------------------------------------


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


# --- similarity ------------------------------------------------------------------------------


def most_similar_datasets(
    target: str, candidates: Sequence[str], similarity: Similarity, k: int, ties: bool = False
) -> list[str]:
    """The `k` candidate datasets most similar to `target`, most similar first (then by name);
    with `ties`, also every other one as similar as the k-th (a metadata column makes whole
    groups equally similar: none of them is left out for its name)."""
    scored = sorted((-similarity(target, c), c) for c in candidates if c != target)
    if not ties or len(scored) <= k or k <= 0:
        return [name for _, name in scored[:k]]
    last = scored[k - 1][0]
    return [name for score, name in scored if score <= last]


def metadata_similarity(categories: Mapping[str, str]) -> Similarity:
    """From a category column `modality/group` (VTAB's `image/natural`, `text/sentiment`): 1
    for the same group, 0.5 for the same modality (a category that is only a modality,
    `text`, is never more), else 0."""

    def similarity(a: str, b: str) -> float:
        ca, cb = categories.get(a, ""), categories.get(b, "")
        if not ca or not cb:
            return 0.0
        if ca == cb and "/" in ca:
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
    ra = list(percentile_ranks({str(i): v for i, v in enumerate(a)}).values())
    rb = list(percentile_ranks({str(i): v for i, v in enumerate(b)}).values())
    if len(set(ra)) < 2 or len(set(rb)) < 2:
        return 0.0
    return statistics.correlation(ra, rb)


def task2vec_similarity(distances: Mapping[str, float]) -> Similarity:
    """From the Task2Vec distances (normalised cosine, in [0, 1]) between the target and each
    benchmark dataset: similarity 1 - distance. A dataset without a distance (not embedded) is
    no neighbour (similarity 0)."""

    def similarity(_target: str, other: str) -> float:
        distance = distances.get(other)
        return 0.0 if distance is None else 1.0 - distance

    return similarity


def similarity_for(
    kind: SimilarityKind,
    categories: Mapping[str, str],
    distances: Mapping[str, float] | None = None,
) -> Similarity:
    """The similarity of a kind the planner computes: from the category column, or from the
    Task2Vec distances of the benchmark datasets to the target (which must be given)."""
    match kind:
        case "metadata":
            return metadata_similarity(categories)
        case "task2vec":
            if distances is None:
                raise FailedPrecondition(
                    'MetaLearned(similarity="task2vec") decides its shortlist from Task2Vec '
                    "distances, and none were given"
                )
            return task2vec_similarity(distances)
        case _:
            assert_never(kind)


# --- the strategy ----------------------------------------------------------------------------


def meta_learned_ranking(
    benchmark: Benchmark, similar: Sequence[str], candidates: Sequence[str]
) -> list[str]:
    """Candidates ranked by their mean percentile rank on the `similar` benchmark datasets
    (the paper's meta-learned strategy: the models that fine-tuned best on similar tasks).
    Candidates never fine-tuned on any of them come last, in the given order."""
    scores = _scores(benchmark, similar)
    seen = [m for m in candidates if m in scores]
    ranked = sorted(seen, key=lambda m: (-statistics.fmean(scores[m]), m))
    return ranked + [m for m in candidates if m not in scores]


def _scores(benchmark: Benchmark, similar: Sequence[str]) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = {}
    for name in similar:
        for model, rank in percentile_ranks(benchmark[name]).items():
            scores.setdefault(model, []).append(rank)
    return scores


@dataclass(frozen=True)
class Shortlist:
    """What the strategy decided before any forward pass: the benchmark datasets most similar
    to the target (with their similarity), and the candidates ranked on them."""

    neighbours: tuple[tuple[str, float], ...]
    ranked: tuple[tuple[str, float, int], ...]
    """(candidate, mean percentile rank on the neighbours, how many of them it was tuned on),
    best first; candidates with no result there are left out."""
    unseen: tuple[str, ...] = ()
    """Candidates with no result on any neighbour, in the given order."""

    def models(self, top: int) -> list[str]:
        """The first `top` candidates: the ranked ones, then (if too few) the unseen."""
        return [*(m for m, _, _ in self.ranked), *self.unseen][:top]


def shortlist(
    benchmark: Benchmark,
    similarity: Similarity,
    target: str,
    candidates: Sequence[str],
    k: int = DEFAULT_K,
) -> Shortlist:
    """The k benchmark datasets most similar to `target` (ties included; a dataset of
    similarity 0 or less is no neighbour), and `candidates` (benchmark model names) ranked by
    their fine-tuned accuracy there."""
    similar = [n for n in benchmark if n != target and similarity(target, n) > 0]
    near = most_similar_datasets(target, similar, similarity, k, ties=True)
    order = meta_learned_ranking(benchmark, near, candidates)
    scores = _scores(benchmark, near)
    ranked = tuple((m, statistics.fmean(scores[m]), len(scores[m])) for m in order if m in scores)
    unseen = tuple(m for m in order if m not in scores)
    return Shortlist(tuple((n, similarity(target, n)) for n in near), ranked, unseen)


# --- benchmark_results as a benchmark ---------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkSettings:
    """The runs of benchmark_results grouped into benchmark datasets, one per setting (the
    protocol of a run on a task: data, label, rows trained on, epochs, learning rate, split):
    a model's accuracy is the mean of its runs, a setting's category the one its runs give."""

    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)


def setting_name(run: BenchmarkResult) -> str:
    """`glue/cola[label] :800 25ep lr0.01 validation`, as `bench.replay` names its datasets."""
    epochs = f"{run.epochs}ep" if run.epochs is not None else "?ep"
    lr = f"lr{run.learning_rate:g}" if run.learning_rate is not None else "lr?"
    split = run.test_split or "?"
    return f"{run.dataset}[{run.label}] {run.train_slice} {epochs} {lr} {split}"


def benchmark_settings(
    results: Iterable[BenchmarkResult], exclude_datasets: Iterable[str] = ()
) -> BenchmarkSettings:
    """Settings with at least two models whose accuracies differ (a setting where every
    model scored the same ranks nothing); runs on `exclude_datasets` are left out."""
    excluded = set(exclude_datasets)
    runs: dict[str, dict[str, list[float]]] = {}
    categories: dict[str, dict[str, int]] = {}
    datasets: dict[str, str] = {}
    for run in results:
        if run.dataset in excluded:
            continue
        name = setting_name(run)
        runs.setdefault(name, {}).setdefault(run.model, []).append(run.test_accuracy)
        category = run.category or run.modality
        if category:
            counts = categories.setdefault(name, {})
            counts[category] = counts.get(category, 0) + 1
        datasets[name] = run.dataset
    out = BenchmarkSettings()
    for name in sorted(runs):
        accuracy = {m: statistics.fmean(v) for m, v in runs[name].items()}
        if len(accuracy) < 2 or len(set(accuracy.values())) < 2:
            continue
        out.accuracy[name] = accuracy
        counts = categories.get(name, {})
        out.category[name] = max(sorted(counts), key=counts.__getitem__) if counts else ""
        out.dataset[name] = datasets[name]
    return out


def benchmark_names(models: Sequence[ModelRecord], known: Iterable[str]) -> dict[str, str]:
    """Which benchmark model each catalog model is: its name, its `hub_id` tag, or its uri
    (a hub id, or `pypi:NAME`), whichever benchmark_results knows."""
    names = set(known)
    out = {}
    for model in models:
        for identity in identities(model):
            if identity in names:
                out[model.name] = identity
                break
    return out


def identities(model: ModelRecord) -> list[str]:
    """The names a catalog model may have in benchmark_results, in the order they are tried."""
    found = [model.name, model.tags.get("hub_id", ""), model.uri, model.uri.removeprefix("pypi:")]
    return [i for i in dict.fromkeys(found) if i]


def target_category(tags: Mapping[str, str], modality: str) -> str:
    """The target's category for metadata similarity: its `category` tag, else its modality
    alone (then every benchmark dataset of that modality is equally similar)."""
    return tags.get("category") or modality
