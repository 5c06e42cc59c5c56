"""The in-process TaskQueue for the embedded `shift serve` (no Redis): one lock, same rules.

It follows the Redis backend's rules exactly (retries first, queries round-robin, a held model's
tasks first, done task ids answered from their record, reaping after a full silent interval)
so the same contract tests run against both.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace

from shift_search.queue.interface import (
    START,
    QueueTimings,
    check_code,
    check_take,
)
from shift_search.queue.records import (
    Delivery,
    EventKind,
    ExecutorInfo,
    ExecutorStatus,
    Heartbeat,
    QueueEvent,
    QueueStats,
    Task,
)
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

_PURGE_AT = 10_000


@dataclass
class _Entry:
    task: Task
    attempt: int
    handle: str


@dataclass
class _Query:
    waiting: dict[str, deque[_Entry]] = field(default_factory=dict)  # model → not yet taken
    events: list[QueueEvent] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(d) for d in self.waiting.values())


class InProcessQueue:
    """A TaskQueue living in this process; planners and executors are its threads."""

    def __init__(
        self, timings: QueueTimings | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._timings = timings or QueueTimings()
        self._clock = clock
        self._cond = threading.Condition()
        self._queries: dict[str, _Query] = {}
        self._active: OrderedDict[str, None] = OrderedDict()  # queries with waiting tasks
        self._cursor = 0
        self._retry: deque[_Entry] = deque()
        self._held: dict[str, dict[str, _Entry]] = {}
        self._executors: dict[str, tuple[ExecutorStatus, float]] = {}
        self._done: dict[str, tuple[bytes, float]] = {}
        self._cancelled: dict[str, float] = {}
        self._reaped_at: float | None = None
        self._watching_since = 0.0
        self._ids = itertools.count(1)

    @property
    def address(self) -> str:
        return "in-process"

    @property
    def timings(self) -> QueueTimings:
        return self._timings

    # planners
    def enqueue(self, tasks: Sequence[Task]) -> None:
        with self._cond:
            now = self._clock()
            for query_id in {t.query_id for t in tasks}:
                if self._is_cancelled(query_id, now):
                    raise FailedPrecondition(f"queue: query {query_id} was cancelled")
            for query_id in dict.fromkeys(t.query_id for t in tasks):
                self._queries.setdefault(query_id, _Query())
                count = sum(t.query_id == query_id for t in tasks)
                self._emit(query_id, EventKind.QUEUED, "", "", now, message=str(count))
            for task in tasks:
                done = self._done_result(task.task_id, now)
                if done is not None:
                    self._emit(
                        task.query_id,
                        EventKind.RESULT,
                        task.task_id,
                        "",
                        now,
                        payload=done,
                        from_done=True,
                    )
                    continue
                entry = _Entry(task, 1, f"q|{next(self._ids)}")
                query = self._queries[task.query_id]
                query.waiting.setdefault(task.model, deque()).append(entry)
                self._active.setdefault(task.query_id, None)
            self._cond.notify_all()

    def read_events(
        self, query_id: str, after: str = START, timeout: float = 0.0, limit: int = 1000
    ) -> tuple[list[QueueEvent], str]:
        try:
            start = int(after)
        except ValueError:
            raise InvalidArgument(f"queue: bad events cursor {after!r}") from None
        with self._cond:
            deadline = time.monotonic() + timeout
            while True:
                query = self._queries.get(query_id)
                if query is None:
                    raise NotFound(f"queue: no query {query_id} (closed or never enqueued)")
                if len(query.events) > start:
                    events = query.events[start : start + limit]
                    return events, str(start + len(events))
                left = deadline - time.monotonic()
                if left <= 0:
                    return [], str(start)
                self._cond.wait(left)

    def cancel(self, query_id: str) -> int:
        with self._cond:
            now = self._clock()
            self._forget_expired(now)
            self._cancelled[query_id] = now + self._timings.cancel_ttl_seconds
            query = self._queries.get(query_id)
            dropped = query.size() if query else 0
            kept = deque(e for e in self._retry if e.task.query_id != query_id)
            dropped += len(self._retry) - len(kept)
            self._retry = kept
            if query is not None:
                query.waiting.clear()
                self._emit(query_id, EventKind.CANCELLED, "", "", now, message=str(dropped))
            self._active.pop(query_id, None)
            self._cond.notify_all()
            return dropped

    def close_query(self, query_id: str) -> None:
        self.cancel(query_id)
        with self._cond:
            self._queries.pop(query_id, None)
            self._cond.notify_all()

    # executors
    def heartbeat(self, status: ExecutorStatus) -> Heartbeat:
        with self._cond:
            now = self._clock()
            joined = status.executor_id not in self._executors
            self._executors[status.executor_id] = (status, now)
            cancelled = {q for q, _ in status.running if self._is_cancelled(q, now)}
            return Heartbeat(frozenset(cancelled), joined)

    def take(
        self,
        executor_id: str,
        count: int,
        models: Collection[str] = (),
        timeout: float = 0.0,
        holding: Collection[str] | None = None,
    ) -> list[Delivery]:
        check_take(executor_id, count)
        deadline = time.monotonic() + timeout
        wanted = sorted(models)
        with self._cond:
            if holding is not None:
                self._release_unknown(executor_id, set(holding))
            while True:
                taken = self._take_now(executor_id, count, wanted)
                left = deadline - time.monotonic()
                if taken or count == 0 or left <= 0:
                    return taken
                self._cond.wait(left)

    def progress(self, delivery: Delivery, payload: bytes) -> None:
        with self._cond:
            self._emit(
                delivery.task.query_id,
                EventKind.PROGRESS,
                delivery.task.task_id,
                delivery.executor,
                self._clock(),
                attempt=delivery.attempt,
                payload=payload,
            )

    def complete(self, delivery: Delivery, result: bytes) -> bool:
        with self._cond:
            now = self._clock()
            self._held.get(delivery.executor, {}).pop(delivery.handle, None)
            task = delivery.task
            fresh = self._done_result(task.task_id, now) is None
            if fresh:
                self._forget_expired(now)
                self._done[task.task_id] = (result, now + self._timings.done_ttl_seconds)
                self._emit(
                    task.query_id,
                    EventKind.RESULT,
                    task.task_id,
                    delivery.executor,
                    now,
                    attempt=delivery.attempt,
                    payload=result,
                )
            return fresh

    def fail(self, delivery: Delivery, code: str, message: str) -> None:
        check_code(code)
        with self._cond:
            if self._held.get(delivery.executor, {}).pop(delivery.handle, None) is None:
                return  # finished already, or offered again since (its executor was lost)
            self._emit(
                delivery.task.query_id,
                EventKind.FAILED,
                delivery.task.task_id,
                delivery.executor,
                self._clock(),
                attempt=delivery.attempt,
                code=code,
                message=message,
            )

    def release(self, deliveries: Sequence[Delivery]) -> None:
        with self._cond:
            for delivery in deliveries:
                self._release_one(delivery.executor, delivery.handle)
            self._cond.notify_all()

    def _release_one(self, executor_id: str, handle: str) -> None:
        now = self._clock()
        entry = self._held.get(executor_id, {}).pop(handle, None)
        if entry is None or not self._wanted(entry.task.query_id, now):
            return
        self._retry.append(entry)
        self._emit(
            entry.task.query_id,
            EventKind.RELEASED,
            entry.task.task_id,
            executor_id,
            now,
            attempt=entry.attempt,
        )

    def _release_unknown(self, executor_id: str, holding: set[str]) -> None:
        """Hand back what the executor holds but does not know it holds (see `take`)."""
        for handle in [h for h in self._held.get(executor_id, {}) if h not in holding]:
            self._release_one(executor_id, handle)

    def leave(self, executor_id: str) -> None:
        with self._cond:
            self._executors.pop(executor_id, None)
            held = self._held.pop(executor_id, {})
            self._reoffer(executor_id, list(held.values()), self._clock())
            self._cond.notify_all()

    # anyone
    def reap(self) -> int:
        with self._cond:
            now = self._clock()
            previous, self._reaped_at = self._reaped_at, now
            dead_after = self._timings.dead_after_seconds
            if previous is None or now - previous > dead_after:
                self._watching_since = now  # nobody was watching: judge no executor before
                return 0  # it has had a full interval to heart-beat
            if now - self._watching_since < dead_after:
                return 0
            dead = [e for e, (_, seen) in self._executors.items() if now - seen > dead_after]
            offered = 0
            for executor_id in dead:
                del self._executors[executor_id]
                offered += self._reoffer(
                    executor_id, list(self._held.pop(executor_id, {}).values()), now
                )
            if offered:
                self._cond.notify_all()
            return offered

    def executors(self) -> list[ExecutorInfo]:
        with self._cond:
            now = self._clock()
            live = []
            for executor_id, (status, seen) in sorted(self._executors.items()):
                if now - seen > self._timings.dead_after_seconds:
                    continue
                running = tuple(e.task.task_id for e in self._held.get(executor_id, {}).values())
                live.append(
                    ExecutorInfo(
                        executor_id, status.device, status.slots, status.models, running, seen
                    )
                )
            return live

    def stats(self) -> QueueStats:
        with self._cond:
            now = self._clock()
            waiting = len(self._retry) + sum(q.size() for q in self._queries.values())
            running = sum(len(h) for h in self._held.values())
            live = sum(
                now - seen <= self._timings.dead_after_seconds
                for _, seen in self._executors.values()
            )
            return QueueStats(waiting, running, len(self._active), live)

    def forget_done(self) -> int:
        with self._cond:
            forgotten = len(self._done)
            self._done.clear()
            return forgotten

    def close(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # the rules, under the lock
    def _take_now(self, executor_id: str, count: int, models: list[str]) -> list[Delivery]:
        """Retries first, then one task per query in turn from the round-robin cursor."""
        now = self._clock()
        taken: list[Delivery] = []
        if count == 0:
            return taken
        for _ in range(min(count, len(self._retry))):
            self._offer(self._retry.popleft(), executor_id, now, taken)
        queries = list(self._active)
        while len(taken) < count and queries:
            start = self._cursor % len(queries)
            progressed = False
            for query_id in queries[start:] + queries[:start]:
                if len(taken) >= count:
                    break
                entry = self._pop(query_id, models)
                if entry is not None:
                    progressed = True
                    if self._offer(entry, executor_id, now, taken):
                        self._cursor += 1
            if not progressed:
                break
            queries = list(self._active)
        return taken

    def _pop(self, query_id: str, models: list[str]) -> _Entry | None:
        """The query's next task: a held model's first, else the model with most waiting."""
        waiting = self._queries[query_id].waiting
        mine = [m for m in models if waiting.get(m)]
        model = mine[0] if mine else max(waiting, key=lambda m: (len(waiting[m]), m), default=None)
        entry = waiting[model].popleft() if model is not None else None
        for name in [m for m, d in waiting.items() if not d]:
            del waiting[name]
        if not waiting:
            self._active.pop(query_id, None)
        return entry

    def _offer(self, entry: _Entry, executor_id: str, now: float, taken: list[Delivery]) -> bool:
        """Hand `entry` to the executor unless its query is gone or its task already done."""
        task = entry.task
        if not self._wanted(task.query_id, now):
            return False
        done = self._done_result(task.task_id, now)
        if done is not None:
            self._emit(
                task.query_id,
                EventKind.RESULT,
                task.task_id,
                "",
                now,
                attempt=entry.attempt,
                payload=done,
                from_done=True,
            )
            return False
        self._held.setdefault(executor_id, {})[entry.handle] = entry
        self._emit(
            task.query_id, EventKind.TAKEN, task.task_id, executor_id, now, attempt=entry.attempt
        )
        taken.append(Delivery(task, executor_id, entry.attempt, entry.handle, now))
        return True

    def _reoffer(self, executor_id: str, entries: list[_Entry], now: float) -> int:
        offered = 0
        for entry in entries:
            task = entry.task
            if not self._wanted(task.query_id, now) or self._done_result(task.task_id, now):
                continue
            if entry.attempt >= self._timings.max_attempts:
                self._emit(
                    task.query_id,
                    EventKind.FAILED,
                    task.task_id,
                    executor_id,
                    now,
                    attempt=entry.attempt,
                    code="UNAVAILABLE",
                    message=f"queue: task {task.task_id} was lost with "
                    f"{entry.attempt} executor(s), the last {executor_id}; not retried",
                )
                continue
            self._retry.append(replace(entry, attempt=entry.attempt + 1))
            self._emit(
                task.query_id, EventKind.LOST, task.task_id, executor_id, now, attempt=entry.attempt
            )
            offered += 1
        return offered

    def _forget_expired(self, now: float) -> None:
        """Drop expired done records and cancel flags (what Redis's TTLs do), now and then."""
        if len(self._done) + len(self._cancelled) < _PURGE_AT:
            return
        self._done = {k: v for k, v in self._done.items() if v[1] > now}
        self._cancelled = {k: v for k, v in self._cancelled.items() if v > now}

    def _wanted(self, query_id: str, now: float) -> bool:
        return query_id in self._queries and not self._is_cancelled(query_id, now)

    def _is_cancelled(self, query_id: str, now: float) -> bool:
        until = self._cancelled.get(query_id)
        return until is not None and until > now

    def _done_result(self, task_id: str, now: float) -> bytes | None:
        record = self._done.get(task_id)
        if record is None or record[1] <= now:
            return None
        return record[0]

    def _emit(
        self,
        query_id: str,
        kind: EventKind,
        task_id: str,
        executor: str,
        at: float,
        *,
        attempt: int = 0,
        payload: bytes = b"",
        code: str = "",
        message: str = "",
        from_done: bool = False,
    ) -> None:
        query = self._queries.get(query_id)
        if query is not None:
            query.events.append(
                QueueEvent(kind, task_id, executor, at, attempt, payload, code, message, from_done)
            )
            self._cond.notify_all()
