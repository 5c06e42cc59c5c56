"""EXPLAIN's text: a plan as people read it — its strategy and decisions, then its steps as an
indented tree, each with its id, what it does, its estimate, whether the cache holds it and,
after EXPLAIN ANALYZE, what it measured."""

from __future__ import annotations

from typing import assert_never

from shift_search.planner.grouping import is_grouped
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import (
    Aggregate,
    Auto,
    Benchmark,
    CacheLookup,
    Cascade,
    CascadeStage,
    DatasetSimilarity,
    Dispatch,
    DistanceMatrix,
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
    MetaLearned,
    MetaShortlist,
    Plan,
    Profile,
    ProxyScore,
    Rank,
    RankByScorer,
    ScorerPass,
    ScorerScore,
    SetOperation,
    SimilarDatasets,
    SourcePredictions,
    Step,
    StrategyChoice,
    TaskEmbedding,
    Train,
    VariableRead,
    walk,
)
from shift_search.runtime.profile_inputs import PROFILE_SAMPLES
from shift_search.runtime.proxy_names import SECONDS_PER_TEST_SAMPLE


def describe(step: Step) -> tuple[str, str]:
    """A step's name and what it does, in a line."""
    match step:
        case MetadataScan(role="query") if step.group_by or is_grouped(
            step.columns, step.group_by, step.ordering
        ):
            by = f" by {', '.join(step.group_by)}" if step.group_by else ""
            return f"group{by}", (
                f"{len(step.rows)} of {step.total} {step.kind.replace('_', ' ')} rows, "
                "aggregated per group; no GPU work"
            )
        case MetadataScan(role="query"):
            name = "rank by metadata" if step.ordering else "restrict by metadata"
            what = step.kind.replace("_", " ")
            return name, f"{len(step.rows)} of {step.total} {what}; no GPU work"
        case MetadataScan():
            return (
                f"scan {step.table}",
                f"{len(step.rows)} of {step.total} {step.kind} pass WHERE; no GPU work",
            )
        case Profile(models=models):
            return "profile", (
                f"{len(models)} model(s) with unknown costs: a load and {PROFILE_SAMPLES} "
                "samples each, stored in the catalog; what follows is planned again with them"
            )
        case Rank():
            labels = ", ".join(p.label for p in step.spec.proxies)
            order = "highest" if step.spec.descending else "lowest"
            limit = f", limit {step.limit}" if step.limit is not None else ""
            return "rank", f"by {labels}, {order} first{limit}"
        case FullPass(survivors=n) if n:
            return "full data", (
                f"{step.proxy.label}, the {n} survivors of the stage before on "
                f"{step.train.label} ({step.train.size:,}) → {step.test.label} ({step.test.size:,})"
            )
        case FullPass():
            where = f"{step.label}: " if step.label else ""
            return "full data", (
                f"{where}{step.proxy.label}, {len(step.models)} models on "
                f"{step.train.label} ({step.train.size:,}) → {step.test.label} ({step.test.size:,})"
            )
        case Halving():
            rounds = [c for c in step.children if isinstance(c, HalvingRound)]
            alive = " → ".join(str(r.survivors) for r in rounds)
            return "successive halving", (
                f"{step.proxy.label}, chunk {step.chunk}, budget {step.budget}, "
                f"{len(rounds)} rounds ({alive} models)"
            )
        case HalvingRound():
            last = step.keep == step.survivors
            then = "then rank them" if last else f"keep {step.keep}"
            cached = f"; {len(step.cached_results)} results cached" if step.cached_results else ""
            return f"round {step.round}", (
                f"{step.survivors} models × {step.new_samples:,} new samples "
                f"({step.samples:,} in all), {then}; {step.pulls} pull(s) each, "
                f"{step.budget_spent} of the budget{cached}"
            )
        case CacheLookup():
            return "read cached results", (
                f"{step.proxy.label} of {len(step.results)} models on {step.train_samples:,} / "
                f"{step.test_samples:,} samples; no executor"
            )
        case Dispatch():
            return "task overhead", f"{step.tasks} tasks on {step.devices} devices"
        case LoadModels():
            return "load models", f"{step.loads} loads"
        case ExtractFeatures():
            if step.uncached_samples is not None:
                return f"embed {step.split}", f"{step.uncached_samples:,} uncached samples in all"
            ranges = ", ".join(f"[{a:,}, {b:,})" for _, a, b in step.ranges) or "nothing new"
            return f"embed {step.split}", (
                f"{step.models} models, rows {ranges} of {step.dataset} in chunk order"
            )
        case ProxyScore(in_round=True):
            return "score", (
                f"{step.proxy.label}, {step.models} tasks on {step.test_samples:,} test samples"
            )
        case ProxyScore() if not SECONDS_PER_TEST_SAMPLE.get(step.proxy.name, 1.0):
            return "proxy", f"{step.models} models, fitted on their training features"
        case ProxyScore():
            return "proxy", f"{step.models} models × {step.test_samples:,} test samples"
        case MetaLearned():
            labels = ", ".join(p.label for p in step.spec.proxies)
            limit = f", limit {step.limit}" if step.limit is not None else ""
            undecided = [c for c in step.children if isinstance(c, MetaShortlist) and not c.decided]
            count = (
                f"top {undecided[0].top} (once embedded)" if undecided else len(step.spec.models)
            )
            return "meta-learned", (
                f"the {count} model(s) that fine-tuned best on similar benchmark "
                f"datasets, ranked by {labels}, lowest first{limit}"
            )
        case SimilarDatasets():
            return "similar datasets", _similar_datasets(step)
        case MetaShortlist(decided=False):
            return "shortlist", (
                f"undecided until the embeddings are in: the top {step.top} of the "
                f"{step.matched} of {step.candidates} candidates in benchmark_results, then "
                "their search (estimated for that many)"
            )
        case MetaShortlist():
            return "shortlist", (
                f"{step.matched} of {step.candidates} candidates in benchmark_results, "
                f"{len(step.ranked)} tuned on those datasets; top {step.top} by mean percentile "
                f"rank: {', '.join(step.chosen)}; no GPU work"
            )
        case Benchmark():
            return "benchmark", (
                f"{step.proxy.label} on {len(step.pairs)} pairs, {step.func}(err) per model"
            )
        case Aggregate():
            return "aggregate", (
                f"{step.func}(err) of {step.pairs} errors per model, then rank; no GPU work"
            )
        case FinetuneHalving():
            epochs = " → ".join(
                str(r.epochs) for r in step.children if isinstance(r, FinetuneRound)
            )
            count = (
                f"the {step.survivors} survivors of the stage before"
                if step.survivors
                else f"{len(step.models)} models"
            )
            return "successive halving over epochs", f"{step.proxy.label}, {count}, epochs {epochs}"
        case FinetuneRound():
            then = f"keep {step.keep}" if step.keep is not None else "rank them"
            return f"round {step.round}", (
                f"{step.survivors} models × {step.epochs} epoch(s) × {step.train_samples:,} "
                f"samples, evaluate on {step.test_samples:,}, {then}"
            )
        case Finetune():
            names = ", ".join(m.name for m in step.models)
            return "FINETUNE", f"{names}: {step.epochs} epoch(s) each, registered as new models"
        case Train():
            return "fine-tune", (
                f"{step.models} models × {step.epochs} epoch(s) × {step.samples:,} samples, "
                f"{step.factor} inference per sample"
            )
        case Evaluate():
            return "evaluate", f"{step.models} models × {step.samples:,} test samples, twice"
        case RankByScorer(scorer=scorer):
            limit = f", limit {step.limit}" if step.limit is not None else ""
            return "rank by scorer", f"{scorer.spelling}, highest score first{limit}"
        case ScorerPass():
            data = f"{step.train.label} ({step.train.size:,})"
            if step.test is not None:
                data += f" → {step.test.label} ({step.test.size:,})"
            return "score all data", f"{step.proxy.label}, {len(step.models)} models on {data}"
        case SourcePredictions():
            return "source predictions", (
                f"{step.models} models' own classifiers on {step.samples:,} rows of "
                f"{step.dataset} each"
            )
        case ScorerScore():
            return "scorer", f"{step.proxy.label}, {step.models} models × {step.samples:,} rows"
        case DatasetSimilarity():
            return "dataset similarity", (
                f"{len(step.datasets)} datasets through probe {step.probe.name}, "
                "pairwise normalised cosine distance"
            )
        case TaskEmbedding():
            return "task2vec", (
                f"{step.dataset.label} ({step.dataset.size:,} samples): Fisher on "
                f"{step.samples:,} rows"
            )
        case DistanceMatrix(datasets=n):
            return "distance matrix", f"{n} × {n}, symmetric, zero diagonal; no GPU work"
        case Cascade():
            stages = " → ".join(p.label for p in step.stages)
            keep = " → ".join(str(k) for k in step.keep)
            limit = f", limit {step.limit}" if step.limit is not None else ""
            return "cascade", f"{stages}, keeping {keep}{limit}"
        case CascadeStage():
            then = "then rank them" if step.keep is None else f"keep {step.keep}"
            joins = f", then {step.joins} joins (the prior's pick)" if step.joins else ""
            return f"stage {step.index}", (
                f"{step.proxy.label} on {step.candidates} models, {then}{joins}"
            )
        case Auto():
            evidence = " and ".join(p.label for p in step.spec.proxies)
            limit = f", limit {step.limit}" if step.limit is not None else ""
            return "auto", (
                f"evidence from {evidence} on {len(step.spec.models)} models, then the strategy "
                f"it calls for{limit}"
            )
        case StrategyChoice(chosen=None):
            names = ", ".join(e.name for e in step.estimates if e.available)
            return "choose strategy", f"among {names} once the evidence is in; no GPU work"
        case StrategyChoice():
            returned = ", ".join(step.returns)
            return "choose strategy", f"{step.chosen}: returns {returned}; no GPU work"
        case SetOperation(op=op):
            return op.lower(), "both operands run, then their names are combined"
        case VariableRead(name=name):
            return f"variable {name}", "its query runs again"
        case _:
            assert_never(step)


