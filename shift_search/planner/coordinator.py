"""Runs a SHiFT-QL script statement by statement and streams what happens.

parse → bind → plan → execute, one driver for every statement kind.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import assert_never

from shift_search.cache import keys
from shift_search.cache.benchmark_results import Added, add_results, check_results
from shift_search.cache.calls import CacheCalls
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.stored import BenchmarkResult, HalvingState, QueryLogEntry
from shift_search.parser import ast, format_statement
from shift_search.planner import explain_script, physical, registration, task_aware
from shift_search.planner.authorization import authorize_script
from shift_search.planner.auto_plan import priced_as_run
from shift_search.planner.binder import Binder
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetaLearned,
    BoundRanking,
    BoundScorerRanking,
    BoundSetOperation,
    BoundSimilarity,
    BoundStatement,
    BoundVariable,
    SearchSpec,
)
from shift_search.planner.cached import (
    StoredWork,
    read_stored_work,
    scorer_rankings_of,
    searches_of,
    similarities_of,
)
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.convert import plan_json
from shift_search.planner.events import Event, Finished, Note, Planned, Table
from shift_search.planner.execution import Context, execute_finetune, execute_query
from shift_search.planner.executors import Devices, ExecutorPool, QueueStatus
from shift_search.planner.explain_text import render
from shift_search.planner.measurements import Trace
from shift_search.planner.meta_embeddings import read_embeddings
from shift_search.planner.model_registration import register_model
from shift_search.planner.optimizer import CostModel, optimize
from shift_search.planner.parsing import InProcessParser, ScriptParser
from shift_search.planner.plan_memo import Made, PlanMemo
from shift_search.planner.profiling import profiled
from shift_search.planner.session import Session, Sessions, Variable, VariableKind
from shift_search.planner.similarity import embed
from shift_search.planner.statements import QueryResult
from shift_search.planner.waiting import await_work
from shift_search.runtime.callers import Role, require
from shift_search.runtime.daemon_threads import DaemonThreads
from shift_search.runtime.errors import Cancelled, FailedPrecondition, NotFound, ShiftError

log = logging.getLogger("shift.planner")

NO_WAIT_SECONDS = float(os.environ.get("SHIFT_NO_WAIT_SECONDS", "2.0"))
PLANNING_TURNS = int(os.environ.get("SHIFT_PLANNING_TURNS", "0")) or os.cpu_count() or 1
"""Statements planned (and, when the cache answers them whole, run) at once. It is CPU work
under the GIL: more at once only adds switches between the RPC threads, and the thread that
sends every stream's messages waits its turn behind them (32 clients cost 1.6x the CPU per
query of one, with 32 turns). A statement waiting on executors holds no turn."""


class _AtOnce(enum.Enum):
    """How a statement runs, decided by planning it: here, answered by the cache (ANSWERED) or
    failing (FAILED), or on a statement thread while it waits on executors (NO)."""

    ANSWERED = "answered"
    FAILED = "failed"
    NO = "no"


@dataclass
class Run:
    """One statement being executed for one client."""

    session: Session
    make_binder: Callable[[], Binder]
    emit: Callable[[Event], None]
    cancelled: threading.Event
    trace: Trace = field(default_factory=Trace)
    analyze: bool = False
    statement: int = 0
    planned: tuple[ast.Query | ast.Finetune, physical.Plan, Devices] | None = None
    """A plan made before the statement ran, for this statement (not planned again)."""
    _binder: Binder | None = None

    @property
    def binder(self) -> Binder:
        """Names bound against the catalog as it is when the statement first needs it."""
        if self._binder is None:
            self._binder = self.make_binder()
        return self._binder


@dataclass
class Profiling:
    """A statement and its plan after profiling: the models measured, and how long it took."""

    bound: BoundStatement
    plan: physical.Plan
    measured: list[ModelRecord] = field(default_factory=list)
    seconds: float = 0.0


class HandOff(enum.Enum):
    """What `Coordinator.execute` yields before it first blocks: the caller may have run it so
    far on a thread that must not block (the public port's event loop), and moves the rest of
    it to a worker thread now; a caller on a worker thread ignores it."""

    HAND_OFF = "hand off"


HAND_OFF = HandOff.HAND_OFF
EventBatch = list[tuple[int, Event]]


class Coordinator:
    """The planner's core: transport-free; `service.py` only converts its events."""

    def __init__(
        self,
        cache: CacheCalls,
        executors: ExecutorPool,
        sessions: Sessions,
        parser: ScriptParser | None = None,
        *,
        inline: bool = False,
    ) -> None:
        """`inline`: nothing the parser, the cache or the work queue answers waits on a network
        (in-process parser, embedded SQLite store, in-process queue), so `execute` may parse
        and answer statements on the caller's thread until its first `HAND_OFF`."""
        self.cache = cache
        self.executors = executors
        self.sessions = sessions
        self.parser = parser or InProcessParser()
        self.inline = inline
        self._threads = DaemonThreads("statement")
        self._plans = PlanMemo()
        self._turns = threading.BoundedSemaphore(PLANNING_TURNS)

    def execute(
        self,
        text: str,
        session_id: str = "",
        source: str = "<query>",
        cancelled: threading.Event | None = None,
    ) -> Iterator[EventBatch | HandOff]:
        """Parse and run every statement; yields the (statement index, event) pairs that are
        ready together, in order (one list for a statement answered at once), and `HAND_OFF`
        before anything that may block: a call to a remote parser or cache, a statement that
        waits on executors. What comes before it is CPU work on in-process state."""
        if not self.inline:
            yield HAND_OFF
        script = self.parser.parse(text, source)
        authorize_script(script)
        session = self.sessions.open(session_id)
        cancelled = cancelled or threading.Event()
        for stmt in script.statements:
            yield from self._statement(stmt, session, cancelled)

    def explain(self, text: str, session_id: str = "") -> list[physical.Plan]:
        """Plans of a script's statements, run nowhere; variables it declares are bound as
        `explain_script` says, in a copy of the session (EXPLAIN declares nothing)."""
        script = self.parser.parse(text)
        session = self.sessions.open(session_id)
        scratch = Session(session.id, dict(session.variables))
        binder = self._binder(scratch)
        return explain_script.plans(script.statements, binder, lambda q: self._plan(q, binder))

    def _binder(self, session: Session) -> Binder:
        return Binder(CatalogSnapshot.read(self.cache), session)

    def add_benchmark_results(self, results: Sequence[BenchmarkResult], origin: str) -> Added:
        """Store fine-tuning runs in benchmark_results (writer role), all or none."""
        require(Role.WRITER, "adding benchmark results")
        check_results(results, origin)
        added = add_results(self.cache, results)
        log.info(
            "benchmark results from %s: %d added, %d replaced, %d unchanged",
            origin or "<request>",
            added.added,
            added.replaced,
            added.unchanged,
        )
        return added

    def describe(
        self, record: DatasetRecord, cancelled: threading.Event | None = None
    ) -> DatasetRecord:
        """Read a dataset once on an executor: sizes, fingerprints, classes (a task on the work
        queue, waiting for an executor unless `cancelled`)."""
        return self.executors.describe(record, cancelled)

    def status(self) -> QueueStatus:
        """The work queue's length and the executors heart-beating on it."""
        return self.executors.status()

    def _statement(
        self, stmt: ast.Statement, session: Session, cancelled: threading.Event
    ) -> Iterator[EventBatch | HandOff]:
        """Run one statement and stream its events as they come, those that are in together
        as one list: on a worker thread, or, when planning shows it needs no executor (a
        metadata query, a ranking the cache answers whole), here, all its events sent in one
        list once it is done (it takes milliseconds; handing it to a thread and its events
        back one by one cost more than running it, and every message streamed costs the
        server a hand-off between threads)."""
        events: queue.Queue[Event | BaseException | None] = queue.Queue()
        binder = functools.partial(self._binder, session)
        run = Run(session, binder, events.put, cancelled, statement=stmt.index)
        started = time.perf_counter()

        def work() -> None:
            outcome: dict[str, object] = {}
            try:
                remaining = self._run(stmt, run)
                outcome["remaining_tasks"] = remaining
                seconds = time.perf_counter() - started
                events.put(Finished(remaining, seconds, tuple(run.trace.executed)))
            except BaseException as err:  # delivered to the caller's thread
                outcome["error"] = getattr(getattr(err, "code", None), "name", type(err).__name__)
                events.put(err)
            finally:
                self._record(stmt, session, time.perf_counter() - started, outcome)
                events.put(None)

        with self._turns:
            at_once = self._answered_at_once(stmt, run)
            if at_once is _AtOnce.ANSWERED:
                work()  # CPU only: nothing waits on an executor
        if at_once is _AtOnce.FAILED:
            work()  # fails the same way, outside the turns (in case it no longer fails)
        elif at_once is _AtOnce.NO:
            yield HAND_OFF  # what follows waits for the statement's thread
            self._threads.run(work)
        while True:
            ready: EventBatch = []
            item = events.get()
            while item is not None and not isinstance(item, BaseException):
                ready.append((stmt.index, item))
                try:
                    item = events.get_nowait()
                except queue.Empty:
                    break
            if ready:
                yield ready
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item

    def _answered_at_once(self, stmt: ast.Statement, run: Run) -> _AtOnce:
        """Whether a query statement's plan needs no executor, planned now (and kept for the
        run, so it is planned once; unless it starts by profiling, which `_planned` runs
        before planning again): metadata, or searches the cache answers whole."""
        match stmt:
            case ast.Select() | ast.SetOperation():
                query: ast.Query = stmt
            case ast.Declare(query=declared):
                query = declared
            case _:
                return _AtOnce.NO
        try:
            plan, devices = self._plan_priced(query, run.binder)
        except Exception:  # it fails at once, the same way (and is recorded), when it runs
            return _AtOnce.FAILED
        if not any(
            isinstance(s, physical.Profile) or _undecided(s) or _awaits_embeddings(s)
            for s in plan.walk()
        ):
            # kept; a plan that profiles, or AUTO's before its evidence, is made again then
            run.planned = (query, plan, devices)
        return _AtOnce.ANSWERED if _answered_by_the_cache(plan) else _AtOnce.NO

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
            case ast.Declare(name=name, query=ast.SelectVec()):
                raise FailedPrecondition(
                    f"DECLARE {name}: SELECT vec answers a distance matrix, not models or "
                    "datasets a variable can hold"
                )
            case ast.Declare(name=name, query=query):
                result = self._query(query, run)
                kind: VariableKind = "datasets" if result.kind == "datasets" else "models"
                run.session.declare(Variable(name, kind, result.names, query))
                run.emit(Note(f"{name} := {len(result.names)} {result.kind}"))
                return result.remaining_tasks
            case ast.RegisterDataset():
                self._note_devices(run)
                described = self.describe(registration.dataset_record(stmt), run.cancelled)
                record = self.cache.register_dataset(described)
                run.emit(Note(f'registered dataset "{record.name}"'))
                return 0
            case ast.RegisterModel():
                wanted = registration.model_record(stmt)
                model, how = register_model(wanted, self.cache, self.executors, run.cancelled)
                run.emit(Note(f'registered model "{model.name}" ({how})'))
                return 0
            case ast.DropDataset() | ast.DropModel():
                self._drop(stmt, run)
                return 0
            case ast.Explain(mode=mode, query=query):
                return self._explain(mode, query, run)
            case ast.Finetune():
                plan = self._planned(stmt, run)
                return execute_finetune(plan, self._context(run))
            case ast.Use(target=target):
                run.emit(Note(f"USE {target}: the client connects to a server; nothing to do here"))
                return 0
            case ast.Print(variable=variable):
                self._print(variable, run)
                return 0
            case ast.Purge():
                deleted = self.cache.purge()
                self.executors.forget_results()  # or a finished task would be answered again
                run.emit(Note(f"purged {deleted} cached results and features (catalog kept)"))
                return 0
            case _:
                assert_never(stmt)

    def _drop(self, stmt: ast.DropDataset | ast.DropModel, run: Run) -> None:
        """Unregister a model or dataset: its catalog entry goes; what was derived from it
        (features, results, benchmark results) stays, keyed by content, until PURGE or
        eviction, so registering the same model or data again finds it."""
        snapshot = CatalogSnapshot.read(self.cache)
        noun = "model" if isinstance(stmt, ast.DropModel) else "dataset"
        try:
            record = snapshot.model(stmt.name) if noun == "model" else snapshot.dataset(stmt.name)
        except NotFound:
            if not stmt.if_exists:
                raise
            run.emit(Note(f'no {noun} "{stmt.name}": nothing dropped (IF EXISTS)'))
            return
        deleted = (
            self.cache.delete_model(record.name)
            if noun == "model"
            else self.cache.delete_dataset(record.name)
        )
        if not deleted and not stmt.if_exists:  # dropped by someone else meanwhile
            raise NotFound(f'unknown {noun} "{stmt.name}"')
        run.emit(
            Note(
                f'dropped {noun} "{record.name}" (its cached features and results stay until '
                "PURGE or eviction)"
            )
        )

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
        """Plan a query once and execute that plan."""
        if run.cancelled.is_set():
            raise Cancelled("query cancelled")
        return execute_query(self._planned(query, run), self._context(run))

    def _context(self, run: Run) -> Context:
        return Context(
            self.executors,
            run.emit,
            run.cancelled,
            run.trace,
            NO_WAIT_SECONDS,
            self._state_writer,
            run.analyze,
            self.cache.get_blob,
        )

    # --- planning ------------------------------------------------------------------------------

    def _bind(self, statement: ast.Query | ast.Finetune, binder: Binder) -> BoundStatement:
        """The statement bound against the catalog snapshot; the Task2Vec embeddings it needs
        are read from the cache as stored work (`meta_embeddings`)."""
        if isinstance(statement, ast.Finetune):
            return binder.finetune(statement)
        return read_embeddings(self.cache, binder.query(statement))

    def _plan(self, statement: ast.Query | ast.Finetune, binder: Binder) -> physical.Plan:
        """The plan of a statement as it would run now: bound against the catalog snapshot,
        priced with what the cache holds (EXPLAIN; nothing runs)."""
        return self._plan_priced(statement, binder)[0]

    def _plan_priced(
        self, statement: ast.Query | ast.Finetune, binder: Binder
    ) -> tuple[physical.Plan, Devices]:
        """`_plan`, with the devices it was priced for."""
        key = PlanMemo.key(statement, binder.session, self.cache.generation())
        made = self._plans.made(key, lambda: self._made(statement, binder))
        costs, devices = self._costs(made.bound)
        plan = self._plans.plan(
            made, devices, lambda: _noted(optimize(made.bound, made.stored, costs), devices)
        )
        return plan, devices

    def _made(self, statement: ast.Query | ast.Finetune, binder: Binder) -> Made:
        bound = self._bind(statement, binder)
        return Made(bound, read_stored_work(self.cache, bound))

    def _planned(self, statement: ast.Query | ast.Finetune, run: Run) -> physical.Plan:
        """The plan a statement executes: planned once; when it starts by profiling models
        whose costs are unknown, that step runs and the rest is planned once more with the
        measured costs. A plan with work for the executors is announced (Planned)."""
        if run.planned is not None and run.planned[0] is statement:
            _, plan, devices = run.planned
            run.planned = None
            if devices.assumed:
                run.emit(Note(f"devices: {devices.note}"))
            if _runs_on_executors(plan):
                run.emit(Planned(plan))
            return plan
        bound = self._bind(statement, run.binder)
        stored = read_stored_work(self.cache, bound)
        costs, devices = self._costs(bound)
        if devices.assumed:
            run.emit(Note(f"devices: {devices.note}"))
        plan = _noted(optimize(bound, stored, costs), devices)
        profiling = self._profiled(plan, bound, stored, costs, devices, run)
        bound, plan = profiling.bound, profiling.plan
        if any(_awaits_embeddings(s) for s in plan.walk()):
            bound, plan = self._embedded(plan, profiling, costs, devices, run)
        if any(_undecided(s) for s in plan.walk()):
            plan = _noted(self._decided(plan, bound, costs, run), devices)
        for step in plan.walk():  # profiling ran before the plan the statement executes
            if isinstance(step, physical.Profile):
                run.trace.ran(step)
                count = len(step.models)
                run.trace.add(step, seconds=profiling.seconds, rows=count, tasks=count)
        if _runs_on_executors(plan):
            run.emit(Planned(plan))
        return plan

    def _profiled(
        self,
        plan: physical.Plan,
        bound: BoundStatement,
        stored: StoredWork,
        costs: CostModel,
        devices: Devices,
        run: Run,
        before: Profiling | None = None,
    ) -> Profiling:
        """When the plan starts by profiling models whose costs are unknown: profile them, and
        plan once more with the measured costs (`before`: what was profiled already)."""
        done = before or Profiling(bound, plan)
        profiles = [s for s in plan.walk() if isinstance(s, physical.Profile)]
        models = list({m.name: m for p in profiles for m in p.models}.values())
        known = {m.name for m in done.measured}
        models = [m for m in models if m.name not in known]
        if not models:
            return Profiling(bound, plan, done.measured, done.seconds)
        started = time.perf_counter()
        measured = profiled(models, self.executors, self.cache, run.emit, run.cancelled)
        seconds = done.seconds + time.perf_counter() - started
        measured = [*done.measured, *measured]
        bound = _with_models(bound, measured)
        return Profiling(bound, _noted(optimize(bound, stored, costs), devices), measured, seconds)

    def _embedded(
        self,
        plan: physical.Plan,
        profiling: Profiling,
        costs: CostModel,
        devices: Devices,
        run: Run,
    ) -> tuple[BoundStatement, physical.Plan]:
        """MetaLearned with Task2Vec similarity decides its shortlist from the embeddings:
        compute those the cache lacks, then plan once more, now reading them from the cache
        (the final plan shows them cached and its shortlist decided; their measured seconds
        and tasks go to its embedding steps, as AUTO's evidence does). The shortlist's models
        are profiled then, if their costs are unknown."""
        started = time.perf_counter()
        scratch = Trace()
        spent: dict[str, float] = {}
        for step in plan.walk():
            if not isinstance(step, physical.MetaLearned) or step.probe is None:
                continue
            todo = [
                c for c in step.children if isinstance(c, physical.TaskEmbedding) and not c.cached
            ]
            if todo:
                embed(
                    step,
                    step.probe,
                    step.embedding_params,
                    todo,
                    self.executors,
                    run.emit,
                    run.cancelled,
                    scratch,
                )
                spent |= {e.key: scratch.seconds(e) or 0.0 for e in todo}
        seconds = time.perf_counter() - started
        bound = profiling.bound
        assert not isinstance(bound, BoundFinetune)
        bound = _with_models(read_embeddings(self.cache, bound), profiling.measured)
        stored = read_stored_work(self.cache, bound)
        plan = _noted(optimize(bound, stored, costs), devices)
        after = self._profiled(plan, bound, stored, costs, devices, run, profiling)
        profiling.seconds, profiling.measured = after.seconds, after.measured
        bound, plan = after.bound, after.plan
        if any(_awaits_embeddings(s) for s in plan.walk()):
            raise FailedPrecondition(
                "the Task2Vec embeddings MetaLearned needs were computed but are no longer in "
                "the cache (evicted at once?); run the statement again"
            )
        for step in plan.walk():
            if isinstance(step, physical.TaskEmbedding) and step.key in spent:
                run.trace.ran(step)  # it ran: the final plan reads it from the cache
                run.trace.add(step, seconds=spent[step.key], rows=1, tasks=1)
            elif isinstance(step, physical.MetaLearned):
                run.trace.ran(step)  # its measured time includes its embeddings'
                run.trace.add(step, seconds=seconds)
        return bound, plan

    def _decided(
        self, plan: physical.Plan, bound: BoundStatement, costs: CostModel, run: Run
    ) -> physical.Plan:
        """AUTO chooses from evidence: run the evidence of every undecided AUTO step, then plan
        once more, now with the evidence in the cache (the final plan reads it from there and
        shows the choice); the evidence's seconds go to the final plan's evidence steps, and
        under EXPLAIN ANALYZE so do its estimates from before it ran."""
        started = time.perf_counter()
        ran: list[physical.Estimate] = []
        for step in plan.walk():
            if isinstance(step, physical.Auto) and _undecided(step):
                searches = [c for c in step.children if isinstance(c, physical.FullPass)]
                ran += [s.estimate for s in searches]
                evidence = task_aware.Search(step.spec, self.executors, searches, run.emit)
                await_work(evidence.start(), run.cancelled, None)
                if evidence.error is not None:
                    raise evidence.error
        seconds = time.perf_counter() - started
        decided = optimize(bound, read_stored_work(self.cache, bound), costs)
        if run.analyze:  # the estimates set beside the measurements are the ones that ran
            decided = priced_as_run(decided, ran)
        estimates = [e.seconds for e in ran]
        roots = [s for s in decided.walk() if isinstance(s, physical.Auto)]
        final = [c for s in roots for c in s.children if isinstance(c, physical.FullPass)]
        total = sum(estimates) or float(len(final)) or 1.0
        for step, share in zip(final, estimates or [1.0] * len(final), strict=False):
            run.trace.ran(step)  # it ran: the final plan reads its results from the cache
            run.trace.add(step, seconds=seconds * share / total)
        for root in roots:  # its measured time includes the evidence's
            run.trace.ran(root)
            run.trace.add(root, seconds=seconds / len(roots))
        return decided

    def _costs(self, bound: BoundStatement) -> tuple[CostModel, Devices]:
        """The cost model and the devices it prices for: the live executors' slots, asked for
        only when the statement uses executors (else one, not assumed)."""
        uses_executors = isinstance(bound, BoundFinetune) or _uses_executors(bound)
        devices = self.executors.devices() if uses_executors else Devices(1)
        return CostModel(devices.count), devices

    def _note_devices(self, run: Run) -> None:
        """Say so when no executor is alive: the statement's tasks wait for one."""
        devices = self.executors.devices()
        if devices.assumed:
            run.emit(Note(f"executors: {devices.note}"))

    def _state_writer(self, spec: SearchSpec) -> task_aware.StateWriter:
        """Where a successive-halving run records its rounds (survivors, scores)."""

        def write(state: HalvingState) -> None:
            try:
                key = keys.sh_state(task_aware.run_id(spec))
                self.cache.put_values({key: state.to_json()})
            except ShiftError as err:
                log.warning("successive-halving state not written: %s", err.message)

        return write

    def _explain(self, mode: str, query: ast.Query | ast.Finetune, run: Run) -> int:
        if mode != "ANALYZE":
            plan = self._plan(query, run.binder)
            run.emit(Planned(plan))
            text = render(plan) if mode != "JSON" else json.dumps(plan_json(plan), indent=2)
            run.emit(Note(text))
            return 0
        run.analyze = True
        try:
            if isinstance(query, ast.Finetune):
                plan = self._planned(query, run)
                remaining = execute_finetune(plan, self._context(run))
            else:
                plan = self._planned(query, run)
                result = execute_query(plan, self._context(run))
                remaining = result.remaining_tasks
                self._show(result, run, "EXPLAIN ANALYZE")
        finally:
            run.analyze = False
        analyzed = run.trace.annotated(plan)
        run.emit(Planned(analyzed, run.trace))  # again, now with what every step measured
        run.emit(Note(render(analyzed, run.trace)))
        return remaining


def _noted(plan: physical.Plan, devices: Devices) -> physical.Plan:
    """The plan with the devices it was priced for marked as assumed (EXPLAIN shows it) when
    no executor was alive to count."""
    if not devices.assumed:
        return plan
    return plan.noted([("devices", f"{devices.count} ({devices.note})")])


def _uses_executors(bound: BoundStatement) -> bool:
    return bool(
        searches_of(bound) or scorer_rankings_of(bound) or similarities_of(bound)
    ) or _finetunes(bound)


def _undecided(step: physical.Step) -> bool:
    """An AUTO step whose strategy waits for its evidence."""
    return isinstance(step, physical.Auto) and any(
        isinstance(c, physical.StrategyChoice) and c.chosen is None for c in step.children
    )


def _awaits_embeddings(step: physical.Step) -> bool:
    """A MetaLearned shortlist that waits for Task2Vec embeddings (`Coordinator._embedded`)."""
    return isinstance(step, physical.MetaShortlist) and not step.decided


def _finetunes(bound: BoundStatement) -> bool:
    match bound:
        case BoundFinetuneRanking() | BoundAuto():
            return True
        case BoundCascade():
            return bound.finetune is not None
        case BoundSetOperation(left=left, right=right):
            return _finetunes(left) or _finetunes(right)
        case BoundVariable(query=query):
            return _finetunes(query)
        case _:
            return False


def _with_models(bound: BoundStatement, measured: list[ModelRecord]) -> BoundStatement:
    """The statement with the models' measured costs (the candidates stay as bound)."""
    by_name = {m.name: m for m in measured}
    names = frozenset(by_name)
    match bound:
        case BoundMetaLearned(task2vec=task2vec):
            models = [by_name.get(m.name, m) for m in bound.spec.models]
            meta = bound.with_models(models, names & {m.name for m in models})
            if task2vec is None:
                return meta
            probe = task2vec.probe
            return meta.with_probe(by_name.get(probe.name, probe), names & {probe.name})
        case BoundRanking() | BoundFinetuneRanking() | BoundCascade() | BoundAuto():
            models = [by_name.get(m.name, m) for m in bound.spec.models]
            return bound.with_models(models, names & {m.name for m in models})
        case BoundBenchmark():
            models = [by_name.get(m.name, m) for m in bound.models]
            return bound.with_models(models, names & {m.name for m in models})
        case BoundScorerRanking():
            models = [by_name.get(m.name, m) for m in bound.spec.models]
            return bound.with_models(models, names & {m.name for m in models})
        case BoundSimilarity(probe=probe):
            return bound.with_probe(by_name.get(probe.name, probe), names & {probe.name})
        case BoundSetOperation(left=left, right=right):
            left_ = _with_models(left, measured)
            right_ = _with_models(right, measured)
            return BoundSetOperation(bound.op, left_, right_)  # type: ignore[arg-type]
        case BoundVariable(name=name, query=query):
            return BoundVariable(name, _with_models(query, measured))  # type: ignore[arg-type]
        case _:
            return bound


def _answered_by_the_cache(plan: physical.Plan) -> bool:
    """Whether a plan runs without executors: no profiling, benchmark or fine-tuning, and
    every search read from the cache."""
    for step in plan.walk():
        match step:
            case physical.Profile() | physical.Benchmark() | physical.FinetuneHalving():
                return False
            case physical.Finetune():
                return False
            case physical.FullPass() | physical.Halving() if not step.cached:
                return False
            case physical.TaskEmbedding() if not step.cached:
                return False
    return bool(plan.steps)


def _runs_on_executors(plan: physical.Plan) -> bool:
    """Whether a plan has work for the executors (not only metadata)."""
    work = (
        physical.Rank
        | physical.MetaLearned
        | physical.Benchmark
        | physical.FinetuneHalving
        | physical.Finetune
        | physical.RankByScorer
        | physical.DatasetSimilarity
        | physical.Cascade
        | physical.Auto
    )
    return any(isinstance(s, work) for s in plan.walk())
