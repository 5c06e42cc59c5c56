"""The steps of a ranking's searches, priced: the candidate scan, profiling models whose costs are
unknown, and per proxy a full pass (a cache lookup, then the tasks' cost lines) or successive
halving over data chunks (the test set's features, then the rounds). The optimizer builds every
task-aware plan from these, as do the composite strategies (`cascade_plan`, `auto_plan`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from shift_search.cache.records import ModelRecord
from shift_search.planner import costmodel, halving
from shift_search.planner.bound import BoundDataset, Scan, SearchSpec
from shift_search.planner.costmodel import DEFAULT_CONSTANTS, CostConstants, Decision
from shift_search.planner.halving import proportional_slices
from shift_search.planner.model_costs import (
    DEFAULT_INFER_SECONDS,
    DEFAULT_LOAD_SECONDS,
    model_cost,
    needs_profile,
    text_length_scale,
)
from shift_search.planner.physical import (
    CacheLookup,
    Dispatch,
    Estimate,
    ExtractFeatures,
    FullPass,
    Halving,
    HalvingRound,
    LoadModels,
    MetadataScan,
    Profile,
    ProxyScore,
    Step,
    container,
)
from shift_search.planner.search_cost import SearchCost, Stored, price_search
from shift_search.runtime.profile_inputs import PROFILE_BATCH, PROFILE_SAMPLES


@dataclass(frozen=True)
class CostModel:
    """What prices a plan: the devices (executor slots) and the cost constants."""

    devices: int = 1
    constants: CostConstants = DEFAULT_CONSTANTS


_SCAN_KINDS: dict[str, Literal["models", "datasets", "benchmark_results"]] = {
    "models": "models",
    "datasets": "datasets",
    "benchmark_results": "benchmark_results",
}


def scan_step(scan: Scan, role: Literal["query", "candidates"]) -> MetadataScan:
    return MetadataScan(
        table=scan.table,
        kind=_SCAN_KINDS.get(scan.kind, "models"),
        total=scan.total,
        rows=scan.rows,
        role=role,
        cached=True,  # answered from the catalog snapshot
    )


def search_plan(
    spec: SearchSpec,
    costs: CostModel,
    stored: Stored | None = None,
    *,
    use_sh: bool | None = None,
    text_scale: float | None = None,
) -> tuple[SearchCost, tuple[FullPass | Halving, ...]]:
    """A search priced both ways, AO's choice (or the one `use_sh` forces, for benchmarks that
    compare both) and the steps of the chosen way, one per proxy."""
    scale = text_length_scale(spec.train, spec.test) if text_scale is None else text_scale
    model_costs = [model_cost(m, scale) for m in spec.models]
    names = [p.name for p in spec.proxies]
    args = (model_costs, spec.train.size, spec.test.size, names, costs.devices)
    priced = price_search(*args, spec.chunk, spec.budget, stored, costs.constants, use_sh=use_sh)
    return priced, search_steps(spec, priced.decision, priced, costs.devices, stored)


def search_steps(
    spec: SearchSpec,
    decision: Decision,
    priced: SearchCost,
    devices: int,
    stored: Stored | None = None,
) -> tuple[FullPass | Halving, ...]:
    """One search step per proxy, in the order they run, as `decision` chose (also what a
    benchmark uses to run a search it decided itself)."""
    out: list[FullPass | Halving] = []
    for j, cost in enumerate(priced.proxies):
        lines = list(zip(cost.steps, cost.parts, strict=True))
        if decision.use_sh and decision.schedule is not None:
            out.append(_halving(spec, j, decision, lines, stored))
        else:
            out.append(full_pass(spec, j, lines, devices, stored))
    return tuple(out)


def full_pass(
    spec: SearchSpec,
    j: int,
    lines: Sequence[tuple[costmodel.StepEstimate, dict[str, float]]],
    devices: int,
    stored: Stored | None,
    label: str = "",
) -> FullPass:
    n_train = spec.train.size
    found = [(m, hit) for i, m in enumerate(spec.models) if (hit := _hit(stored, j, i, n_train))]
    children: list[Step] = []
    if found:
        children.append(
            CacheLookup(
                proxy=spec.proxies[j],
                results=tuple((m, error, key) for m, (error, key) in found),
                train_samples=n_train,
                test_samples=spec.test.size,
                cached=True,
            )
        )
    if len(found) < len(spec.models):
        children += [cost_line(spec, j, est, parts, devices) for est, parts in lines]
    step = FullPass(
        proxy=spec.proxies[j],
        models=tuple(spec.models),
        train=spec.train,
        test=spec.test,
        label=label,
        children=tuple(children),
    )
    return container(step)


def _hit(stored: Stored | None, j: int, i: int, samples: int) -> tuple[float, str] | None:
    return stored.result(j, i, samples) if stored is not None else None


def cost_line(
    spec: SearchSpec, j: int, est: costmodel.StepEstimate, parts: dict[str, float], devices: int
) -> Step:
    """The step a full pass's priced line stands for."""
    estimate = Estimate(est.seconds, dict(parts))
    cached = est.amount == 0
    match est.name:
        case "task overhead":
            return Dispatch(tasks=est.amount, devices=devices, estimate=estimate, cached=cached)
        case "load models":
            return LoadModels(loads=est.amount, estimate=estimate, cached=cached)
        case "embed train" | "embed test":
            train = est.name == "embed train"
            data = spec.train if train else spec.test
            return ExtractFeatures(
                split="train" if train else "test",
                dataset=data.label,
                ranges=_whole(data),
                models=len(spec.models),
                uncached_samples=est.amount,
                estimate=estimate,
                cached=cached,
            )
        case _:
            return ProxyScore(
                proxy=spec.proxies[j],
                models=est.amount,
                test_samples=spec.test.size,
                estimate=estimate,
                cached=cached,
            )


