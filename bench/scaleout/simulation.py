"""A discrete-event simulation of planners and executors meeting on the shared queue.

Each planner runs one successive-halving query (bench.scaleout.workload); executors (one slot
each, an LRU of the model weights they hold) pull tasks with the queue's own rules: queries in
turn (round-robin), within a query a held model's tasks first, else the model with most tasks
waiting. Redis is one FIFO server: every queue operation occupies it for its measured service
time (bench.scaleout.redis_costs), so a busy Redis delays everyone; heartbeats and reaping load
it in the background. Idle executors block on the backlog stream and all wake on an enqueue
(each then runs a take), as the real queue does (`wake_all=False` models waking only as many as
there are new tasks).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from bench.scaleout.workload import Granularity, ModelCost, round_tasks, schedule
from shift_search.planner import halving


@dataclass(frozen=True)
class OpCosts:
    """Redis service seconds of each queue operation, and the network round trip."""

    enqueue_per_task: float
    enqueue_call: float
    take: float
    complete: float
    progress: float
    read_events: float
    heartbeat: float
    reap: float
    request_overhead: float = 0.0
    """Server seconds per request outside the command (I/O, parsing), added to each."""
    round_trip: float = 0.0002
    heartbeat_seconds: float = 1.0


@dataclass
class SimTask:
    query: int
    model: int  # -1: needs no model weights (a score over cached features)
    round: int
    seconds: float
    is_score: bool
    owner: int  # the model whose round this task belongs to


@dataclass
class _Query:
    index: int
    plan: halving.Schedule
    survivors: list[int]
    round: int = 0
    chunks_left: dict[int, int] = field(default_factory=dict)
    scores_left: int = 0
    waiting: dict[int, deque[SimTask]] = field(default_factory=dict)
    heap: list[tuple[int, int]] = field(default_factory=list)  # (-waiting, model), lazy
    finished_at: float | None = None

    def push(self, task: SimTask) -> None:
        queue = self.waiting.setdefault(task.model, deque())
        queue.append(task)
        heapq.heappush(self.heap, (-len(queue), task.model))

    def pop(self, loaded: OrderedDict[int, None]) -> SimTask | None:
        for model in reversed(loaded):  # most recently used first
            if self.waiting.get(model):
                return self._take(model)
        while self.heap:
            negative, model = self.heap[0]
            queue = self.waiting.get(model)
            if queue and len(queue) == -negative:
                return self._take(model)
            heapq.heappop(self.heap)  # stale entry
        return None

    def _take(self, model: int) -> SimTask:
        queue = self.waiting[model]
        task = queue.popleft()
        if queue:
            heapq.heappush(self.heap, (-len(queue), model))
        else:
            del self.waiting[model]
        return task

    def has_waiting(self) -> bool:
        return bool(self.waiting)


@dataclass
class Outcome:
    makespan: float
    compute_seconds: float
    """Every task's own seconds (no loads): which models survive a round changes it."""
    tasks: int
    loads: int
    load_seconds: float
    redis_ops: int
    redis_busy: float
    background_utilisation: float
    query_seconds: list[float]


