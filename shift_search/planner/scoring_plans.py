"""Plans of RANK … BY "<scorer>" and SELECT vec, priced with the cost model's constants and the
models' measured costs (the optimizer hands each its candidate scan and profiling step).

- RANK: the candidate scan, then one scorer pass: a lookup of the results the cache holds, then
  for the other models one task each (its overhead, a model load, the rows the scorer reads —
  pooled features, the source classifier's predictions, or nothing — and the scorer itself).
  Features and predictions are cached per chunk, so what earlier work embedded costs no
  forward pass on the executors; the estimate prices every row of a model it runs as new.
- SELECT vec: one Task2Vec task per dataset whose embedding is not stored (a load, a forward
  pass over its rows for the head's features, a forward and backward pass over them for the
  Fisher information), then the distance matrix (no GPU work).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shift_search.planner.bound import (
    BoundDataset,
    BoundScorerRanking,
    BoundSimilarity,
)
from shift_search.planner.cached import StoredWork, embedding_key
from shift_search.planner.costmodel import CostConstants, ModelCost
from shift_search.planner.finetune_cost import FINETUNE_FACTOR
from shift_search.planner.model_costs import cost_source, model_cost, text_length_scale
from shift_search.planner.physical import (
    CacheLookup,
    DatasetSimilarity,
    Dispatch,
    DistanceMatrix,
    Estimate,
    ExtractFeatures,
    LoadModels,
    MetadataScan,
    Plan,
    Profile,
    RankByScorer,
    ScorerPass,
    ScorerScore,
    SourcePredictions,
    Step,
    TaskEmbedding,
    container,
)
from shift_search.planner.search_cost import Stored

Profiling = Callable[[float], tuple[Profile, ...]]
"""The profiling step for this much estimated work (none when there is nothing to price)."""

READS = {
    "features": "each model's pooled features (cached per chunk, shared with proxies)",
    "head": (
        "the softmax outputs of each model's own classifier: a linear head on its cached "
        "features, or a forward pass cached per chunk"
    ),
    "none": "nothing: no model is loaded, no data embedded",
}

DISTANCE = "normalised cosine: d(a, b) = cosine distance of a/(a+b) and b/(a+b) (Achille et al.)"


def scorer_ranking_plan(
    bound: BoundScorerRanking,
    stored: Stored,
    devices: int,
    constants: CostConstants,
    scan: MetadataScan,
    profile: Profiling,
) -> Plan:
    """The plan of a RANK statement."""
    spec, scorer = bound.spec, bound.scorer
    train, test = spec.train, spec.test if bound.tested else None
    found = [
        (m, hit) for i, m in enumerate(spec.models) if (hit := stored.result(0, i, train.size))
    ]
    answered = {m.name for m, _ in found}
    todo = [m for m in spec.models if m.name not in answered]
    children: list[Step] = []
    if found:
        results = tuple((m, error, key) for m, (error, key) in found)
        test_samples = test.size if test is not None else 0
        lookup = CacheLookup(
            proxy=spec.proxies[0],
            results=results,
            train_samples=train.size,
            test_samples=test_samples,
            cached=True,
        )
        children.append(lookup)
    if todo:
        scale = text_length_scale(train, *([test] if test is not None else []))
        costs = [model_cost(m, scale) for m in todo]
        children += _scorer_tasks(bound, costs, devices, constants)
    passed = container(
        ScorerPass(
            proxy=spec.proxies[0],
            models=tuple(spec.models),
            train=train,
            test=test,
            children=tuple(children),
        )
    )
    work = passed.estimate.seconds if scorer.inputs != "none" else 0.0
    root = RankByScorer(
        scorer=scorer,
        spec=spec,
        tested=bound.tested,
        limit=bound.rank.query.limit,
        columns=bound.rank.query.columns,
        wait=bound.rank.query.wait,
        children=(scan, *profile(work), passed),
    )
    decisions = {
        "scorer": f"{scorer.spelling}: {scorer.description}",
        "models": str(len(spec.models)),
        "trained_on": f"{train.label} ({train.size:,} samples)",
        "tested_on": f"{test.label} ({test.size:,} samples)" if test else "- (not needed)",
        "reads": READS[scorer.inputs],
        "order": "highest score first (stored as its negation, like a proxy's error)",
        "devices": str(devices),
        "costs": cost_source(todo) if todo else "-",
    }
    if scorer.plugin:
        decisions["plug-in"] = f"{scorer.plugin}, priced like a scorer that reads features"
    if found:
        decisions["cached"] = f"results of {len(found)} of {len(spec.models)} models"
    return Plan("rank_by_scorer", (container(root),), tuple(decisions.items()))


def _scorer_tasks(
    bound: BoundScorerRanking,
    costs: Sequence[ModelCost],
    devices: int,
    constants: CostConstants,
) -> list[Step]:
    """The cost lines of one scorer task per model still to score."""
    spec, scorer = bound.spec, bound.scorer
    train, test = spec.train, spec.test if bound.tested else None
    tasks, d = len(costs), devices
    reads = scorer.inputs != "none"
    loads = tasks if reads else 0
    overhead = (tasks * constants.task_overhead + loads * constants.load_overhead) / d
    out: list[Step] = [Dispatch(tasks=tasks, devices=d, estimate=Estimate.of({"other": overhead}))]
    if reads:
        load = sum(c.load_seconds for c in costs) / d
        out.append(LoadModels(loads=loads, estimate=Estimate.of({"features": load})))
    per_sample = sum(c.infer_seconds_per_sample for c in costs) / d
    match scorer.inputs:
        case "features":
            out.append(_extract("train", train, tasks, per_sample))
            if test is not None:
                out.append(_extract("test", test, tasks, per_sample))
        case "head":
            estimate = Estimate.of({"features": per_sample * train.size})
            out.append(
                SourcePredictions(
                    dataset=train.label, samples=train.size, models=tasks, estimate=estimate
                )
            )
        case "none":
            pass
    samples = test.size if scorer.needs_test and test is not None else train.size
    seconds = tasks * scorer.seconds_per_row * samples / d
    out.append(
        ScorerScore(
            proxy=spec.proxies[0],
            models=tasks,
            samples=samples,
            estimate=Estimate.of({"proxy": seconds}),
        )
    )
    return out


def _extract(split: str, data: BoundDataset, models: int, per_sample: float) -> ExtractFeatures:
    return ExtractFeatures(
        split="train" if split == "train" else "test",
        dataset=data.label,
        ranges=tuple((s, 0, size) for s, size in enumerate(data.segment_sizes) if size),
        models=models,
        uncached_samples=models * data.size,
        estimate=Estimate.of({"features": per_sample * data.size}),
    )


def similarity_plan(
    bound: BoundSimilarity,
    stored: StoredWork,
    devices: int,
    constants: CostConstants,
    profile: Profiling,
) -> Plan:
    """The plan of a SELECT vec statement."""
    probe, params = bound.probe, bound.params
    cost = model_cost(probe, text_length_scale(*bound.datasets))
    limit = int(params["samples"])
    embeddings: list[Step] = []
    for data in bound.datasets:
        key = embedding_key(bound, data)
        samples = min(data.size, limit)
        cached = key in stored.embeddings
        estimate = Estimate() if cached else task2vec_estimate(cost, samples, devices, constants)
        embeddings.append(
            TaskEmbedding(dataset=data, samples=samples, key=key, estimate=estimate, cached=cached)
        )
    work = sum(e.estimate.seconds for e in embeddings)
    matrix = DistanceMatrix(datasets=len(bound.datasets), cached=True)
    root = DatasetSimilarity(
        probe=probe,
        datasets=bound.datasets,
        params=params,
        children=(*profile(work), *embeddings, matrix),
    )
    held = sum(e.cached for e in embeddings)
    decisions = {
        "probe": probe.name,
        "datasets": ", ".join(f"{d.label} ({d.size:,})" for d in bound.datasets),
        "embedding": (
            "Task2Vec: a new head fitted on the probe's features, then the diagonal Fisher "
            f"information of the probe's weights per filter, on up to {limit:,} rows each"
        ),
        "distance": DISTANCE,
        "devices": str(devices),
        "costs": cost_source([probe]),
        "fisher cost": f"{FINETUNE_FACTOR:g}× the probe's inference cost per row (forward + "
        "backward), besides the features",
    }
    if held:
        decisions["cached"] = f"embeddings of {held} of {len(embeddings)} datasets"
    return Plan("dataset_similarity", (container(root),), tuple(decisions.items()))


def task2vec_estimate(
    cost: ModelCost, samples: int, devices: int, constants: CostConstants
) -> Estimate:
    """One Task2Vec task: overheads, a load, the features, the Fisher passes."""
    features = cost.load_seconds + cost.infer_seconds_per_sample * samples * (1 + FINETUNE_FACTOR)
    other = constants.task_overhead + constants.load_overhead
    return Estimate.of({"features": features / devices, "other": other / devices})
