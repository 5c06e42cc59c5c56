"""Executing a plan: the coordinator hands a statement's `physical.Plan` here, and each step
runs as the plan says — metadata from the scan's rows, searches from their passes and rounds, a
benchmark from its pairs, fine-tuning from its rounds or models. Nothing is decided again.
Every step that runs is recorded in the statement's `Trace`, with what it measured."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shift_search.planner import physical
from shift_search.planner.benchmark import BenchmarkRun
from shift_search.planner.bound import SearchSpec
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.finetune_ranking import FinetuneRanking
from shift_search.planner.finetuning import run_finetune
from shift_search.planner.measurements import Trace
from shift_search.planner.scorer_ranking import ScorerSearch, scorer_result
from shift_search.planner.similarity import BlobReader, run_similarity
from shift_search.planner.statements import QueryResult, combine, metadata_select, output_columns
from shift_search.planner.strategy_run import AutoRun, CascadeRun, StagedJob
from shift_search.planner.task_aware import Search, StateWriter, best_first
from shift_search.planner.waiting import await_work
from shift_search.runtime.errors import Cancelled, FailedPrecondition

Work = Search | BenchmarkRun | FinetuneRanking | ScorerSearch | StagedJob


@dataclass
class Context:
    """What executing a statement needs besides its plan."""

    pool: ExecutorPool
    emit: Callable[[Event], None]
    cancelled: threading.Event
    trace: Trace
    no_wait_seconds: float
    state_writer: Callable[[SearchSpec], StateWriter]
    analyze: bool = False
    """EXPLAIN ANALYZE: wait for every result, whatever the query says."""
    read_blob: BlobReader | None = None
    """Reads a stored blob from the cache (SELECT vec's embeddings)."""


def execute_query(plan: physical.Plan, ctx: Context) -> QueryResult:
    """Run a query's plan to its answer (without WAIT: what is known after a short while)."""
    if not plan.steps:
        raise FailedPrecondition(f"{plan.strategy.upper()} statements are not supported yet")
    (root,) = plan.steps
    return _run(root, ctx)


def execute_finetune(plan: physical.Plan, ctx: Context) -> int:
    """Run a FINETUNE statement's plan; the number of fine-tunes still running."""
    (root,) = plan.steps
    assert isinstance(root, physical.Finetune)
    wait = root.wait or ctx.analyze
    return run_finetune(
        root, ctx.pool, ctx.emit, ctx.cancelled, wait, ctx.no_wait_seconds, ctx.trace
    )


def _run(step: physical.Step, ctx: Context) -> QueryResult:
    if ctx.cancelled.is_set():
        raise Cancelled("query cancelled")
    match step:
        case physical.MetadataScan():
            return _metadata(step, ctx)
        case physical.SetOperation(op=op, children=(left, right)):
            ctx.trace.ran(step)
            started = time.perf_counter()
            result = combine(op, _run(left, ctx), _run(right, ctx))
            ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
            return result
        case physical.VariableRead(children=(query,)):
            ctx.trace.ran(step)
            started = time.perf_counter()
            result = _run(query, ctx)
            ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
            return result
        case physical.Rank():
            return _rank(step, ctx)
        case physical.MetaLearned():
            return _meta_learned(step, ctx)
        case physical.Benchmark():
            return _benchmark(step, ctx)
        case physical.FinetuneHalving():
            return _finetune_ranking(step, ctx)
        case physical.RankByScorer():
            return _rank_by_scorer(step, ctx)
        case physical.DatasetSimilarity():
            if ctx.read_blob is None:
                raise FailedPrecondition("SELECT vec needs the cache to read embeddings from")
            return run_similarity(step, ctx.pool, ctx.read_blob, ctx.emit, ctx.cancelled, ctx.trace)
        case physical.Cascade():
            job = CascadeRun(step, _candidates(step, ctx), ctx.pool, ctx.emit, ctx.trace)
            return _staged(step, job, ctx)
        case physical.Auto():
            auto = AutoRun(step, _candidates(step, ctx), ctx.pool, ctx.emit, ctx.trace)
            return _staged(step, auto, ctx)
        case _:
            raise FailedPrecondition(f"a {type(step).__name__} step cannot be a query's root")


def _metadata(step: physical.MetadataScan, ctx: Context) -> QueryResult:
    ctx.trace.ran(step)
    started = time.perf_counter()
    result = metadata_select(
        step.kind, step.rows, step.ordering, step.limit, step.columns, step.group_by
    )
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(step.rows))
    return result


def _candidates(step: physical.StepBase, ctx: Context) -> physical.MetadataScan:
    """A strategy's candidate scan: its rows were read from the catalog snapshot."""
    scan = next(c for c in step.children if isinstance(c, physical.MetadataScan))
    ctx.trace.ran(scan)
    ctx.trace.add(scan, rows=len(scan.rows))
    return scan


