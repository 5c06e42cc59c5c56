"""Part (a) of bench.scaleout, measured on this machine with real processes: a redis-server (the
work queue), a cache, a planner and 1, 2 or 4 executor processes (`shift serve …`, one CPU thread
each), running one real task-aware query over real packaged models on real tweets.

- **Makespan**: the query's wall-clock time from the client (Execute to its result), on a cache
  purged before each run (features are computed again, models loaded again), with the same plan
  every time (the result shows each run's decisions).
  Speed-up = makespan with one executor / makespan with N.
- **The queue's own overhead per task**, on an idle executor: from the enqueue to the task's start
  (TAKEN), and from its finish (RESULT) to the planner seeing it, through Redis between processes
  and through the in-process queue of `shift serve`, against an in-process call of the same task
  on the executor (no queue at all).

The models: the packaged all-MiniLM-L6-v2 (PyTorch: one thread with OMP_NUM_THREADS=1) under
several catalog names, half with mean pooling and half with the first token's state. A model's
name is part of its key, so each is its own model to the system: its own features, its own
tasks and loads.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.data import tweet_split
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.demo import MODELS as DEMO_MODELS
from shift_search.cli.register import register_all
from shift_search.client import Client, Planned, Table
from shift_search.queue.interface import TaskQueue
from shift_search.queue.query_tasks import QueryTasks
from shift_search.queue.records import EventKind, QueueEvent
from shift_search.queue.records import Task as QueueTask
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.tasks.convert import result_from_bytes, task_bytes, task_id
from shift_search.tasks.specs import DescribeTask, kind_of, model_of
from tests.redis_server import RedisServer, redis_server_binary

EXECUTORS = (1, 2, 4)
SIZES = {"full": (3000, 500, 8), "quick": (200, 50, 4)}
"""(train tweets, test tweets, models) per mode."""
PROBES = {"full": 60, "quick": 15}
"""Tasks timed one at a time for the queue's overhead."""
LISTENING = re.compile(r"listening on (\S+)")
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def models(count: int) -> list[ModelRecord]:
    """`count` catalog models over the packaged all-MiniLM-L6-v2."""
    (minilm,) = [m for m in DEMO_MODELS if m.name == "all-MiniLM-L6-v2"]
    return [
        replace(
            minilm,
            name=f"minilm-l6-{n}",
            pooling="mean" if n % 2 == 0 else "first",
            inference_cost=1.0,  # costs given: the query does not stop to profile
            load_cost=1.0,
            tags={**minilm.tags, "variant_of": minilm.name},
        )
        for n in range(count)
    ]


def query() -> str:
    # AUTO: on this data the cost model makes one full pass with every model (no successive
    # halving) for any number of devices; `plans` in the result shows the decision of each run
    return (
        'SELECT name FROM text_models ORDER BY err ASC TRAINED ON "tweets-train" '
        'TESTED ON "tweets-test" CLASSIFIED BY ["Cosine NN"] WAIT;'
    )