def shows_cached(step: Step) -> bool:
    """Whether to say "cached": the step holds work the cache answers (catalog reads and
    aggregates hold none)."""
    plain = (
        MetadataScan
        | Aggregate
        | SetOperation
        | VariableRead
        | DistanceMatrix
        | SimilarDatasets
        | MetaShortlist
        | StrategyChoice
    )
    return step.cached and any(not isinstance(s, plain) for s in walk(step))


def tasks_of(step: Step) -> int:
    """Executor tasks a step runs, where EXPLAIN shows them (a fine-tuning round)."""
    return step.survivors if isinstance(step, FinetuneRound) else 0


def _similar_datasets(step: SimilarDatasets) -> str:
    """The similar datasets' line: how similarity is measured, and the neighbours."""
    if step.probe:
        how = f"by Task2Vec through {step.probe} (1 - distance) to {step.target}"
    else:
        how = f"by {step.similarity} similarity to {step.target} ({step.category})"
    left_out = f"; left out, not registered: {', '.join(step.left_out)}" if step.left_out else ""
    if not step.decided:
        return f"{step.settings} benchmark datasets {how}, k={step.k}: once embedded{left_out}"
    shown = ", ".join(f"{n} ({s:g})" for n, s in step.neighbours[:3])
    more = len(step.neighbours) - 3
    return (
        f"{len(step.neighbours)} of {step.settings} benchmark datasets {how}, k={step.k} "
        f"with ties: {shown}"
        + (f" and {more} more" if more > 0 else "")
        + f"{left_out}; no GPU work"
    )


def render(plan: Plan, trace: Trace | None = None) -> str:
    lines = [f"strategy: {plan.strategy}"]
    lines += [f"  {k}: {v}" for k, v in plan.decisions]
    for step in plan.steps:
        _lines(step, 0, trace, lines)
    total = f"estimated total {plan.estimated_seconds:.3f}s"
    measured = trace.measured_total(plan) if trace is not None else None
    if measured is not None:
        total += f", measured total {measured:.3f}s"
    lines.append(total)
    return "\n".join(lines)


def _lines(step: Step, depth: int, trace: Trace | None, out: list[str]) -> None:
    name, detail = describe(step)
    notes = [f"estimated {step.estimate.seconds:.3f}s"]
    if shows_cached(step):
        notes.append("cached")
    measured = trace.measured.get(step.id) if trace is not None else None
    if measured is not None:
        notes.append(f"measured {measured.seconds:.3f}s")
        if measured.cache_hits:
            notes.append(f"{measured.cache_hits} from cache")
    if tasks := tasks_of(step):
        notes.append(f"{tasks} tasks")
    out.append(f"{'  ' * depth}- #{step.id} {name}: {detail} ({', '.join(notes)})")
    for child in step.children:
        _lines(child, depth + 1, trace, out)
