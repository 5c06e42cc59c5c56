"""Executors scale out through the shared work queue (issue 13), proved with real processes: a
real redis-server (append-only file), a cache, two planners and up to three executors, each a
separate `shift serve …` process on loopback, tiny random models.

Which executor ran what, and when, is read from the planners' task timelines (the log lines of
`shift.planner.tasks`: each task taken, lost, released, finished or failed, with the executor, the
attempt and the time on Redis's clock), never from how long a test took."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from shift_search.cache.records import ModelRecord
from shift_search.cli.register import register_all
from shift_search.client import Client, Message, QueryError, Table
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.queue.redis_queue import RedisTaskQueue
from tests.redis_server import RedisServer, free_port, redis_server_binary
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews

pytestmark = pytest.mark.slow

LISTENING = re.compile(r"listening on (\S+)")
TIMELINE = re.compile(
    r"task (?P<task>\w+) (?P<event>taken|lost|released|result|failed) "
    r"executor=(?P<executor>\S+) attempt=(?P<attempt>\d+) at=(?P<at>[\d.]+) "
    r"query=(?P<query>\w+) kind=(?P<kind>\w+)"
)
MODELS = 6
EXECUTORS = ("e1", "e2", "e3")
# CHUNK and BUDGET fixed: the plan (successive halving, its rounds) does not depend on how many
# executors are alive, so every run gives the same answer however many there are.
QUERIES = {
    "p1": 'SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test" '
    'CLASSIFIED BY ["Euclidean NN"] CHUNK 300 BUDGET 18 WAIT;',
    "p2": 'SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test" '
    'CLASSIFIED BY ["Cosine NN"] CHUNK 300 BUDGET 18 WAIT;',
}


@dataclass(frozen=True)
class Step:
    """One line of a task timeline."""

    task: str
    event: str
    executor: str
    attempt: int
    at: float
    query: str


class Process:
    """One `shift serve SERVICE` process; `address` once it listens."""

    def __init__(self, name: str, service: str, args: list[str], env: dict[str, str], log: Path):
        self.name = name
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shift_search.cli.main", "serve", service, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=log.open("a"),
            text=True,
            env=env,
        )
        self.address = ""

    def ready(self) -> Process:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = LISTENING.search(line)
        if match is None:
            self.proc.kill()
            raise AssertionError(f"{self.name} did not start: {line!r}\n{self.log.read_text()}")
        self.address = match.group(1)
        return self

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.alive:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=30)


@dataclass
class Cluster:
    redis: RedisServer
    folder: Path
    env: dict[str, str]
    cache: Process
    planners: dict[str, Process]
    executors: dict[str, Process]
    queue: RedisTaskQueue
    metrics: dict[str, int]
    """Each service's /metrics port."""

    def start_executors(self, *names: str, drain_seconds: float = 20.0) -> None:
        """Start these executors (at once, in parallel) and wait until each has joined."""
        started = []
        for name in names:
            if name in self.executors and self.executors[name].alive:
                continue
            args = ["--cache", self.cache.address, "--queue", self.redis.url, "--device", "cpu"]
            args += ["--executor-id", name, "--drain-seconds", str(drain_seconds)]
            self.metrics[name] = free_port()
            args += ["--metrics-port", str(self.metrics[name])]
            log = self.folder / f"{name}.log"
            started.append(Process(name, "executor", args, self.env, log))
        for process in started:
            self.executors[process.name] = process.ready()

    def stop_executors(self, *names: str) -> None:
        """Stop these executors (all without names); each drains and leaves the queue."""
        chosen = [p for n, p in self.executors.items() if not names or n in names]
        for process in chosen:
            if process.alive:
                process.proc.send_signal(signal.SIGTERM)  # all at once; idle, they leave at once
        for process in chosen:
            process.stop()
            del self.executors[process.name]
        # one killed by a test is listed until it has been silent for 5 s
        until(
            lambda: not {e.executor_id for e in self.queue.executors()} & {p.name for p in chosen},
            "executors to leave the queue",
        )

    def running(self) -> list[tuple[str, str]]:
        """(executor, task) of every task running now, as the queue sees it."""
        return [(e.executor_id, t) for e in self.queue.executors() for t in e.running]

    def timeline(self, since: dict[str, int]) -> list[Step]:
        """Every task event the planners logged after the `marks()` given."""
        steps = []
        for name, process in self.planners.items():
            with process.log.open() as f:
                f.seek(since.get(name, 0))
                for line in f:
                    if (m := TIMELINE.search(line)) is not None:
                        steps.append(
                            Step(
                                m["task"],
                                m["event"],
                                m["executor"],
                                int(m["attempt"]),
                                float(m["at"]),
                                m["query"],
                            )
                        )
        return sorted(steps, key=lambda s: s.at)

    def marks(self) -> dict[str, int]:
        """Where the planners' logs end now (timelines are read from there on)."""
        return {name: p.log.stat().st_size for name, p in self.planners.items()}

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.folder.glob("*.log")))

    def run(self, planner: str, script: str) -> list[object]:
        with Client(self.planners[planner].address, timeout=600) as client:
            return list(client.events(script))

    def purge(self) -> None:
        self.run("p1", "PURGE;")


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at http://127.0.0.1:port/metrics: (name, labels) → value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def until(condition: Callable[[], object], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:g} s for {what}")
        time.sleep(0.05)


