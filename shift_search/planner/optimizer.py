"""The optimizer: one pure function from a bound statement, what the cache holds and the cost
model to the physical plan (`physical.Plan`). It decides everything once — the strategy, SH or
not (AUTO compares both over every proxy), CHUNK and BUDGET, which results to read from the cache
instead of computing, whether models need profiling — and prices every step:

- restrict, or rank by a metadata column: a metadata scan, no GPU work;
- task-aware ranking: the candidate scan, then per proxy a full pass (a cache lookup for the
  results the cache holds, then the tasks' cost lines) or successive halving (the test set's
  features, then the rounds, each with its slice and its share of the budget);
- meta-learned: the candidate scan, with Task2Vec similarity the embeddings (cached or to
  compute), the similar benchmark datasets and the shortlist (free), then the shortlist's
  search as a ranking's (none yet while an embedding is to compute);
- BENCHMARK: a full pass per (train, test) pair, then the aggregate;
- ORDER BY FineTune: successive halving over fine-tuning epochs;
- FINETUNE: one fine-tuning task per model;
- RANK … BY "<scorer>" and SELECT vec: `scoring_plans`;
- ORDER BY Cascade(…) and ORDER BY AUTO: `cascade_plan`, `auto_plan`;
a ranking's search steps are built by `ranking_steps` (the composite strategies build on them);
- set operations and variables: their operands' plans, nested.

Models whose costs are unknown get a profiling step first when the plan has work to price; the
coordinator runs it and plans once more with the measured costs (`BoundRanking.profiled` then
says which models were profiled, so the final plan still shows that step).
"""

from __future__ import annotations

import dataclasses
from typing import assert_never

from shift_search.cache.records import ModelRecord
from shift_search.planner import costmodel
from shift_search.planner.auto_plan import plan_auto
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundMetaLearned,
    BoundRanking,
    BoundScorerRanking,
    BoundSetOperation,
    BoundSimilarity,
    BoundStatement,
    BoundVariable,
    SearchSpec,
)
from shift_search.planner.cached import StoredWork
from shift_search.planner.cascade_plan import plan_cascade
from shift_search.planner.costmodel import CachedWork
from shift_search.planner.finetune_cost import (
    DEFAULT_EPOCHS,
    describe_train_factor,
    epoch_schedule,
    finetune_steps,
    halving_steps,
    survivors,
)
from shift_search.planner.grouping import is_grouped
from shift_search.planner.model_costs import (
    cost_source,
    describe_scale,
    model_cost,
    text_length_scale,
)
from shift_search.planner.physical import (
    Aggregate,
    Benchmark,
    Dispatch,
    Estimate,
    Evaluate,
    Finetune,
    FinetuneHalving,
    FinetuneRound,
    LoadModels,
    MetaLearned,
    MetaShortlist,
    Plan,
    Rank,
    SetOperation,
    SimilarDatasets,
    Step,
    TaskEmbedding,
    Train,
    VariableRead,
    container,
    numbered,
)
from shift_search.planner.ranking_steps import (
    CostModel,
    full_pass,
    profile_steps,
    scan_step,
    search_plan,
)
from shift_search.planner.scoring_plans import (
    scorer_ranking_plan,
    similarity_plan,
    task2vec_estimate,
)


def _finetune_cost(models: list[costmodel.ModelCost]) -> str:
    """EXPLAIN's line on how a training sample is priced."""
    return (
        f"{describe_train_factor(models)} the measured inference cost per training sample"
        " (forward, backward and the optimiser's step, measured per modality)"
    )


def optimize(bound: BoundStatement, stored: StoredWork, costs: CostModel) -> Plan:
    """The plan of a bound statement, its steps numbered (a pure function: no I/O)."""
    return numbered(_plan(bound, stored, costs))


def _plan(bound: BoundStatement, stored: StoredWork, costs: CostModel) -> Plan:
    match bound:
        case BoundMetadata():
            return _metadata(bound)
        case BoundRanking():
            return _ranking(bound, stored, costs)
        case BoundMetaLearned():
            return _meta_learned(bound, stored, costs)
        case BoundBenchmark():
            return _benchmark(bound, stored, costs)
        case BoundFinetuneRanking():
            return _finetune_ranking(bound, costs)
        case BoundFinetune():
            return _finetune(bound, costs)
        case BoundCascade():
            return plan_cascade(bound, stored, costs)
        case BoundAuto():
            return plan_auto(bound, stored, costs)
        case BoundSetOperation(op=op, left=left, right=right):
            return _set_operation(op, _plan(left, stored, costs), _plan(right, stored, costs))
        case BoundVariable(name=name, query=query):
            inner = _plan(query, stored, costs)
            read = container(VariableRead(name=name, children=inner.steps))
            return dataclasses.replace(inner, steps=(read,))
        case BoundScorerRanking(spec=spec, profiled=profiled):
            return scorer_ranking_plan(
                bound,
                stored.of_scorer(spec),
                costs.devices,
                costs.constants,
                scan_step(bound.scan, "candidates"),
                lambda work: profile_steps(spec.models, profiled, work, costs),
            )
        case BoundSimilarity(probe=probe, profiled=profiled):
            return similarity_plan(
                bound,
                stored,
                costs.devices,
                costs.constants,
                lambda work: profile_steps([probe], profiled, work, costs),
            )
        case _:
            assert_never(bound)