class Simulation:
    """P queries at once on E executors; `run()` returns the makespan and the Redis load."""

    def __init__(
        self,
        pool: list[ModelCost],
        executors: int,
        planners: int,
        granularity: Granularity,
        costs: OpCosts,
        *,
        models_per_executor: int = 4,
        wake_all: bool = True,
        seed: int = 0,
    ) -> None:
        self.pool = pool
        self.granularity = granularity
        self.costs = costs
        self.capacity = models_per_executor
        self.wake_all = wake_all
        self.rng = random.Random(seed)
        self.loaded: list[OrderedDict[int, None]] = [OrderedDict() for _ in range(executors)]
        self.idle: set[int] = set(range(executors))
        plan = schedule()
        self.queries = [_Query(i, plan, list(range(len(pool)))) for i in range(planners)]
        self.active: list[int] = []
        self.cursor = 0
        self.events: list[tuple[float, int, str, object]] = []
        self.seq = itertools.count()
        self.redis_free = 0.0
        self.redis_ops = 0
        self.redis_busy = 0.0
        self.tasks = 0
        self.compute = 0.0
        self.loads = 0
        self.load_seconds = 0.0
        overhead = costs.request_overhead
        background = (
            executors * (costs.heartbeat + costs.reap + 2 * overhead) / costs.heartbeat_seconds
            + planners * (costs.reap + overhead) / costs.heartbeat_seconds
        )
        self.background = background
        self.inflation = 1.0 / (1.0 - background) if background < 1.0 else float("inf")

    # Redis as one FIFO server
    def redis(self, now: float, service: float, ops: int = 1) -> float:
        """When a request sent at `now` needing `service` seconds of Redis has its answer."""
        start = max(now, self.redis_free)
        service += ops * self.costs.request_overhead
        busy = service * self.inflation
        self.redis_free = start + busy
        self.redis_ops += ops
        self.redis_busy += service
        return self.redis_free + self.costs.round_trip

    def at(self, time: float, kind: str, payload: object) -> None:
        heapq.heappush(self.events, (time, next(self.seq), kind, payload))

    def run(self) -> Outcome:
        if self.inflation == float("inf"):
            raise RuntimeError("heartbeats alone saturate Redis")
        for query in self.queries:
            self.start_round(query, 0.0)
        now = 0.0
        while self.events:
            now, _, kind, payload = heapq.heappop(self.events)
            match kind:
                case "enqueued":
                    self.enqueued(now, payload)  # type: ignore[arg-type]
                case "take":
                    self.take(now, payload)  # type: ignore[arg-type]
                case "done":
                    self.done(now, payload)  # type: ignore[arg-type]
                case "result":
                    self.result(now, payload)  # type: ignore[arg-type]
        finished = [q.finished_at or now for q in self.queries]
        return Outcome(
            makespan=max(finished),
            compute_seconds=self.compute,
            tasks=self.tasks,
            loads=self.loads,
            load_seconds=self.load_seconds,
            redis_ops=self.redis_ops,
            redis_busy=self.redis_busy,
            background_utilisation=self.background,
            query_seconds=finished,
        )

    # planners
    def start_round(self, query: _Query, now: float) -> None:
        k = query.round
        tasks: list[SimTask] = []
        query.scores_left = len(query.survivors)
        for model in query.survivors:
            specs = round_tasks(model, self.pool[model], k, query.plan, self.granularity)
            embeds = [s for s in specs if not s.is_score]
            query.chunks_left[model] = len(embeds)
            if self.granularity == Granularity.PER_MODEL:
                tasks.append(SimTask(query.index, model, k, specs[0].seconds, True, model))
            elif embeds:
                tasks += [SimTask(query.index, model, k, s.seconds, False, model) for s in embeds]
            else:
                tasks.append(self.score_task(query, model))
        self.enqueue(now, query, tasks)

    def score_task(self, query: _Query, model: int) -> SimTask:
        specs = round_tasks(model, self.pool[model], query.round, query.plan, self.granularity)
        seconds = sum(s.seconds for s in specs if s.is_score)
        return SimTask(query.index, -1, query.round, seconds, True, model)

    def enqueue(self, now: float, query: _Query, tasks: list[SimTask]) -> None:
        service = self.costs.enqueue_call + self.costs.enqueue_per_task * len(tasks)
        self.at(self.redis(now, service), "enqueued", (query.index, tasks))

    def result(self, now: float, task: SimTask) -> None:
        query = self.queries[task.query]
        if not task.is_score:
            query.chunks_left[task.owner] -= 1
            if query.chunks_left[task.owner] == 0:
                self.enqueue(now, query, [self.score_task(query, task.owner)])
            return
        query.scores_left -= 1
        if query.scores_left:
            return
        if query.round + 1 == query.plan.num_rounds:
            query.finished_at = now
            return
        keep = query.plan.keep_after(query.round)
        query.survivors = self.rng.sample(query.survivors, keep)  # who survives: any half
        query.round += 1
        self.start_round(query, now)

    # the queue
    def enqueued(self, now: float, payload: tuple[int, list[SimTask]]) -> None:
        index, tasks = payload
        query = self.queries[index]
        for task in tasks:
            query.push(task)
        if index not in self.active:
            self.active.append(index)
        # every idle executor wakes and runs a take (the real queue), or, with wake_all off,
        # only as many as there are new tasks (a design that hands out wake-up tokens)
        woken = list(self.idle) if self.wake_all else list(self.idle)[: len(tasks)]
        for executor in woken:
            self.at(self.redis(now, self.costs.take), "take", executor)
        self.idle.difference_update(woken)

    def choose(self, executor: int) -> SimTask | None:
        while self.active:
            n = len(self.active)
            start = self.cursor % n
            for i in range(n):
                index = self.active[(start + i) % n]
                query = self.queries[index]
                task = query.pop(self.loaded[executor])
                if not query.has_waiting():
                    self.active.remove(index)
                if task is not None:
                    self.cursor += 1
                    return task
            return None
        return None

    # executors
    def take(self, now: float, executor: int) -> None:
        task = self.choose(executor)
        if task is None:
            self.idle.add(executor)
            return
        self.tasks += 1
        self.compute += task.seconds
        seconds = task.seconds
        if task.model >= 0:
            loaded = self.loaded[executor]
            if task.model in loaded:
                loaded.move_to_end(task.model)
            else:
                seconds += self.pool[task.model].load_seconds
                self.load_seconds += self.pool[task.model].load_seconds
                self.loads += 1
                loaded[task.model] = None
                if len(loaded) > self.capacity:
                    loaded.popitem(last=False)
        self.at(now + seconds, "done", (executor, task))

    def done(self, now: float, payload: tuple[int, SimTask]) -> None:
        executor, task = payload
        progress = max(1, int(task.seconds / 0.5)) * self.costs.progress
        answered = self.redis(now, self.costs.complete + progress + self.costs.take, ops=3)
        self.at(answered, "take", executor)
        seen = self.redis(answered, self.costs.read_events)  # the planner reads the result
        self.at(seen, "result", task)