def _rank(step: physical.Rank, ctx: Context) -> QueryResult:
    started = time.perf_counter()
    ctx.trace.ran(step)
    scan = _candidates(step, ctx)
    searches = [c for c in step.children if isinstance(c, physical.FullPass | physical.Halving)]
    if not searches:
        return QueryResult("models", (), ("name",), ())
    spec = step.spec
    search = Search(spec, ctx.pool, searches, ctx.emit, ctx.state_writer(spec), ctx.trace)
    answered = all(s.cached for s in searches)  # every result read from the plan: no executor
    _await(search.run_here() if answered else search.start(), step.wait, ctx)
    result = _ranking_result(step, search, scan)
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _meta_learned(step: physical.MetaLearned, ctx: Context) -> QueryResult:
    """The similar datasets and the shortlist were decided with the plan (they are read, not
    computed; with Task2Vec from embeddings the plan reads from the cache, computed just
    before it was made where they were missing: `coordinator._embedded`); the shortlist's
    search runs as a ranking's."""
    started = time.perf_counter()
    ctx.trace.ran(step)
    scan = _candidates(step, ctx)
    scores: dict[str, float] = {}
    for child in step.children:
        if isinstance(child, physical.MetaShortlist) and not child.decided:
            raise FailedPrecondition(
                "MetaLearned's shortlist waits for Task2Vec embeddings; the coordinator "
                "computes them before the plan runs"
            )
        if isinstance(child, physical.TaskEmbedding):
            if child.id not in ctx.trace.measured:  # else computed for this statement
                ctx.trace.ran(child)
                ctx.trace.add(child, rows=1, cache_hits=1)
        elif isinstance(child, physical.SimilarDatasets):
            ctx.trace.ran(child)
            ctx.trace.add(child, rows=len(child.neighbours))
        elif isinstance(child, physical.MetaShortlist):
            ctx.trace.ran(child)
            ctx.trace.add(child, rows=len(child.chosen))
            scores = {name: score for name, score, _ in child.ranked}
    searches = [c for c in step.children if isinstance(c, physical.FullPass | physical.Halving)]
    spec = step.spec
    search = Search(spec, ctx.pool, searches, ctx.emit, ctx.state_writer(spec), ctx.trace)
    answered = all(s.cached for s in searches)
    _await(search.run_here() if answered else search.start(), step.wait, ctx)
    result = _ranking_result(step, search, scan, ("meta_score", scores))
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _benchmark(step: physical.Benchmark, ctx: Context) -> QueryResult:
    started = time.perf_counter()
    ctx.trace.ran(step)
    _candidates(step, ctx)
    run = BenchmarkRun(step, ctx.pool, ctx.emit, ctx.trace)
    _await(run.start(), step.wait, ctx)
    result = run.result()
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _finetune_ranking(step: physical.FinetuneHalving, ctx: Context) -> QueryResult:
    started = time.perf_counter()
    ctx.trace.ran(step)
    _candidates(step, ctx)
    ranking = FinetuneRanking(step, ctx.pool, ctx.emit, ctx.trace)
    _await(ranking.start(), step.wait, ctx)
    result = ranking.result()
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _rank_by_scorer(step: physical.RankByScorer, ctx: Context) -> QueryResult:
    started = time.perf_counter()
    ctx.trace.ran(step)
    scan = _candidates(step, ctx)
    search = ScorerSearch(step, ctx.pool, ctx.emit, ctx.trace)
    answered = all(c.cached for c in step.children if isinstance(c, physical.ScorerPass))
    _await(search.run_here() if answered else search.start(), step.wait, ctx)
    result = scorer_result(step, search, scan)
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _staged(step: physical.Cascade | physical.Auto, job: StagedJob, ctx: Context) -> QueryResult:
    """A Cascade or AUTO: its stages on the executors, then the ranking they give."""
    started = time.perf_counter()
    ctx.trace.ran(step)
    _await(job.start(), step.wait, ctx)
    result = job.result(step.columns, step.limit)
    ctx.trace.add(step, seconds=time.perf_counter() - started, rows=len(result.names))
    return result


def _await(work: Work, wait: bool, ctx: Context) -> None:
    """Wait for a strategy's work (to the end with WAIT or ANALYZE, else a short while: the
    answer then holds what is known and the work goes on); cancelling the run stops it."""
    wait = wait or ctx.analyze
    finished = await_work(work, ctx.cancelled, None if wait else ctx.no_wait_seconds)
    if finished and work.error is not None:
        raise work.error


def _ranking_result(
    step: physical.Rank | physical.MetaLearned,
    search: Search,
    scan: physical.MetadataScan,
    extra: tuple[str, Mapping[str, Any]] | None = None,
) -> QueryResult:
    """Rows grouped per proxy, best first, cut to LIMIT; unfinished models are left out.
    `extra`: one more column, by model name (a meta-learned ranking's benchmark score)."""
    spec = step.spec
    sources, headers = output_columns(step.columns, "models")
    rows_by_name: dict[str, Any] = {r["name"]: r for r in scan.rows}
    rows, names = [], []
    for proxy in spec.proxies:
        scores = dict(search.ranking.scores.get(proxy.label, {}))  # a copy: tasks still add
        order = search.ranking.order.get(proxy.label) or best_first(scores, spec.descending)
        order = [n for n in order if n in scores]
        if step.limit is not None:
            order = order[: step.limit]
        for name in order:
            row = rows_by_name[name]
            more = (extra[1].get(name),) if extra else ()
            rows.append((*[row.get(c) for c in sources], proxy.label, scores[name], *more))
            if proxy is spec.proxies[0]:
                names.append(name)
    return QueryResult(
        "models",
        tuple(names),
        (*headers, "proxy", "error", *((extra[0],) if extra else ())),
        tuple(rows),
        0 if search.done.is_set() else max(1, search.ranking.remaining),
    )
