"""The optimizer: one pure function from a bound statement, what the cache holds and the cost
model to the physical plan (`physical.Plan`). It decides everything once — the strategy, SH or
not (AUTO compares both over every proxy), CHUNK and BUDGET, which results to read from the cache
instead of computing, whether models need profiling — and prices every step:

- restrict, or rank by a metadata column: a metadata scan, no GPU work;
- task-aware ranking: the candidate scan, then per proxy a full pass (a cache lookup for the
  results the cache holds, then the tasks' cost lines) or successive halving (the test set's
  features, then the rounds, each with its slice and its share of the budget);
- BENCHMARK: a full pass per (train, test) pair, then the aggregate;
- ORDER BY FineTune: successive halving over fine-tuning epochs;
- FINETUNE: one fine-tuning task per model;
- ORDER BY Cascade(…) and ORDER BY AUTO: `cascade_plan`, `auto_plan`;
- set operations and variables: their operands' plans, nested.

Models whose costs are unknown get a profiling step first when the plan has work to price; the
coordinator runs it and plans once more with the measured costs (`BoundRanking.profiled` then
says which models were profiled, so the final plan still shows that step).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, assert_never

from shift_search.cache.records import ModelRecord
from shift_search.planner import costmodel, halving
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundDataset,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundRanking,
    BoundSetOperation,
    BoundStatement,
    BoundUnsupported,
    BoundVariable,
    Scan,
    SearchSpec,
)
from shift_search.planner.cached import StoredWork
from shift_search.planner.costmodel import DEFAULT_CONSTANTS, CachedWork, CostConstants, Decision
from shift_search.planner.finetune_cost import (
    DEFAULT_EPOCHS,
    FINETUNE_FACTOR,
    epoch_schedule,
    finetune_steps,
    halving_steps,
    survivors,
)
from shift_search.planner.halving import proportional_slices
from shift_search.planner.model_costs import (
    DEFAULT_INFER_SECONDS,
    DEFAULT_LOAD_SECONDS,
    cost_source,
    describe_scale,
    model_cost,
    needs_profile,
    text_length_scale,
)
from shift_search.planner.physical import (
    Aggregate,
    Benchmark,
    CacheLookup,
    Dispatch,
    Estimate,
    Evaluate,
    ExtractFeatures,
    Finetune,
    FinetuneHalving,
    FinetuneRound,
    FullPass,
    Halving,
    HalvingRound,
    LoadModels,
    MetadataScan,
    Plan,
    Profile,
    ProxyScore,
    Rank,
    SetOperation,
    Step,
    Train,
    VariableRead,
    container,
    numbered,
)
from shift_search.planner.search_cost import SearchCost, Stored, price_search
from shift_search.runtime.profile_inputs import PROFILE_SAMPLES

FINETUNE_COST = (
    f"{FINETUNE_FACTOR:g}× the measured inference cost per training sample (forward + backward)"
)


@dataclass(frozen=True)
class CostModel:
    """What prices a plan: the devices (executor slots) and the cost constants."""

    devices: int = 1
    constants: CostConstants = DEFAULT_CONSTANTS


def optimize(bound: BoundStatement, stored: StoredWork, costs: CostModel) -> Plan:
    """The plan of a bound statement, its steps numbered (a pure function: no I/O)."""
    return numbered(_plan(bound, stored, costs))


def _plan(bound: BoundStatement, stored: StoredWork, costs: CostModel) -> Plan:
    match bound:
        case BoundMetadata():
            return _metadata(bound)
        case BoundRanking():
            return _ranking(bound, stored, costs)
        case BoundBenchmark():
            return _benchmark(bound, stored, costs)
        case BoundFinetuneRanking():
            return _finetune_ranking(bound, costs)
        case BoundFinetune():
            return _finetune(bound, costs)
        case BoundCascade():
            from shift_search.planner.cascade_plan import plan_cascade  # builds on this module

            return plan_cascade(bound, stored, costs)
        case BoundAuto():
            from shift_search.planner.auto_plan import plan_auto  # builds on this module

            return plan_auto(bound, stored, costs)
        case BoundSetOperation(op=op, left=left, right=right):
            return _set_operation(op, _plan(left, stored, costs), _plan(right, stored, costs))
        case BoundVariable(name=name, query=query):
            inner = _plan(query, stored, costs)
            read = container(VariableRead(name=name, children=inner.steps))
            return dataclasses.replace(inner, steps=(read,))
        case BoundUnsupported(what=what):
            return Plan(what.lower().replace("_", ""))
        case _:
            assert_never(bound)


# --- metadata ------------------------------------------------------------------------------


def _metadata(bound: BoundMetadata) -> Plan:
    select, scan = bound.select, bound.scan
    step = scan_step(scan, "query")
    step = dataclasses.replace(
        step, ordering=select.order, limit=select.limit, columns=select.columns
    )
    return Plan("task_agnostic" if select.order else "restrict", (step,))


def scan_step(scan: Scan, role: Literal["query", "candidates"]) -> MetadataScan:
    return MetadataScan(
        table=scan.table,
        kind="datasets" if scan.kind == "datasets" else "models",
        total=scan.total,
        rows=scan.rows,
        role=role,
        cached=True,  # answered from the catalog snapshot
    )


# --- task-aware ranking --------------------------------------------------------------------


def _ranking(bound: BoundRanking, stored: StoredWork, costs: CostModel) -> Plan:
    spec = bound.spec
    scan = scan_step(bound.scan, "candidates")
    rank = Rank(
        spec=spec,
        limit=bound.select.limit,
        columns=bound.select.columns,
        wait=bound.select.wait,
    )
    decisions = {
        "models": str(len(spec.models)),
        "proxies": ", ".join(p.label for p in spec.proxies),
        "trained_on": f"{spec.train.label} ({spec.train.size:,} samples)",
        "tested_on": f"{spec.test.label} ({spec.test.size:,} samples)",
        "devices": str(costs.devices),
    }
    if not spec.models:
        rank = container(dataclasses.replace(rank, children=(scan,)))
        return Plan("task_aware", (rank,), tuple((decisions | {"reason": "no models"}).items()))
    st = stored.of(spec)
    scale = text_length_scale(spec.train, spec.test)
    priced, searches = search_plan(spec, costs, st)
    decision = priced.decision
    decisions |= {
        "successive_halving": str(decision.use_sh).lower(),
        "chunk": str(decision.chunk) if decision.use_sh else "-",
        "budget": str(decision.budget) if decision.use_sh else "-",
        "reason": decision.reason,
        "costs": cost_source(spec.models),
    }
    if scale != 1.0:
        decisions["text length"] = describe_scale(scale)
    if len(spec.proxies) > 1:
        decisions["features"] = (
            f"embedded once, shared by the {len(spec.proxies)} proxies run one after the other; "
            "a later proxy pays its tasks and the proxy"
        )
    schedule = decision.schedule if decision.use_sh else None
    cached = st.summary(schedule.samples[0] if schedule else spec.train.size)
    if cached:
        decisions["cached"] = cached
    profile = profile_steps(spec.models, bound.profiled, priced.seconds, costs)
    rank = container(dataclasses.replace(rank, children=(scan, *profile, *searches)))
    return Plan("task_aware", (rank,), tuple(decisions.items()))


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
    cache answers whole needs no costs); or, once done, the models it profiled."""
    done = tuple(m for m in models if m.name in profiled)
    todo = tuple(m for m in models if needs_profile(m)) if work > 0 else ()
    chosen = done or todo
    if not chosen:
        return ()
    c, share = costs.constants, len(chosen) / costs.devices
    features = c.load_overhead + DEFAULT_LOAD_SECONDS + PROFILE_SAMPLES * DEFAULT_INFER_SECONDS
    estimate = Estimate.of({"features": share * features, "other": share * c.task_overhead})
    return (Profile(models=chosen, estimate=estimate),)


