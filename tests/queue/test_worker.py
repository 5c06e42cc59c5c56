"""Workers (executor side) and QueryTasks (planner side) over both backends, with real threads."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from shift_search.queue.interface import TaskQueue
from shift_search.queue.query_tasks import QueryTasks
from shift_search.queue.records import EventKind, QueueEvent, Task
from shift_search.queue.worker import TaskControl, Worker
from shift_search.runtime.errors import (
    Cancelled,
    DeadlineExceeded,
    InvalidArgument,
    ShiftError,
)
from tests.queue.tasks import all_events, task, tasks


def echo(t: Task, control: TaskControl) -> bytes:
    return b"done " + t.payload


def until_stopped(t: Task, control: TaskControl) -> bytes:
    """A long task that checks between batches."""
    while not control.stopped():
        control.progress(b"batch")
        time.sleep(0.01)
    raise Cancelled("stopped between batches")


def test_concurrent_producers_and_workers_finish_every_task_once(queue: TaskQueue) -> None:
    workers_count, slots = 4, 2
    barrier = threading.Barrier(workers_count * slots, timeout=30)

    def run(t: Task, control: TaskControl) -> bytes:
        if t.task_id.endswith("-t0") or t.task_id.endswith("-t1"):
            barrier.wait()  # the first 8 tasks run at once: every slot of every worker is busy
        return echo(t, control)

    workers = [
        Worker(queue, run, executor_id=f"w{i}", slots=slots, take_timeout=0.5).start()
        for i in range(workers_count)
    ]
    queries = [f"q{i}" for i in range(4)]
    producers = [threading.Thread(target=queue.enqueue, args=(tasks(q, 25),)) for q in queries]
    try:
        for p in producers:
            p.start()
        for p in producers:
            p.join()
        for q in queries:
            outcomes = QueryTasks(queue, q).wait([t.task_id for t in tasks(q, 25)], timeout=60)
            assert {e.kind for e in outcomes.values()} == {EventKind.RESULT}
            assert outcomes[f"{q}-t3"].payload == b"done payload " + q.encode() + b" 3"
    finally:
        for w in workers:
            w.stop(grace_seconds=5)
    executors = Counter(
        e.executor for q in queries for e in all_events(queue, q) if e.kind == EventKind.TAKEN
    )
    assert sorted(executors) == ["w0", "w1", "w2", "w3"]  # every worker ran tasks
    assert sum(executors.values()) == 100  # and no task ran twice


def test_failures_carry_the_code_of_the_error(queue: TaskQueue) -> None:
    def run(t: Task, control: TaskControl) -> bytes:
        if t.task_id.endswith("t0"):
            raise InvalidArgument("column 'txt' not found")
        raise RuntimeError("library blew up")

    worker = Worker(queue, run, executor_id="w", take_timeout=0.2).start()
    try:
        q = QueryTasks(queue, "q1")
        q.submit(tasks("q1", 2))
        outcomes = q.wait(["q1-t0", "q1-t1"], timeout=30)
    finally:
        worker.stop(grace_seconds=5)
    assert (outcomes["q1-t0"].code, outcomes["q1-t0"].message) == (
        "INVALID_ARGUMENT",
        "column 'txt' not found",
    )
    assert outcomes["q1-t1"].code == "INTERNAL"
    assert "RuntimeError: library blew up" in outcomes["q1-t1"].message


def test_cancelling_a_query_stops_its_running_task_within_a_second(queue: TaskQueue) -> None:
    started = threading.Event()

    def run(t: Task, control: TaskControl) -> bytes:
        started.set()
        return until_stopped(t, control)

    worker = Worker(queue, run, executor_id="w", take_timeout=0.2).start()
    try:
        query = QueryTasks(queue, "q1")
        query.submit(tasks("q1", 3))
        assert started.wait(30)
        assert query.cancel() == 2
        outcome = query.wait(["q1-t0"], timeout=30)["q1-t0"]
    finally:
        worker.stop(grace_seconds=5)
    assert outcome.code == "CANCELLED"
    events = all_events(queue, "q1")
    (cancelled,) = [e for e in events if e.kind == EventKind.CANCELLED]
    # recorded on the queue's clock: the executor stopped within a second of the cancel
    assert outcome.at - cancelled.at <= 1.0
    assert queue.stats().running == 0
    assert not worker.running()


def test_draining_hands_running_tasks_back_and_keeps_finished_ones(queue: TaskQueue) -> None:
    blocking = threading.Event()

    def slow_after_first(t: Task, control: TaskControl) -> bytes:
        if t.task_id == "q1-t0":
            return b"quick"
        blocking.set()
        return until_stopped(t, control)

    draining = Worker(queue, slow_after_first, executor_id="old", slots=2, take_timeout=0.2)
    query = QueryTasks(queue, "q1")
    query.submit(tasks("q1", 3))
    draining.start()
    assert query.wait(["q1-t0"], timeout=30)["q1-t0"].payload == b"quick"
    assert blocking.wait(30)
    draining.stop(grace_seconds=0.2, stop_wait_seconds=5)  # SIGTERM during a query
    fresh = Worker(queue, echo, executor_id="new", take_timeout=0.2).start()
    try:
        outcomes = query.wait([t.task_id for t in tasks("q1", 3)], timeout=30)
    finally:
        fresh.stop(grace_seconds=5)
    assert {e.kind for e in outcomes.values()} == {EventKind.RESULT}
    events = all_events(queue, "q1")
    taken = [(e.task_id, e.executor) for e in events if e.kind == EventKind.TAKEN]
    assert ("q1-t0", "new") not in taken  # what it had finished is not run again
    released = {e.task_id for e in events if e.kind == EventKind.RELEASED}
    assert released and released <= {"q1-t1", "q1-t2"}
    for task_id in released:
        assert (task_id, "new") in taken
    assert not [e for e in events if e.kind == EventKind.LOST]
    assert [e.executor_id for e in queue.executors()] == []


def test_progress_reaches_the_planner(queue: TaskQueue) -> None:
    def run(t: Task, control: TaskControl) -> bytes:
        control.progress(b"rows 512/1024", force=True)
        return b"ok"

    seen: list[QueueEvent] = []
    worker = Worker(queue, run, executor_id="w", take_timeout=0.2).start()
    try:
        query = QueryTasks(queue, "q1", on_event=seen.append)
        query.submit([task("q1", 0)])
        query.wait(["q1-t0"], timeout=30)
    finally:
        worker.stop(grace_seconds=5)
    assert [e.payload for e in seen if e.kind == EventKind.PROGRESS] == [b"rows 512/1024"]


def test_waiting_times_out_or_stops_on_cancel(queue: TaskQueue) -> None:
    query = QueryTasks(queue, "q1")
    query.submit([task("q1", 0)])
    with pytest.raises(DeadlineExceeded, match="1 of 1 task"):
        query.wait(["q1-t0"], timeout=0.3)
    with pytest.raises(Cancelled):
        query.wait(["q1-t0"], cancelled=lambda: True)
    assert queue.stats().waiting == 0
    with pytest.raises(InvalidArgument, match="belongs to query q2"):
        query.submit([task("q2", 0)])
    query.close()


def test_a_worker_that_cannot_reach_its_queue_does_not_start() -> None:
    from shift_search.queue.redis_queue import RedisTaskQueue
    from tests.redis_server import free_port

    port = free_port()
    queue = RedisTaskQueue(f"redis://127.0.0.1:{port}/0", socket_timeout=0.5, retries=0)
    with pytest.raises(ShiftError, match=f"Redis at 127.0.0.1:{port} unreachable"):
        Worker(queue, echo).start()