class Serve:
    """One `shift serve SERVICE` process."""

    def __init__(self, service: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shift_search.cli.main", "serve", service, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=log.open("a"),
            text=True,
            env=env,
        )
        self.log = log
        self.address = ""

    def ready(self) -> Serve:
        assert self.proc.stdout is not None
        match = LISTENING.search(self.proc.stdout.readline())
        if match is None:
            self.proc.kill()
            raise RuntimeError(f"a service did not start; see {self.log}")
        self.address = match.group(1)
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Deployment:
    folder: Path
    redis: RedisServer
    env: dict[str, str]
    cache: Serve
    planner: Serve
    queue: RedisTaskQueue
    executors: list[Serve]

    def start_executors(self, count: int) -> None:
        args = ["--cache", self.cache.address, "--queue", self.redis.url, "--device", "cpu"]
        started = [
            Serve("executor", args, {**self.env, **ONE_THREAD}, self.folder / f"e{n}.log")
            for n in range(len(self.executors), count)
        ]
        self.executors += [s.ready() for s in started]
        deadline = time.monotonic() + 60
        while len(self.queue.executors()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("executors did not join the queue")
            time.sleep(0.05)

    def stop_executors(self) -> None:
        for executor in self.executors:
            executor.proc.send_signal(signal.SIGTERM)
        for executor in self.executors:
            executor.stop()
        self.executors = []

    def cpu_seconds(self) -> float:
        """CPU seconds the executor processes have used so far (Linux /proc)."""
        return sum(cpu_seconds(e.proc.pid) for e in self.executors)

    def run(self, script: str) -> tuple[float, list[Any]]:
        with Client(self.planner.address, timeout=3600) as client:
            started = time.perf_counter()
            events = list(client.events(script))
            return time.perf_counter() - started, events


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (0 where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def deployment(folder: Path) -> Iterator[Deployment]:
    binary = redis_server_binary()
    if binary is None:
        raise RuntimeError("part (a) needs redis-server on PATH (apt-get install redis-server)")
    env = {**os.environ, "SHIFT_HOME": str(folder / "home"), "HF_HUB_OFFLINE": "1"}
    env |= {
        "TRANSFORMERS_OFFLINE": "1",
        "SHIFT_LOG_LEVEL": os.environ.get("SHIFT_LOG_LEVEL", "WARNING"),
    }
    redis = RedisServer(binary, folder / "redis", appendonly=False).start()
    served: list[Serve] = []
    try:
        store = f"sqlite:///{folder / 'cache.sqlite3'}"
        cache = Serve("cache", ["--store", store], env, folder / "cache.log")
        served.append(cache.ready())
        planner = Serve(
            "planner", ["--cache", cache.address, "--queue", redis.url], env, folder / "p.log"
        )
        served.append(planner.ready())
        made = Deployment(folder, redis, env, cache, planner, RedisTaskQueue(redis.url), [])
        try:
            yield made
        finally:
            made.stop_executors()
            made.queue.close()
    finally:
        for service in reversed(served):
            service.stop()
        redis.stop()


def makespans(
    where: Deployment, script: str, fresh: bool
) -> tuple[dict[str, float], dict[str, Any]]:
    """{N: seconds} for N = 1, 2, 4 executors, and the plan each ran (its decisions)."""
    out: dict[str, float] = {}
    plans: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    parallelism: dict[str, float] = {}
    load: dict[str, float] = {}
    for count in EXECUTORS:
        if fresh:
            where.stop_executors()
        where.start_executors(count)
        where.run("PURGE;")  # features, results and the queue's finished tasks: all again
        load[str(count)] = round(os.getloadavg()[0], 2)
        used = where.cpu_seconds()
        seconds, events = where.run(script)
        out[str(count)] = round(seconds, 3)
        # how many cores the executors had, on average: ~N on a quiet machine with N cores free
        parallelism[str(count)] = round((where.cpu_seconds() - used) / seconds, 2)
        (plan,) = [e.plan for e in events if isinstance(e, Planned)][:1]
        plans[str(count)] = {
            k: v
            for k, v in plan.decisions.items()
            if k in ("successive_halving", "chunk", "budget")
        }
        (table,) = [e for e in events if isinstance(e, Table)]
        answers[str(count)] = [r["name"] for r in table.records()]
        print(
            f"  {count} executor(s): {seconds:.1f} s, executors busy on "
            f"{parallelism[str(count)]:.2f} cores on average (load before: {load[str(count)]})",
            flush=True,
        )
    same = len({tuple(a) for a in answers.values()}) == 1
    return out, {
        "plans": plans,
        "same_answer": same,
        "ranking": answers[str(EXECUTORS[0])],
        "executor_cores_used": parallelism,
        "load_average_before": load,
        "cpu_count": os.cpu_count(),
    }


def probe_tasks(data: DatasetRecord, count: int) -> list[DescribeTask]:
    """Small tasks with distinct ids (a finished id would be answered without running)."""
    return [
        DescribeTask(replace(data, name=f"probe-{n}-{uuid.uuid4().hex[:6]}")) for n in range(count)
    ]


def first_of_each_kind(events: dict[EventKind, QueueEvent]) -> Callable[[QueueEvent], None]:
    def keep(event: QueueEvent) -> None:
        events.setdefault(event.kind, event)

    return keep


def queue_overhead(queue: TaskQueue, data: DatasetRecord, count: int) -> dict[str, float]:
    """Median seconds per task, one at a time on an idle executor: enqueue → start (TAKEN),
    finish (RESULT) → seen by the planner, and everything but the task's own seconds."""
    to_start, to_seen, total = [], [], []
    for spec in probe_tasks(data, count):
        query_id = uuid.uuid4().hex
        events: dict[EventKind, QueueEvent] = {}
        tasks = QueryTasks(queue, query_id, on_event=first_of_each_kind(events))
        tid = task_id(spec)
        task = QueueTask(tid, query_id, kind_of(spec), model_of(spec), task_bytes(spec))
        sent = time.time()
        tasks.submit([task])
        outcome = tasks.wait([tid], timeout=120)[tid]
        seen = time.time()
        tasks.close()
        assert outcome.kind == EventKind.RESULT, outcome.message
        ran = result_from_bytes(outcome.payload).seconds
        to_start.append(events[EventKind.TAKEN].at - sent)
        to_seen.append(seen - events[EventKind.RESULT].at)
        total.append(seen - sent - ran)
    return {  # Redis stamps events in whole milliseconds: the two parts are ±1 ms
        "enqueue_to_start_ms": round(1000 * statistics.median(to_start), 2),
        "finish_to_seen_ms": round(1000 * statistics.median(to_seen), 2),
        "overhead_ms": round(1000 * statistics.median(total), 2),
    }


def in_process_overhead(folder: Path, data: DatasetRecord, count: int) -> dict[str, Any]:
    """The same probes through `shift serve`'s in-process queue, and called on its executor
    directly (no queue): seconds beyond the task's own."""
    from shift_search.cli.serve import build
    from shift_search.executor.worker import Executor
    from shift_search.queue.memory import InProcessQueue

    queue = InProcessQueue()
    args = argparse.Namespace(
        service="all",
        host="127.0.0.1",
        port=0,
        cache=None,
        parser=None,
        store=f"sqlite:///{folder / 'inprocess.sqlite3'}",
        slots=1,
        device="cpu",
    )
    server = build(args, queue).start()
    try:
        through_queue = queue_overhead(queue, data, count)
        executor = Executor(server.internal_address, device="cpu")
        try:
            direct = []
            for spec in probe_tasks(data, count):
                started = time.perf_counter()
                (result,) = list(executor.start(task_id(spec), spec).events())
                direct.append(time.perf_counter() - started - result.seconds)  # type: ignore[union-attr]
        finally:
            executor.close()
    finally:
        server.stop(grace=1.0)
    return {
        "in_process_queue": through_queue,
        "direct_call_overhead_ms": round(1000 * statistics.median(direct), 3),
    }


def measure(quick: bool) -> dict[str, Any]:
    """Part (a): measured makespans and speed-ups, and the queue's overhead per task."""
    mode = "quick" if quick else "full"
    train, test, count = SIZES[mode]
    with tempfile.TemporaryDirectory(prefix="shift-scaleout-") as tmp:
        folder = Path(tmp)
        datasets = list(tweet_split(folder / "data", train, test))  # tweets-train, tweets-test
        pool = models(count)
        script = query()
        print(f"part (a): {count} models, {train}/{test} tweets, executors {EXECUTORS}", flush=True)
        with deployment(folder) as where:
            where.start_executors(1)
            with Client(where.planner.address, timeout=600) as client:
                register_all(client, [*pool, *datasets])
            overhead = queue_overhead(where.queue, datasets[1], PROBES[mode])
            seconds, runs = makespans(where, script, fresh=not quick)
        local = in_process_overhead(folder, datasets[1], PROBES[mode])
    one = seconds[str(EXECUTORS[0])]
    return {
        "measured_speedup": {n: round(one / s, 3) for n, s in seconds.items()},
        "measured_makespan_s": seconds,
        "measured_workload": {
            "query": script,
            "models": [m.name for m in pool],
            "encoder": "all-MiniLM-L6-v2 (packaged, PyTorch, one CPU thread per executor)",
            "train": train,
            "test": test,
            "executor_slots": 1,
            "fresh_executors_per_run": not quick,
            **runs,
        },
        "queue_overhead_per_task": {
            "redis_between_processes": overhead,
            **local,
            "probe": "a DescribeTask of the test CSV, one at a time on an idle executor; "
            "overhead = seen by the planner - enqueued - the task's own seconds (medians)",
            "probes": PROBES[mode],
        },
    }