# --- benchmark -----------------------------------------------------------------------------


def _benchmark(bound: BoundBenchmark, stored: StoredWork, costs: CostModel) -> Plan:
    """One priced full-data search per (train, test) pair, then the aggregate per model. A
    dataset embedded for an earlier pair is cached for the later ones (features are keyed by
    content)."""
    models, proxy, pairs = bound.models, bound.proxy, bound.pairs
    scale = text_length_scale(*(d for pair in pairs for d in pair))
    model_costs = [model_cost(m, scale) for m in models]
    passes: list[Step] = []
    seen: set[str] = set()
    for j, (train, test) in enumerate(pairs, 1):
        spec = SearchSpec(models, train, test, [proxy], None, None)
        st = stored.of(spec)
        work = [
            CachedWork(
                train.size if train.record.fingerprint in seen else w.train_samples,
                test.size if test.record.fingerprint in seen else w.test_samples,
                w.proxy_done,
            )
            for w in st.work(0, train.size)
        ]
        args = (model_costs, train.size, test.size, proxy.name, costs.devices, None, work)
        estimates = costmodel.estimate_steps(*args, constants=costs.constants)
        parts = costmodel.estimate_parts(*args, constants=costs.constants)
        lines = list(zip(estimates, parts, strict=True))
        passes.append(full_pass(spec, 0, lines, costs.devices, st, label=f"pair {j}"))
        seen |= {train.record.fingerprint, test.record.fingerprint}
    aggregate = Aggregate(func=bound.func, pairs=len(pairs), cached=True)
    work_seconds = sum(p.estimate.seconds for p in passes)
    profile = profile_steps(models, bound.profiled, work_seconds, costs)
    root = Benchmark(
        proxy=proxy,
        func=bound.func,
        descending=bound.descending,
        limit=bound.select.limit,
        models=models,
        pairs=pairs,
        wait=bound.select.wait,
        children=(scan_step(bound.scan, "candidates"), *profile, *passes, aggregate),
    )
    decisions = {
        "models": str(len(models)),
        "proxy": proxy.label,
        "benchmark": "; ".join(
            f"pair {j}: {train.label} ({train.size:,}) → {test.label} ({test.size:,})"
            for j, (train, test) in enumerate(pairs, 1)
        ),
        "aggregate": f"{bound.func}(err) per model",
        "devices": str(costs.devices),
        "successive_halving": "false",
        "reason": "BENCHMARK runs one full-data search per benchmark pair",
        "costs": cost_source(models),
    }
    return Plan("benchmark", (container(root),), tuple(decisions.items()))


