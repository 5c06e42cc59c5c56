"""The Redis queue with real processes: consumers killed with -9 or SIGTERM, producers and
consumers in parallel, Redis stopped and restarted under load; and what KEDA reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from shift_search.queue.interface import QueueTimings
from shift_search.queue.query_tasks import QueryTasks
from shift_search.queue.records import EventKind, ExecutorStatus, Task
from shift_search.queue.redis_keys import GROUP
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.queue.worker import TaskControl, Worker
from shift_search.runtime.errors import Unavailable
from tests.conftest import StartRedis
from tests.queue.conftest import FAST
from tests.queue.tasks import all_events, task, tasks

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


class Consumer:
    """A consumer process (tests/queue/process_roles.py) and its stdout lines."""

    def __init__(self, url: str, namespace: str, executor_id: str, mode: str) -> None:
        self.executor_id = executor_id
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.queue.process_roles",
                "consume",
                url,
                namespace,
                executor_id,
                mode,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.wait_for("ready") == "ready"

    def wait_for(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(prefix):
                return line.strip()
        raise AssertionError(f"consumer {self.executor_id} exited before {prefix!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    started: list[Consumer] = []
    yield started
    for consumer in started:
        consumer.stop()


def redis_time(url: str) -> float:
    client = redis.Redis.from_url(url)
    try:
        seconds, micros = client.time()
        return seconds + micros / 1e6
    finally:
        client.close()


def echo(t: Task, control: TaskControl) -> bytes:
    return b"done " + t.payload


def test_a_task_of_a_consumer_killed_mid_task_is_run_again_within_10_seconds(
    redis_url: str, namespace: str, consumers: list[Consumer]
) -> None:
    timings = QueueTimings()  # the defaults: heartbeat 1 s, lost after 5 s
    queue = RedisTaskQueue(redis_url, namespace=namespace, timings=timings)
    doomed = Consumer(redis_url, namespace, "doomed", "block")
    consumers.append(doomed)
    query = QueryTasks(queue, "q1")
    query.submit([task("q1", 0)])
    assert doomed.wait_for("started") == "started q1-t0"
    killed_at = redis_time(redis_url)
    os.kill(doomed.proc.pid, signal.SIGKILL)
    rescuer = Worker(queue, echo, executor_id="rescuer", take_timeout=0.5).start()
    try:
        outcome = query.wait(["q1-t0"], timeout=60)["q1-t0"]
    finally:
        rescuer.stop(grace_seconds=5)
    assert outcome.kind == EventKind.RESULT and outcome.payload == b"done payload q1 0"
    events = all_events(queue, "q1")
    timeline = [(e.kind, e.executor, e.attempt) for e in events if e.task_id == "q1-t0"]
    assert timeline == [
        (EventKind.TAKEN, "doomed", 1),
        (EventKind.LOST, "doomed", 1),
        (EventKind.TAKEN, "rescuer", 2),
        (EventKind.RESULT, "rescuer", 2),
    ]
    (rerun,) = [e for e in events if e.kind == EventKind.TAKEN and e.executor == "rescuer"]
    # on Redis's clock: the lost task started again within 10 s of the kill
    assert rerun.at - killed_at <= 10.0


def test_producer_and_consumer_processes_meet_through_the_queue(
    redis_url: str, namespace: str, consumers: list[Consumer]
) -> None:
    queue = RedisTaskQueue(redis_url, namespace=namespace)
    for n in range(3):
        consumers.append(Consumer(redis_url, namespace, f"c{n}", "sleep:0.02"))
    assert [e.executor_id for e in queue.executors()] == ["c0", "c1", "c2"]
    queries = {f"q{n}": 40 for n in range(4)}
    producers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.queue.process_roles",
                "produce",
                redis_url,
                namespace,
                q,
                str(count),
            ],
            cwd=ROOT,
        )
        for q, count in queries.items()
    ]
    for producer in producers:
        assert producer.wait(timeout=120) == 0
    for q, count in queries.items():
        outcomes = QueryTasks(queue, q).wait([f"{q}-t{n}" for n in range(count)], timeout=120)
        assert {e.kind for e in outcomes.values()} == {EventKind.RESULT}
    taken = Counter(
        e.executor for q in queries for e in all_events(queue, q) if e.kind == EventKind.TAKEN
    )
    assert sorted(taken) == ["c0", "c1", "c2"]  # every consumer ran tasks
    assert sum(taken.values()) == sum(queries.values())  # none twice
    for consumer in consumers:
        consumer.proc.send_signal(signal.SIGTERM)
        assert consumer.proc.wait(timeout=30) == 0
    assert queue.executors() == []


def test_sigterm_mid_task_hands_the_task_back_for_another_consumer(
    redis_url: str, namespace: str, consumers: list[Consumer]
) -> None:
    queue = RedisTaskQueue(redis_url, namespace=namespace)
    leaving = Consumer(redis_url, namespace, "leaving", "block")
    consumers.append(leaving)
    query = QueryTasks(queue, "q1")
    query.submit([task("q1", 0)])
    leaving.wait_for("started")
    leaving.proc.send_signal(signal.SIGTERM)
    assert leaving.wait_for("drained") == "drained"
    assert leaving.proc.wait(timeout=30) == 0
    worker = Worker(queue, echo, executor_id="next", take_timeout=0.5).start()
    try:
        assert query.wait(["q1-t0"], timeout=60)["q1-t0"].kind == EventKind.RESULT
    finally:
        worker.stop(grace_seconds=5)
    timeline = [(e.kind, e.executor, e.attempt) for e in all_events(queue, "q1") if e.task_id]
    assert timeline == [
        (EventKind.TAKEN, "leaving", 1),
        (EventKind.RELEASED, "leaving", 1),
        (EventKind.TAKEN, "next", 1),
        (EventKind.RESULT, "next", 1),
    ]


def test_redis_down_is_unavailable_naming_redis_and_its_address(
    start_redis: StartRedis, tmp_path: Path
) -> None:
    server = start_redis(tmp_path / "redis", appendonly=False)
    queue = RedisTaskQueue(server.url, socket_timeout=1.0, retries=0)
    queue.enqueue([task("q1", 0)])
    server.stop()
    for call in (
        lambda: queue.enqueue([task("q1", 1)]),
        lambda: queue.take("e1", 1),
        lambda: queue.read_events("q1"),
        lambda: queue.heartbeat(ExecutorStatus("e1", "cpu", 1)),
    ):
        with pytest.raises(
            Unavailable,
            match=rf"queue: Redis at 127\.0\.0\.1:{server.port} "
            "unreachable",
        ):
            call()
    query = QueryTasks(queue, "q1")
    with pytest.raises(Unavailable, match=rf"Redis at 127\.0\.0\.1:{server.port}"):
        query.wait(["q1-t0"], timeout=30, outage_seconds=0.5)


def test_a_redis_restart_mid_stream_with_persistence_loses_nothing(
    start_redis: StartRedis, tmp_path: Path
) -> None:
    server = start_redis(tmp_path / "redis", appendonly=True)
    timings = QueueTimings(heartbeat_seconds=0.2, dead_after_seconds=1.0)
    queue = RedisTaskQueue(server.url, timings=timings, socket_timeout=1.0)

    def slow(t: Task, control: TaskControl) -> bytes:
        time.sleep(0.05)
        return b"done"

    workers = [Worker(queue, slow, executor_id=f"w{n}", take_timeout=0.3).start() for n in range(2)]
    try:
        query = QueryTasks(queue, "q1")
        query.submit(tasks("q1", 40))
        while sum(e.kind == EventKind.RESULT for e in query.poll(1.0)) == 0:
            pass
        server.stop()
        time.sleep(1.5)  # longer than an executor may stay silent
        server.start()
        outcomes = query.wait([t.task_id for t in tasks("q1", 40)], timeout=120)
    finally:
        for worker in workers:
            worker.stop(grace_seconds=5)
    assert {e.kind for e in outcomes.values()} == {EventKind.RESULT}
    events = all_events(queue, "q1")
    # the outage was not mistaken for dead executors: nothing was re-offered or run twice
    assert not [e for e in events if e.kind in (EventKind.LOST, EventKind.FAILED)]
    assert Counter(e.task_id for e in events if e.kind == EventKind.RESULT) == Counter(
        {t.task_id: 1 for t in tasks("q1", 40)}
    )


def test_a_redis_restart_without_persistence_fails_clearly(
    start_redis: StartRedis, tmp_path: Path
) -> None:
    server = start_redis(tmp_path / "redis", appendonly=False)
    queue = RedisTaskQueue(server.url, socket_timeout=1.0)
    query = QueryTasks(queue, "q1")
    query.submit([task("q1", 0)])
    server.stop()
    server.start()
    with pytest.raises(Unavailable, match="restarted without persistence"):
        query.wait(["q1-t0"], timeout=30)


def test_the_backlog_group_shows_keda_the_queue_length_and_running_tasks(
    redis_url: str, namespace: str
) -> None:
    queue = RedisTaskQueue(redis_url, namespace=namespace, timings=FAST)
    client = redis.Redis.from_url(redis_url)

    def keda_view() -> tuple[int, int]:
        """What KEDA's redis-streams scaler reads: the group's lag and XPENDING count."""
        (group,) = [g for g in client.xinfo_groups(queue.keys.backlog) if g["name"] == b"executors"]
        return int(group["lag"]), int(client.xpending(queue.keys.backlog, GROUP)["pending"])

    try:
        queue.enqueue(tasks("q1", 10) + tasks("q2", 4))
        assert keda_view() == (14, 0)
        held = queue.take("e1", 3)
        assert keda_view() == (11, 3)
        queue.complete(held[0], b"r")
        queue.fail(held[1], "INTERNAL", "x")
        assert keda_view() == (11, 1)
        queue.release([held[2]])
        assert keda_view() == (12, 0)
        assert queue.cancel("q1") == 9  # 8 in its stream, 1 handed back to the retry stream
        assert keda_view() == (3, 0)  # q2's tasks only
        assert len(queue.take("e1", 10)) == 3
        assert keda_view() == (0, 3)
        stats = queue.stats()
        assert (stats.waiting, stats.running) == (0, 3)
    finally:
        client.close()
