"""Runs a SHiFT-QL script statement by statement and streams what happens.

parse → bind → plan → execute, one driver for every statement kind.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, assert_never

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord
from shift_search.cache.stored import HalvingState, QueryLogEntry
from shift_search.parser import ast, format_statement, parse
from shift_search.planner import analyze, benchmark, explain_script, registration, task_aware
from shift_search.planner.authorization import authorize_script
from shift_search.planner.benchmark import Benchmark
from shift_search.planner.binder import Binder, BoundTable
from shift_search.planner.cached import stored_work
from shift_search.planner.events import (
    Event,
    Finished,
    Note,
    PlanInfo,
    Planned,
    Table,
)
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.finetune_ranking import FinetuneRanking
from shift_search.planner.finetuning import run_finetune
from shift_search.planner.plans import Planner, candidates, check_metadata_columns, is_task_aware
from shift_search.planner.profiling import profiled
from shift_search.planner.session import Session, Sessions, Variable, VariableKind
from shift_search.planner.statements import QueryResult, combine, metadata_select, output_columns
from shift_search.planner.waiting import await_work
from shift_search.runtime.errors import Cancelled, FailedPrecondition, ShiftError

log = logging.getLogger("shift.planner")

NO_WAIT_SECONDS = float(os.environ.get("SHIFT_NO_WAIT_SECONDS", "2.0"))


@dataclass
class Run:
    """One script being executed for one client."""

    session: Session
    binder: Binder
    emit: Callable[[Event], None]
    cancelled: threading.Event
    analyze: bool = False
    statement: int = 0


class Coordinator:
    """The planner's core: transport-free; `service.py` only converts its events."""

    def __init__(self, cache: CacheClient, executors: ExecutorPool, sessions: Sessions) -> None:
        self.cache = cache
        self.executors = executors
        self.sessions = sessions

    def execute(
        self,
        text: str,
        session_id: str = "",
        source: str = "<query>",
        cancelled: threading.Event | None = None,
    ) -> Iterator[tuple[int, Event]]:
        """Parse and run every statement; yields (statement index, event)."""
        script = parse(text, source)
        authorize_script(script)
        session = self.sessions.open(session_id)
        cancelled = cancelled or threading.Event()
        for stmt in script.statements:
            yield from self._statement(stmt, session, cancelled)

    def explain(self, text: str, session_id: str = "") -> list[PlanInfo]:
        """Plans of a script's statements, run nowhere; variables it declares are bound as
        `explain_script` says, in a copy of the session (EXPLAIN declares nothing)."""
        script = parse(text)
        session = self.sessions.open(session_id)
        scratch = Session(session.id, dict(session.variables))
        run = Run(scratch, self._binder(scratch), lambda e: None, threading.Event())
        return explain_script.plans(
            script.statements, run.binder, lambda query: self._plan(query, run)
        )

    def _binder(self, session: Session) -> Binder:
        return Binder(self.cache, session, self.describe)

    def describe(self, record: DatasetRecord) -> DatasetRecord:
        """Read a dataset once on an executor: sizes, fingerprints, classes."""
        return self.executors.describe(record)

    def _statement(
        self, stmt: ast.Statement, session: Session, cancelled: threading.Event
    ) -> Iterator[tuple[int, Event]]:
        """Run one statement on a worker thread; stream its events as they come."""
        events: queue.Queue[Event | BaseException | None] = queue.Queue()
        run = Run(session, self._binder(session), events.put, cancelled, statement=stmt.index)
        started = time.perf_counter()

        def work() -> None:
            outcome: dict[str, object] = {}
            try:
                remaining = self._run(stmt, run)
                outcome["remaining_tasks"] = remaining
                events.put(Finished(remaining, time.perf_counter() - started))
            except BaseException as err:  # delivered to the caller's thread
                outcome["error"] = getattr(getattr(err, "code", None), "name", type(err).__name__)
                events.put(err)
            finally:
                self._record(stmt, session, time.perf_counter() - started, outcome)
                events.put(None)

        threading.Thread(target=work, name=f"stmt-{stmt.index}", daemon=True).start()
        while True:
            item = events.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield stmt.index, item

    def _record(
        self, stmt: ast.Statement, session: Session, seconds: float, outcome: dict[str, object]
    ) -> None:
        """Append the statement to the query history (never fails the query)."""
        entry = QueryLogEntry.from_dict(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "session": session.id,
                "statement": format_statement(stmt),
                "kind": type(stmt).__name__,
                "seconds": round(seconds, 3),
                **outcome,
            }
        )
        try:
            self.cache.append_history(entry.to_json())
        except ShiftError as err:
            log.warning("query history not written: %s", err.message)

    # --- statements -------------------------------------------------------------------------

    def _run(self, stmt: ast.Statement, run: Run) -> int:
        """Execute one statement; returns the number of tasks still running."""
        match stmt:
            case ast.Select() | ast.SetOperation() | ast.Rank() | ast.SelectVec():
                result = self._query(stmt, run)
                self._show(result, run, format_statement(stmt).splitlines()[0])
                return result.remaining_tasks
            case ast.Declare(name=name, query=query):
                result = self._query(query, run)
                kind: VariableKind = "datasets" if result.kind == "datasets" else "models"
                run.session.declare(Variable(name, kind, result.names, query))
                run.emit(Note(f"{name} := {len(result.names)} {result.kind}"))
                return result.remaining_tasks
            case ast.RegisterDataset():
                record = self.cache.register_dataset(registration.dataset_record(stmt))
                run.emit(Note(f'registered dataset "{record.name}"'))
                return 0
            case ast.RegisterModel():
                model = self.cache.register_model(registration.model_record(stmt))
                run.emit(Note(f'registered model "{model.name}"'))
                return 0
            case ast.DropDataset() | ast.DropModel():
                raise FailedPrecondition(f"{format_statement(stmt)}: DROP is not supported yet")
            case ast.Explain(mode=mode, query=query):
                return self._explain(mode, query, run)
            case ast.Finetune():
                return run_finetune(
                    stmt, run.binder, self.executors, run.emit, run.cancelled, NO_WAIT_SECONDS
                )
            case ast.Use(target=target):
                run.emit(Note(f"USE {target}: the client connects to a server; nothing to do here"))
                return 0
            case ast.Print(variable=variable):
                self._print(variable, run)
                return 0
            case ast.Purge():
                deleted = self.cache.purge()
                run.emit(Note(f"purged {deleted} cached results and features (catalog kept)"))
                return 0
            case _:
                assert_never(stmt)

    def _show(self, result: QueryResult, run: Run, title: str) -> None:
        run.emit(Table(title, result.columns, result.rows, result.remaining_tasks))

    def _print(self, variable: str | None, run: Run) -> None:
        names = [variable] if variable else sorted(run.session.variables)
        rows = []
        for name in names:
            var = run.session.get(name)
            rows.append((var.name, var.kind, ", ".join(var.members)))
        run.emit(Table("variables", ("variable", "kind", "members"), tuple(rows)))

    def _query(self, query: ast.Query, run: Run) -> QueryResult:
        if run.cancelled.is_set():
            raise Cancelled("query cancelled")
        match query:
            case ast.Select():
                return self._select(query, run)
            case ast.SetOperation(op=op, left=left, right=right):
                return combine(op, self._query(left, run), self._query(right, run))
            case ast.VariableRef(name=name):
                var = run.session.get(name)
                return self._query(var.query, run)
            case ast.Rank() | ast.SelectVec():
                raise FailedPrecondition(
                    f"{type(query).__name__.upper()} statements are not supported yet"
                )
            case _:
                assert_never(query)

    def _select(self, select: ast.Select, run: Run) -> QueryResult:
        table, rows = _bind(select, run)
        if not is_task_aware(select):
            check_metadata_columns(select, table, run.binder)
            return metadata_select(select, table, rows)
        models = candidates(table, rows)
        proxies = task_aware.proxies_of(select)  # bound before any work
        if not models:
            return QueryResult("models", (), ("name",), ())
        models = profiled(models, self.executors, self.cache, run.emit, run.cancelled)
        if select.test_mode == "BENCHMARK":
            pairs = benchmark.pairs(select, run.binder)
            bench = Benchmark(select, models, proxies[0], pairs, self.executors, run.emit)
            run.emit(Planned(self._planner(run).benchmark(select, models, proxies[0])))
            self._await(bench.start(), select, run)
            return bench.result()
        spec = self._search_spec(select, run, models)
        if proxies[0].name == "finetune":
            ranking = FinetuneRanking(
                models, spec.train, spec.test, proxies[0], self.executors, run.emit, select.limit
            )
            run.emit(Planned(self._planner(run).finetune_ranking(spec, proxies[0])))
            self._await(ranking.start(), select, run)
            return ranking.result()
        stored = stored_work(self.cache, spec)
        info, decision = task_aware.plan(spec, self.executors.capacity(), stored)
        run.emit(Planned(info))
        search = task_aware.Search(
            spec, self.executors, decision, run.emit, self._state_writer(spec)
        ).start()
        self._await(search, select, run)
        if run.analyze:
            _attach_measured(info, search.measured)
            _attach_task_seconds(info, search.task_seconds)
        return _ranking_result(select, spec, search, table)

    def _await(
        self, work: Benchmark | FinetuneRanking | task_aware.Search, select: ast.Select, run: Run
    ) -> None:
        """Wait for a strategy's work (to the end with WAIT or ANALYZE, else a short while: the
        answer then holds what is known and the work goes on); cancelling the run stops it."""
        wait = select.wait or run.analyze
        finished = await_work(work, run.cancelled, None if wait else NO_WAIT_SECONDS)
        if finished and work.error is not None:
            raise work.error

    def _state_writer(self, spec: task_aware.SearchSpec) -> task_aware.StateWriter:
        """Where a successive-halving run records its rounds (survivors, scores)."""
        run_id = task_aware.run_id(spec)

        def write(state: HalvingState) -> None:
            try:
                self.cache.put_values({keys.sh_state(run_id): state.to_json()})
            except ShiftError as err:
                log.warning("successive-halving state not written: %s", err.message)

        return write

    def _search_spec(
        self, select: ast.Select, run: Run, models: list[Any]
    ) -> task_aware.SearchSpec:
        if select.trained_on is None or select.tested_on is None:
            raise FailedPrecondition("a task-aware ranking needs both TRAINED ON and TESTED ON")
        descending = bool(select.order and select.order.descending)
        if select.order is not None and isinstance(select.order.key, ast.ProxyErr):
            descending = select.order.descending != (select.order.key.metric == "acc")
        return task_aware.SearchSpec(
            models=models,
            train=run.binder.dataset(select.trained_on),
            test=run.binder.dataset(select.tested_on),
            proxies=task_aware.proxies_of(select),
            chunk=None if select.chunk in (None, "AUTO") else int(select.chunk),
            budget=None if select.budget in (None, "AUTO") else int(select.budget),
            descending=descending,
        )

    def _planner(self, run: Run) -> Planner:
        return Planner(
            run.binder,
            self.executors.capacity(),
            lambda select, models: self._search_spec(select, run, models),
            self.cache,
        )

    def _plan(self, query: ast.Query | ast.Finetune, run: Run) -> PlanInfo:
        """The priced plan of a query as it would run now (cached work costs nothing)."""
        return self._planner(run).plan(query)

    def _explain(self, mode: str, query: ast.Query | ast.Finetune, run: Run) -> int:
        if mode != "ANALYZE" or isinstance(query, ast.Finetune):
            info = self._plan(query, run)
            run.emit(Planned(info))
            run.emit(Note(info.render()))
            return 0
        run.analyze = True
        captured: list[PlanInfo] = []
        emit = run.emit

        def capture(event: Event) -> None:
            if isinstance(event, Planned):
                captured.append(event.plan)
            emit(event)

        run.emit = capture
        estimate = self._plan(query, run)  # shown when the run itself plans nothing
        started = time.perf_counter()
        try:
            result = self._query(query, run)
        finally:
            run.emit, run.analyze = emit, False
        if not captured:
            analyze.attach_whole_run(estimate, time.perf_counter() - started)
            captured.append(estimate)
        self._show(result, run, "EXPLAIN ANALYZE")
        for info in captured:  # again, now with measured seconds beside the estimates
            run.emit(Planned(info))
            run.emit(Note(info.render()))
        return result.remaining_tasks