# --- fine-tuning ---------------------------------------------------------------------------


def _finetune_ranking(bound: BoundFinetuneRanking, costs: CostModel) -> Plan:
    """ORDER BY FineTune: a step per halving round, priced from the epoch schedule."""
    spec, proxy = bound.spec, bound.proxy
    models, train, test = spec.models, spec.train, spec.test
    epochs = int(proxy.params.get("epochs", DEFAULT_EPOCHS))
    schedule = epoch_schedule(len(models), epochs)
    model_costs = [model_cost(m, text_length_scale(train, test)) for m in models]
    estimates = halving_steps(
        model_costs, train.size, test.size, schedule, costs.devices, costs.constants
    )
    alive = survivors(len(models), len(schedule))
    rounds = tuple(
        FinetuneRound(
            round=k,
            survivors=n,
            epochs=e,
            keep=alive[k + 1] if k + 1 < len(alive) else None,
            train_samples=train.size,
            test_samples=test.size,
            estimate=Estimate(est.seconds, {"features": est.seconds}),
        )
        for k, (est, n, e) in enumerate(zip(estimates, alive, schedule, strict=True))
    )
    work = sum(r.estimate.seconds for r in rounds)
    profile = profile_steps(models, bound.profiled, work, costs)
    root = FinetuneHalving(
        proxy=proxy,
        models=tuple(models),
        train=train,
        test=test,
        limit=bound.select.limit,
        wait=bound.select.wait,
        children=(scan_step(bound.scan, "candidates"), *profile, *rounds),
    )
    decisions = {
        "models": str(len(models)),
        "proxy": proxy.label,
        "trained_on": f"{train.label} ({train.size:,} samples)",
        "tested_on": f"{test.label} ({test.size:,} samples)",
        "devices": str(costs.devices),
        "successive_halving": "over fine-tuning epochs",
        "rounds": str(len(schedule)),
        "survivors": " → ".join(str(s) for s in alive),
        "epochs": " → ".join(str(e) for e in schedule),
        "fine-tune cost": FINETUNE_COST,
        "costs": cost_source(models),
    }
    return Plan("finetune_ranking", (container(root),), tuple(decisions.items()))


def _finetune(bound: BoundFinetune, costs: CostModel) -> Plan:
    """FINETUNE: one fine-tuning task per model, on all the data for `epochs` epochs."""
    models, train, test = bound.models, bound.train, bound.test
    epochs = int(bound.params.get("epochs", DEFAULT_EPOCHS))
    model_costs = [model_cost(m, text_length_scale(train, test)) for m in models]
    estimates = finetune_steps(
        model_costs, train.size, test.size, epochs, costs.devices, costs.constants
    )
    overhead, load, tune, evaluate = estimates
    m = len(models)
    children: tuple[Step, ...] = (
        Dispatch(tasks=m, devices=costs.devices, estimate=_other(overhead)),
        LoadModels(loads=m, estimate=_features(load)),
        Train(models=m, epochs=epochs, samples=train.size, estimate=_features(tune)),
        Evaluate(models=m, samples=test.size, estimate=_features(evaluate)),
    )
    root = Finetune(
        models=models,
        train=train,
        test=test,
        test_given=bound.test_given,
        params=dict(bound.params),
        epochs=epochs,
        wait=bound.wait,
        children=children,
    )
    tested = f"{test.label} ({test.size:,} samples)" if bound.test_given else "the training data"
    decisions = {
        "models": ", ".join(m.name for m in models),
        "trained_on": f"{train.label} ({train.size:,} samples)",
        "tested_on": tested,
        "epochs": str(epochs),
        "devices": str(costs.devices),
        "registers": f"{len(models)} new model(s), finetuned = true",
        "fine-tune cost": FINETUNE_COST,
        "costs": cost_source(models),
    }
    return Plan("finetune", (container(root),), tuple(decisions.items()))


def _other(est: costmodel.StepEstimate) -> Estimate:
    return Estimate(est.seconds, {"other": est.seconds})


def _features(est: costmodel.StepEstimate) -> Estimate:
    return Estimate(est.seconds, {"features": est.seconds})


# --- set operations ------------------------------------------------------------------------


def _set_operation(op: str, left: Plan, right: Plan) -> Plan:
    """Both operands run: their steps one after the other, their decisions side by side."""
    decisions = {"operands": "2", "left": left.strategy, "right": right.strategy}
    for side, plan in (("left", left), ("right", right)):
        decisions |= {f"{side}.{key}": value for key, value in plan.decisions}
    step = container(SetOperation(op=op, children=(*left.steps, *right.steps)))  # type: ignore[arg-type]
    return Plan(f"set_operation ({op})", (step,), tuple(decisions.items()))