# --- metadata ------------------------------------------------------------------------------


def _metadata(bound: BoundMetadata) -> Plan:
    select, scan = bound.select, bound.scan
    step = scan_step(scan, "query")
    step = dataclasses.replace(
        step,
        ordering=select.order,
        limit=select.limit,
        columns=select.columns,
        group_by=tuple(c.name for c in select.group_by),
    )
    grouped = is_grouped(select.columns, step.group_by, select.order)
    strategy = "group" if grouped else "task_agnostic" if select.order else "restrict"
    return Plan(strategy, (step,))


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
        decisions["text length"] = describe_scale(scale, spec.train, spec.test)
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


def _meta_learned(bound: BoundMetaLearned, stored: StoredWork, costs: CostModel) -> Plan:
    """The similar datasets and the shortlist (decided at binding from the catalog snapshot,
    or with Task2Vec from the cached embeddings; free), then the shortlist searched like a
    ranking's candidates. With Task2Vec the embeddings come first; while one is still to
    compute, the shortlist is undecided and its search is priced for `top` stand-ins."""
    spec, found, task2vec = bound.spec, bound.shortlist, bound.task2vec
    embeddings = _meta_embeddings(bound, costs) if task2vec is not None else ()
    scan = scan_step(bound.scan, "candidates")
    similar = SimilarDatasets(
        target=task2vec.target.label if task2vec is not None else spec.test.label,
        category=bound.target_category,
        similarity=bound.similarity,
        k=bound.k,
        settings=bound.settings,
        neighbours=found.neighbours if found is not None else (),
        decided=found is not None,
        probe=task2vec.probe.name if task2vec is not None else "",
        left_out=task2vec.left_out if task2vec is not None else (),
        cached=True,
    )
    root = MetaLearned(
        spec=spec,
        limit=bound.select.limit,
        columns=bound.select.columns,
        wait=bound.select.wait,
        probe=task2vec.probe if task2vec is not None else None,
        embedding_params=task2vec.params if task2vec is not None else {},
    )
    decisions = {
        "models": str(len(bound.candidates)),
        "benchmark": f"{bound.settings} benchmark datasets in benchmark_results"
        + (" on registered datasets (Task2Vec embeds those)" if task2vec is not None else ""),
        "similarity": _meta_similarity(bound),
    }
    if found is None:
        assert task2vec is not None
        return _meta_undecided(bound, stored, costs, embeddings, (scan, similar), decisions)
    chosen = tuple(m.name for m in spec.models)
    shortlist = MetaShortlist(
        candidates=len(bound.candidates),
        matched=len(bound.benchmark_names),
        ranked=found.ranked,
        top=bound.top,
        chosen=chosen,
        cached=True,
    )
    st = stored.of(spec)
    priced, searches = search_plan(spec, costs, st)
    decision = priced.decision
    probe = [task2vec.probe] if task2vec is not None else []
    profiled = _unique([*spec.models, *probe])
    profile = profile_steps(profiled, bound.profiled, priced.seconds, costs)
    root = dataclasses.replace(
        root, children=(scan, *embeddings, similar, shortlist, *profile, *searches)
    )
    neighbours = ", ".join(f"{n} ({s:g})" for n, s in found.neighbours[:5])
    more = len(found.neighbours) - 5
    decisions |= {
        "similar_datasets": neighbours + (f" and {more} more" if more > 0 else ""),
        "shortlist": f"{', '.join(chosen)} (top {bound.top} of {len(found.ranked)} tuned there)",
        "proxies": ", ".join(p.label for p in spec.proxies),
        "trained_on": f"{spec.train.label} ({spec.train.size:,} samples)",
        "tested_on": f"{spec.test.label} ({spec.test.size:,} samples)",
        "devices": str(costs.devices),
        "successive_halving": str(decision.use_sh).lower(),
        "chunk": str(decision.chunk) if decision.use_sh else "-",
        "budget": str(decision.budget) if decision.use_sh else "-",
        "reason": decision.reason,
        "costs": cost_source(spec.models),
    }
    cached = st.summary(decision.schedule.samples[0] if decision.schedule else spec.train.size)
    if cached:
        decisions["cached"] = cached
    return Plan("meta_learned", (container(root),), tuple(decisions.items()))