def _bind(select: ast.Select, run: Run) -> tuple[BoundTable, list[dict[str, Any]]]:
    """The table a SELECT reads and its rows that pass the WHERE clause."""
    table = run.binder.table(select.table)
    return table, run.binder.filter(select, table)


def _attach_measured(info: PlanInfo, measured: analyze.Measured) -> None:
    """Put measured seconds beside every estimated step (see `analyze`)."""
    analyze.attach(info, measured)


def _attach_task_seconds(info: PlanInfo, seconds: dict[str, float]) -> None:
    """Where the executors' time went, summed over the tasks that ran (EXPLAIN ANALYZE)."""
    total = seconds.get("task", 0.0)
    if total <= 0:
        return
    phases = {k: v for k, v in seconds.items() if k != "task"}
    parts = [f"{name} {s:.2f}s" for name, s in sorted(phases.items(), key=lambda kv: -kv[1])]
    parts.append(f"other {max(total - sum(phases.values()), 0.0):.2f}s")
    info.decisions["executor time"] = f"{total:.2f}s in tasks: " + ", ".join(parts)


def _ranking_result(
    select: ast.Select, spec: task_aware.SearchSpec, search: task_aware.Search, table: Any
) -> QueryResult:
    """Rows grouped per proxy, best first, cut to LIMIT; unfinished models are left out."""
    sources, headers = output_columns(select.columns, "models")
    rows, names = [], []
    for proxy in spec.proxies:
        scores = dict(search.ranking.scores.get(proxy.label, {}))  # a copy: tasks still add
        order = search.ranking.order.get(proxy.label) or task_aware.best_first(
            scores, spec.descending
        )
        order = [n for n in order if n in scores]
        if select.limit is not None:
            order = order[: select.limit]
        for name in order:
            row = next(r for r in table.rows if r["name"] == name)
            rows.append((*[row.get(c) for c in sources], proxy.label, scores[name]))
            if proxy is spec.proxies[0]:
                names.append(name)
    if not search.done.is_set() and not names and not rows:
        pass
    return QueryResult(
        "models",
        tuple(names),
        (*headers, "proxy", "error"),
        tuple(rows),
        0 if search.done.is_set() else max(1, search.ranking.remaining),
    )
