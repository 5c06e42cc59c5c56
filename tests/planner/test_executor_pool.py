"""The planner's executor client on the work queue: tasks wait on the queue until an executor
joins, capacity is the slots of the executors heart-beating now, a describe is a task like any
other, and a cancelled batch leaves nothing running."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import grpc
import pytest

from shift_search.cache.records import ModelRecord
from shift_search.cli.register import register_all
from shift_search.cli.serve import build
from shift_search.client import Client, QueryError
from shift_search.planner.executors import Batch, ExecutorPool
from shift_search.queue.interface import QueueTimings
from shift_search.queue.memory import InProcessQueue
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.runtime.errors import Cancelled, ShiftError
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.results import ProfileResult, TaskProgress
from shift_search.tasks.specs import EmbedTask, ProfileTask
from tests.redis_server import free_port
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews


def executor_on(queue: InProcessQueue, slots: int, store: str) -> ServiceServer:
    """An executor alone on `queue`, with its own cache server (stopped with it)."""
    cache = build(serve_args(store, service="cache")).start()
    executor = build(serve_args(store, service="executor", slots=slots, cache=cache.address), queue)
    return executor.on_stop(lambda: cache.stop(grace=0.5)).start()


def profile_task(folder: Path, samples: int = 8) -> ProfileTask:
    return ProfileTask(
        ModelRecord(name="bert", source="huggingface", uri=str(folder)), samples=samples
    )


def until(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def test_tasks_wait_for_an_executor_and_capacity_follows_the_heartbeats(tmp_path: Path) -> None:
    make_tiny_bert(tmp_path / "bert")
    queue = InProcessQueue(QueueTimings(heartbeat_seconds=0.2, dead_after_seconds=1.0))
    pool = ExecutorPool(queue)
    assert pool.capacity() == 0
    devices = pool.devices()
    assert devices.count == 1 and devices.assumed and "no executor" in devices.note
    batch = pool.submit([profile_task(tmp_path / "bert")] * 3)  # one task: the same work
    assert not batch.wait(timeout=0.5)  # waiting on the queue, not failing
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = executor_on(queue, 2, store)
    try:
        assert pool.capacity() == 2 and not pool.devices().assumed
        assert batch.wait(timeout=120)
        results = list(batch.results.values())
        assert not [o for o in results if isinstance(o, ShiftError)]
        assert {o.of(ProfileResult).dimension for o in results} == {32}  # type: ignore[union-attr]
        (executor,) = pool.status().executors
        assert (executor.slots, executor.device, executor.running) == (2, "cpu", ())
    finally:
        server.stop(grace=0.5)
    assert pool.capacity() == 0  # it left the queue when it stopped


def test_a_dataset_is_described_by_whichever_executor_takes_the_task(tmp_path: Path) -> None:
    write_reviews(tmp_path / "train.csv", 30, seed=0)
    queue = InProcessQueue()
    server = executor_on(queue, 1, f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        described = ExecutorPool(queue).describe(reviews_dataset("train", tmp_path / "train.csv"))
        assert described.size == 30 and described.fingerprint
    finally:
        server.stop(grace=0.5)


def test_progress_comes_back_and_a_cancelled_batch_leaves_no_task_running(
    tmp_path: Path,
) -> None:
    make_tiny_bert(tmp_path / "bert")
    write_reviews(tmp_path / "big.csv", 40_000, seed=0)
    queue = InProcessQueue()
    server = executor_on(queue, 1, f"sqlite:///{tmp_path / 'store.sqlite3'}")
    pool = ExecutorPool(queue)
    progress: list[tuple[str, TaskProgress, str]] = []

    def on_progress(index: int, task_id: str, report: TaskProgress, executor: str) -> None:
        progress.append((task_id, report, executor))

    try:
        data = pool.describe(reviews_dataset("big", tmp_path / "big.csv"))
        model = ModelRecord(name="bert", source="huggingface", uri=str(tmp_path / "bert"))
        batch = pool.submit([EmbedTask(model, data, chunk_size=64)], on_progress=on_progress)
        until(lambda: progress)  # rows embedded so far, as the executor reports them
        task_id, report, executor = progress[0]
        assert report.stage == "embed" and 0 < report.done < report.total == 40_000
        (live,) = pool.status().executors
        assert executor == live.executor_id and live.running == (task_id,)
        batch.cancel()
        assert batch.wait(timeout=5)
        assert isinstance(batch.results[0], Cancelled)
        # the executor stops the task between batches, within a heartbeat
        until(lambda: not any(e.running for e in pool.status().executors), seconds=10)
        assert pool.status().stats.waiting == 0
    finally:
        server.stop(grace=0.5)


def test_without_executors_explain_assumes_a_device_and_a_query_waits_to_its_deadline(
    tmp_path: Path,
) -> None:
    make_tiny_bert(tmp_path / "bert")
    write_reviews(tmp_path / "train.csv", 40, seed=0)
    write_reviews(tmp_path / "test.csv", 20, seed=1)
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    queue = InProcessQueue()
    cache = build(serve_args(store, service="cache")).start()
    planner = build(serve_args(None, service="planner", cache=cache.address), queue).start()
    executor = build(serve_args(store, service="executor", cache=cache.address), queue).start()
    try:
        with Client(planner.address, timeout=120) as client:
            model = ModelRecord(
                name="bert", source="huggingface", uri=str(tmp_path / "bert"), load_cost=0.1
            )
            register_all(
                client,
                [
                    replace(model, inference_cost=1.0),
                    reviews_dataset("train", tmp_path / "train.csv"),
                    reviews_dataset("test", tmp_path / "test.csv"),
                ],
            )
        executor.stop(grace=0.5)  # no executor is left on the queue
        query = (
            'SELECT name FROM models ORDER BY err ASC TRAINED ON "train" TESTED ON "test" '
            'CLASSIFIED BY ["Euclidean NN"] WAIT;'
        )
        with Client(planner.address, timeout=120) as client:
            (plan,) = client.explain(query)
        assert plan.decisions["devices"].startswith("1 (assumed 1: no executor is heart-beating")
        with Client(planner.address, timeout=3) as client, pytest.raises(QueryError) as waited:
            list(client.events(query))
        assert waited.value.code == grpc.StatusCode.DEADLINE_EXCEEDED  # waited, did not fail
        until(lambda: queue.stats().waiting == 0, seconds=10)  # the deadline cancelled its tasks
    finally:
        for server in (executor, planner, cache):
            server.stop(grace=0.5)


def test_a_queue_that_cannot_be_reached_is_named_with_its_address() -> None:
    port = free_port()
    pool = ExecutorPool(
        RedisTaskQueue(f"redis://127.0.0.1:{port}/0", socket_timeout=0.5, retries=0)
    )
    devices = pool.devices()  # EXPLAIN still plans, for one device, and says why
    assert devices.count == 1
    assert f"queue: Redis at 127.0.0.1:{port} unreachable" in devices.note


def test_a_batch_is_done_only_once_its_results_were_handed_on(tmp_path: Path) -> None:
    # A search reads the score its on_result recorded as soon as the batch is done: a batch
    # that counted a task done before on_result had run made it fail with a KeyError.
    handed: list[int] = []

    def slow(index: int, outcome: object) -> None:
        time.sleep(0.3)  # still recording when the task already had its outcome
        handed.append(index)

    batch = Batch(InProcessQueue(), [profile_task(tmp_path)], on_result=slow)
    threading.Thread(target=batch.finish, args=(0, ShiftError("failed"))).start()
    assert batch.wait(30)
    assert handed == [0]
    batch.finish(0, ShiftError("again"))  # the first outcome wins; handed on once
    assert handed == [0]
    assert isinstance(batch.results[0], ShiftError) and batch.results[0].message == "failed"