def ranking(events: list[object]) -> list[tuple[str, str, float]]:
    (table,) = [e for e in events if isinstance(e, Table)]
    return [(r["name"], r["proxy"], r["error"]) for r in table.records()]


def redis_time(url: str) -> float:
    client = redis.Redis.from_url(url)
    try:
        seconds, micros = client.time()
        return seconds + micros / 1e6
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not on PATH")
    folder = tmp_path_factory.mktemp("scaleout")
    for n in range(MODELS):
        make_tiny_bert(folder / f"m{n}", seed=n, layers=1 + n % 2)
    write_reviews(folder / "train.csv", 1200, seed=0, noise=0.25)
    write_reviews(folder / "test.csv", 150, seed=1, noise=0.25)
    env = {
        **os.environ,
        "SHIFT_HOME": str(folder / "home"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SHIFT_LOG_LEVEL": "INFO",
        "OMP_NUM_THREADS": "1",  # one CPU thread per executor
    }
    server = RedisServer(binary, folder / "redis", appendonly=True).start()
    queue = RedisTaskQueue(server.url)
    metrics = {name: free_port() for name in ("cache", "p1", "p2")}
    store = f"sqlite:///{folder / 'cache.sqlite3'}"
    cache = Process(
        "cache",
        "cache",
        ["--store", store, "--metrics-port", str(metrics["cache"])],
        env,
        folder / "cache.log",
    )
    cache.ready()
    planners = {
        name: Process(
            name,
            "planner",
            ["--cache", cache.address, "--queue", server.url, "--metrics-port", str(metrics[name])],
            env,
            folder / f"{name}.log",
        )
        for name in ("p1", "p2")
    }
    ready = {name: process.ready() for name, process in planners.items()}
    made = Cluster(server, folder, env, cache, ready, {}, queue, metrics)
    try:
        made.start_executors("e1")
        models = [
            ModelRecord(
                name=f"m{n}",
                source="huggingface",
                uri=str(folder / f"m{n}"),
                inference_cost=1.0,  # costs known: no query stops to profile
                load_cost=0.5,
            )
            for n in range(MODELS)
        ]
        datasets = [reviews_dataset(n, folder / f"{n}.csv") for n in ("train", "test")]
        with Client(made.planners["p1"].address, timeout=300) as client:
            register_all(client, [*models, *datasets])
        yield made
    finally:
        for process in [*made.executors.values(), *made.planners.values(), cache]:
            process.stop()
        queue.close()
        server.stop()


@pytest.fixture(scope="module")
def reference(cluster: Cluster) -> dict[str, list[tuple[str, str, float]]]:
    """The rankings one executor gives (e1 alone)."""
    cluster.stop_executors()
    cluster.start_executors("e1")
    cluster.purge()
    return {planner: ranking(cluster.run(planner, q)) for planner, q in QUERIES.items()}


@pytest.fixture
def fresh(cluster: Cluster, reference: dict[str, list[tuple[str, str, float]]]) -> Cluster:
    """The cluster with an empty cache and three executors (started where missing)."""
    cluster.start_executors(*EXECUTORS)
    cluster.purge()
    return cluster


def both_planners_at_once(cluster: Cluster) -> dict[str, list[tuple[str, str, float]]]:
    answers: dict[str, list[tuple[str, str, float]]] = {}
    errors: list[BaseException] = []

    def run(planner: str) -> None:
        try:
            answers[planner] = ranking(cluster.run(planner, QUERIES[planner]))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(p,)) for p in QUERIES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    return answers