def _whole(data: BoundDataset) -> tuple[tuple[int, int, int], ...]:
    return tuple((s, 0, size) for s, size in enumerate(data.segment_sizes) if size)


def _halving(
    spec: SearchSpec,
    j: int,
    decision: Decision,
    lines: Sequence[tuple[costmodel.StepEstimate, dict[str, float]]],
    stored: Stored | None,
) -> Halving:
    schedule = decision.schedule
    assert schedule is not None and decision.chunk is not None and decision.budget is not None
    (test_est, test_parts), *rounds = lines
    test = ExtractFeatures(
        split="test",
        dataset=spec.test.label,
        ranges=_whole(spec.test),
        models=len(spec.models),
        uncached_samples=test_est.amount,
        estimate=Estimate(test_est.seconds, dict(test_parts)),
        cached=test_est.amount == 0,
    )
    sizes = spec.train.segment_sizes
    chunk = DEFAULT_CONSTANTS.storage_chunk
    steps: list[Step] = [test]
    alive: list[str] | None = [m.name for m in spec.models]
    """The survivors of the rounds so far, while the cache answers every one of them."""
    for k, (est, parts) in enumerate(rounds):
        counts = tuple(proportional_slices(sizes, schedule.samples[k]))
        before = proportional_slices(sizes, schedule.samples[k - 1]) if k else [0] * len(sizes)
        ranges = tuple(
            (s, start, stop)
            for s, (done, stop) in enumerate(zip(before, counts, strict=True))
            if stop > (start := done // chunk * chunk)
        )
        hits = {
            m.name: hit
            for i, m in enumerate(spec.models)
            if (hit := _hit(stored, j, i, schedule.samples[k]))
        }
        last = k + 1 == schedule.num_rounds
        keep = schedule.survivors[k] if last else schedule.keep_after(k)
        all_cached = len(hits) == len(spec.models)
        if alive is not None and all(n in hits for n in alive):
            # the cache answers every survivor: who survives is known, as the run will find
            all_cached = True
            alive = halving.eliminate({n: hits[n][0] for n in alive}, keep)
        else:
            alive = None
        extract = ExtractFeatures(
            split="train",
            dataset=spec.train.label,
            ranges=ranges,
            models=schedule.survivors[k],
            estimate=Estimate(parts.get("features", 0.0), {"features": parts.get("features", 0.0)}),
            cached=parts.get("features", 0.0) == 0.0,
        )
        score_parts = {"proxy": parts.get("proxy", 0.0), "other": parts.get("other", 0.0)}
        score = ProxyScore(
            proxy=spec.proxies[j],
            models=schedule.survivors[k],
            test_samples=spec.test.size,
            in_round=True,
            estimate=Estimate(sum(score_parts.values()), score_parts),
            cached=all_cached,
        )
        steps.append(
            HalvingRound(
                round=k,
                survivors=schedule.survivors[k],
                pulls=schedule.pulls[k],
                samples=schedule.samples[k],
                new_samples=schedule.new_samples(k),
                samples_per_segment=counts,
                keep=keep,
                cached_results=hits,
                estimate=Estimate(est.seconds, dict(parts)),
                cached=all_cached,
                children=(extract, score),
            )
        )
    step = Halving(
        proxy=spec.proxies[j],
        models=tuple(spec.models),
        train=spec.train,
        test=spec.test,
        chunk=decision.chunk,
        budget=decision.budget,
        children=tuple(steps),
    )
    return container(step)


def profile_steps(
    models: Sequence[ModelRecord], profiled: frozenset[str], work: float, costs: CostModel
) -> tuple[Profile, ...]:
    """Profiling the models whose costs are unknown, when there is work to price (a ranking the
    cache answers whole needs no costs); once done, the models it profiled (with those still
    to profile, when a plan made again has new ones: a meta-learned shortlist after its
    probe's)."""
    done = tuple(m for m in models if m.name in profiled)
    todo = tuple(m for m in models if needs_profile(m)) if work > 0 else ()
    chosen = (*done, *(m for m in todo if m.name not in profiled))
    if not chosen:
        return ()
    c, share = costs.constants, len(chosen) / costs.devices
    inferences = PROFILE_BATCH + PROFILE_SAMPLES  # a warm-up batch, then the timed ones
    features = c.load_overhead + DEFAULT_LOAD_SECONDS + inferences * DEFAULT_INFER_SECONDS
    estimate = Estimate.of({"features": share * features, "other": share * c.task_overhead})
    return (Profile(models=chosen, estimate=estimate),)