def _meta_similarity(bound: BoundMetaLearned) -> str:
    task2vec = bound.task2vec
    if task2vec is None:
        return f"{bound.similarity}: category {bound.target_category!r} of {bound.spec.test.label}"
    text = (
        f"task2vec: 1 - normalised cosine distance of the Task2Vec embeddings of "
        f"{task2vec.target.label} and each benchmark dataset through {task2vec.probe.name}"
    )
    if task2vec.left_out:
        text += f"; left out (not registered, nothing to embed): {', '.join(task2vec.left_out)}"
    return text


def _meta_embeddings(bound: BoundMetaLearned, costs: CostModel) -> tuple[TaskEmbedding, ...]:
    """One Task2Vec embedding per dataset (the task's first), cached or priced as SELECT vec's."""
    task2vec = bound.task2vec
    assert task2vec is not None
    probe, limit = task2vec.probe, int(task2vec.params["samples"])
    cost = model_cost(probe, text_length_scale(*task2vec.embedded))
    out = []
    for data in task2vec.embedded:
        key = task2vec.key(data)
        samples = min(data.size, limit)
        cached = key in task2vec.held
        estimate = (
            Estimate()
            if cached
            else task2vec_estimate(cost, samples, costs.devices, costs.constants)
        )
        out.append(
            TaskEmbedding(dataset=data, samples=samples, key=key, estimate=estimate, cached=cached)
        )
    return tuple(out)


def _meta_undecided(
    bound: BoundMetaLearned,
    stored: StoredWork,
    costs: CostModel,
    embeddings: tuple[TaskEmbedding, ...],
    first: tuple[Step, Step],
    decisions: dict[str, str],
) -> Plan:
    """Before its embeddings: the embeddings to compute, and the shortlist undecided, priced
    as a search of the first `top` candidates benchmark_results knows (stand-ins: which ones
    the distances decide)."""
    task2vec = bound.task2vec
    assert task2vec is not None
    scan, similar = first
    known = [m for m in bound.candidates if m.name in bound.benchmark_names]
    stand_ins = dataclasses.replace(bound.spec, models=known[: bound.top])
    priced, _ = search_plan(stand_ins, costs, stored.of(stand_ins))
    shortlist = MetaShortlist(
        candidates=len(bound.candidates),
        matched=len(bound.benchmark_names),
        ranked=(),
        top=bound.top,
        chosen=(),
        decided=False,
        estimate=Estimate(priced.seconds, {"other": priced.seconds}),
    )
    work = sum(e.estimate.seconds for e in embeddings)
    profile = profile_steps([task2vec.probe], bound.profiled, work, costs)
    root = MetaLearned(
        spec=bound.spec,
        limit=bound.select.limit,
        columns=bound.select.columns,
        wait=bound.select.wait,
        probe=task2vec.probe,
        embedding_params=task2vec.params,
        children=(scan, *profile, *embeddings, similar, shortlist),
    )
    held = sum(e.cached for e in embeddings)
    decisions |= {
        "embeddings": f"{len(embeddings) - held} of {len(embeddings)} to compute, then "
        "the shortlist is decided and planned (no search before)",
        "shortlist": f"undecided: top {bound.top}; its search estimated as "
        f"{len(stand_ins.models)} of the candidates benchmark_results knows",
        "proxies": ", ".join(p.label for p in bound.spec.proxies),
        "trained_on": f"{bound.spec.train.label} ({bound.spec.train.size:,} samples)",
        "tested_on": f"{bound.spec.test.label} ({bound.spec.test.size:,} samples)",
        "devices": str(costs.devices),
        "costs": cost_source([task2vec.probe]),
    }
    return Plan("meta_learned", (container(root),), tuple(decisions.items()))


def _unique(models: list[ModelRecord]) -> list[ModelRecord]:
    return list({m.name: m for m in models}.values())


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
        "fine-tune cost": _finetune_cost(model_costs),
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
        Train(
            models=m,
            epochs=epochs,
            samples=train.size,
            factor=describe_train_factor(model_costs),
            estimate=_features(tune),
        ),
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
        "fine-tune cost": _finetune_cost(model_costs),
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