def test_two_planners_share_three_executors_and_answer_as_one_executor(
    fresh: Cluster, reference: dict[str, list[tuple[str, str, float]]]
) -> None:
    mark = fresh.marks()
    assert both_planners_at_once(fresh) == reference
    steps = fresh.timeline(mark)
    ran = {s.executor for s in steps if s.event == "taken"}
    assert ran == set(EXECUTORS)  # every executor ran tasks
    assert not [s for s in steps if s.event in ("lost", "failed")]
    assert "RESOURCE_EXHAUSTED" not in fresh.logs()
    p2 = fresh.planners["p2"].address
    listed = subprocess.run(
        [sys.executable, "-m", "shift_search.cli.main", "status", "--json", "--server", p2],
        capture_output=True,
        text=True,
        env=fresh.env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    status = json.loads(listed.stdout)
    assert [e["executor_id"] for e in status["executors"]] == list(EXECUTORS)
    assert {(e["device"], e["slots"]) for e in status["executors"]} == {("cpu", 1)}
    assert status["queue"].startswith("redis://127.0.0.1:") and status["waiting"] == 0


def test_every_service_exports_its_metrics(fresh: Cluster) -> None:
    fresh.run("p1", QUERIES["p1"])
    with pytest.raises(QueryError):
        fresh.run("p1", "SELECT name FROM no_such_table;")
    planner = scrape(fresh.metrics["p1"])
    assert planner[("shift_queue_up", ())] == 1
    assert planner[("shift_queue_tasks_waiting", ())] == 0  # what the HPA overlay scales on
    assert planner[("shift_queue_executors", ())] == len(EXECUTORS)
    errors = [v for (name, labels), v in planner.items() if name == "shift_errors_total"]
    assert errors and all(v >= 1 for v in errors)  # by service and code
    done = sum(
        scrape(fresh.metrics[name]).get(
            ("shift_tasks_finished_total", (("kind", "score"), ("outcome", "done"))), 0.0
        )
        for name in EXECUTORS
    )
    assert done > 0
    cache = scrape(fresh.metrics["cache"])
    assert cache[("shift_cache_lookups_total", (("kind", "feat"), ("result", "miss")))] > 0


def test_executors_started_after_a_query_began_take_its_work(
    fresh: Cluster, reference: dict[str, list[tuple[str, str, float]]]
) -> None:
    fresh.stop_executors("e2", "e3")
    fresh.stop_executors("e1")
    mark = fresh.marks()
    events: list[object] = []
    query = threading.Thread(target=lambda: events.extend(fresh.run("p1", QUERIES["p1"])))
    query.start()  # no executor alive: the query waits on the queue rather than failing
    until(lambda: fresh.queue.stats().waiting > 0, "the query's tasks to be queued")
    fresh.start_executors("e2", "e3")
    query.join(timeout=600)
    assert ranking(events) == reference["p1"]
    notes = [e.text for e in events if isinstance(e, Message)]
    assert any("no executor is heart-beating" in n for n in notes), notes
    ran = {s.executor for s in fresh.timeline(mark) if s.event == "taken"}
    assert ran == {"e2", "e3"}


def kill_an_executor_mid_task(cluster: Cluster) -> tuple[list[tuple[str, str, float]], str, float]:
    """Run p1's query, kill -9 an executor while it runs one of its tasks: (the answer, the
    executor killed, when on Redis's clock)."""
    events: list[object] = []
    query = threading.Thread(target=lambda: events.extend(cluster.run("p1", QUERIES["p1"])))
    query.start()
    busy: list[tuple[str, str]] = []
    until(lambda: busy.extend(cluster.running()) or busy, "an executor to run a task")
    victim = busy[0][0]
    cluster.executors[victim].stop(signal.SIGKILL)
    killed_at = redis_time(cluster.redis.url)
    query.join(timeout=600)
    return ranking(events), victim, killed_at


def test_a_task_of_an_executor_killed_mid_task_is_run_again_within_10_seconds(
    fresh: Cluster, reference: dict[str, list[tuple[str, str, float]]]
) -> None:
    for _ in range(3):  # again only if the victim finished its task just before it died
        fresh.start_executors(*EXECUTORS)
        fresh.purge()
        mark = fresh.marks()
        answer, victim, killed_at = kill_an_executor_mid_task(fresh)
        assert answer == reference["p1"]  # the same answer
        steps = fresh.timeline(mark)
        lost = [s for s in steps if s.event == "lost"]
        if lost:
            break
    assert {(s.executor, s.attempt) for s in lost} == {(victim, 1)}
    for task in {s.task for s in lost}:
        rerun = [s for s in steps if s.task == task and s.event == "taken" and s.attempt == 2]
        assert rerun and rerun[0].executor != victim
        assert rerun[0].at - killed_at <= 10.0  # on Redis's clock
        assert [s.event for s in steps if s.task == task][-1] == "result"


def test_sigterm_drains_and_nothing_finished_is_run_again(
    fresh: Cluster, reference: dict[str, list[tuple[str, str, float]]]
) -> None:
    fresh.stop_executors("e1")
    fresh.start_executors("e1", drain_seconds=0)  # hands back at once what it runs
    mark = fresh.marks()
    events: list[object] = []
    query = threading.Thread(target=lambda: events.extend(fresh.run("p1", QUERIES["p1"])))
    query.start()
    victim = "e1"

    def victim_finished_one_and_runs_another() -> bool:
        finished = [s for s in fresh.timeline(mark) if s.event == "result"]
        running = [e for e in fresh.queue.executors() if e.executor_id == victim and e.running]
        return bool(running) and any(s.executor == victim for s in finished)

    until(victim_finished_one_and_runs_another, f"{victim} to finish a task and start another")
    assert fresh.executors[victim].stop(signal.SIGTERM) == 0  # drained, then exited cleanly
    query.join(timeout=600)
    assert ranking(events) == reference["p1"]
    steps = fresh.timeline(mark)
    finished = {s.task for s in steps if s.event == "result" and s.executor == victim}
    assert finished
    for task in finished:  # what it had finished never ran again
        assert [s.event for s in steps if s.task == task].count("taken") == 1
    released = {s.task for s in steps if s.event == "released" and s.executor == victim}
    for task in released:  # what it handed back ran once more, elsewhere, as the same attempt
        again = [s for s in steps if s.task == task and s.event == "taken"][-1]
        assert again.executor != victim and again.attempt == 1
    assert not [s for s in steps if s.event == "lost"]  # it left; nobody had to notice it died
    assert victim not in [e.executor_id for e in fresh.queue.executors()]


def test_a_cancelled_query_leaves_no_running_task(fresh: Cluster) -> None:
    mark = fresh.marks()
    with grpc.insecure_channel(fresh.planners["p2"].address) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        call = stub.Execute(query_pb2.ExecuteRequest(script=QUERIES["p2"]), timeout=600)

        def read() -> None:
            try:
                for _ in call:
                    pass
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.CANCELLED

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        until(fresh.running, "a task to run")
        call.cancel()
        cancelled_at = redis_time(fresh.redis.url)
        # the executors stop the query's tasks between batches (a heartbeat brings the news)
        until(lambda: not fresh.running(), "no task to run any more", seconds=15)
        stats = fresh.queue.stats()
        assert (stats.waiting, stats.running) == (0, 0)
        time.sleep(2)  # two heartbeats: nothing of the query starts any more
        assert not fresh.running()
        late = [s for s in fresh.timeline(mark) if s.event == "taken" and s.at > cancelled_at + 1]
        assert not late, late
        assert len(fresh.queue.executors()) == 3  # all still serving


def test_a_redis_restart_mid_query_is_ridden_out(
    fresh: Cluster, reference: dict[str, list[tuple[str, str, float]]]
) -> None:
    events: list[object] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            events.extend(fresh.run("p1", QUERIES["p1"]))
        except BaseException as error:
            failure.append(error)

    query = threading.Thread(target=run)
    query.start()
    until(fresh.running, "a task to run")
    fresh.redis.stop()  # SIGTERM: Redis writes its append-only file and exits
    time.sleep(1.5)
    fresh.redis.start()
    query.join(timeout=600)
    if failure:  # allowed, if it says clearly that Redis was the part missing
        (error,) = failure
        assert "UNAVAILABLE" in str(error) and "Redis at 127.0.0.1" in str(error)
    else:
        assert ranking(events) == reference["p1"]
    until(lambda: len(fresh.queue.executors()) == 3, "the executors to heart-beat again")
