"""ORDER BY FineTune(...): rank by real fine-tuned accuracy, with successive halving over
fine-tuning epochs (the paper had none): every model gets a few epochs, the better half goes on
with twice as many, until the survivors train for the full `epochs`. The rounds and their epochs
are the plan's (`physical.FinetuneHalving`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from shift_search.planner import halving, physical
from shift_search.planner.events import Eliminated, Event, Leaders, TaskFinished
from shift_search.planner.executors import ExecutorPool, TaskOutcome
from shift_search.planner.finetune_cost import DEFAULT_EPOCHS
from shift_search.planner.measurements import Trace
from shift_search.planner.statements import QueryResult
from shift_search.planner.task_aware import best_first
from shift_search.planner.waiting import BackgroundJob, forward_progress
from shift_search.runtime.errors import Cancelled, ShiftError
from shift_search.runtime.proxy_names import FINETUNE
from shift_search.tasks.results import FinetuneResult
from shift_search.tasks.specs import FinetuneTask


class FinetuneRanking(BackgroundJob):
    """Successive halving over fine-tuning epochs, running on the executors in its own thread;
    `result()` says what is known at any time."""

    what = "fine-tune ranking"

    def __init__(
        self,
        step: physical.FinetuneHalving,
        pool: ExecutorPool,
        emit: Callable[[Event], None],
        trace: Trace,
    ) -> None:
        super().__init__(pool)
        self.models = list(step.models)
        self.train, self.test, self.proxy = step.train, step.test, step.proxy
        self.emit, self.limit, self.trace = emit, step.limit, trace
        self.params = dict(step.proxy.params)
        self.params.pop("epochs", DEFAULT_EPOCHS)
        self.rounds = [c for c in step.children if isinstance(c, physical.FinetuneRound)]
        self._errors: dict[str, float] = {}  # the latest error of every model that has one
        self._survivors = [m.name for m in self.models]
        self._eliminated: list[str] = []  # best first

    def result(self) -> QueryResult:
        """Survivors best first, then the eliminated; models without a score yet are left out."""
        with self._lock:
            errors = dict(self._errors)
            survivors = [n for n in self._survivors if n in errors]
            order = best_first({n: errors[n] for n in survivors}, False) + self._eliminated
        batch = self._current_batch()
        if self.limit is not None:
            order = order[: self.limit]
        rows = tuple((name, self.proxy.label, errors[name]) for name in order)
        remaining = 0
        if not self.done.is_set():
            remaining = max(1, batch.remaining if batch is not None else len(self.models))
        return QueryResult("models", tuple(order), ("name", "proxy", "error"), rows, remaining)

    def _work(self) -> None:
        for rnd in self.rounds:
            self.trace.ran(rnd)
            started = time.perf_counter()
            scores = self._round({**self.params, "epochs": rnd.epochs})
            keep = len(self._survivors) if rnd.keep is None else rnd.keep
            kept = halving.eliminate(scores, keep)
            out = [n for n in best_first(scores, False) if n not in kept]
            for name in out:
                self.emit(Eliminated(name, rnd.round, scores[name]))
            with self._lock:
                self._eliminated = out + self._eliminated
                self._survivors = [n for n in self._survivors if n in kept]
            self.emit(Leaders(tuple(kept[:5]), tuple(scores[n] for n in kept[:5])))
            seconds = time.perf_counter() - started
            self.trace.add(rnd, seconds=seconds, rows=len(scores), tasks=len(scores))

    def _round(self, params: dict[str, object]) -> dict[str, float]:
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        models = [m for m in self.models if m.name in self._survivors]
        tasks = [FinetuneTask(m, self.train.record, self.test.record, params) for m in models]
        finished = 0

        def on_result(index: int, outcome: TaskOutcome) -> None:
            nonlocal finished
            if isinstance(outcome, ShiftError):
                return
            error = 1.0 - outcome.of(FinetuneResult).test_accuracy
            with self._lock:
                self._errors[models[index].name] = error
                finished += 1
                done = finished
            self.emit(
                TaskFinished(
                    "", models[index].name, FINETUNE, error, outcome.from_cache, done, len(models)
                )
            )

        self._submit(tasks, on_result, forward_progress(self.emit, [m.name for m in models]))
        return {m.name: self._errors[m.name] for m in models}
