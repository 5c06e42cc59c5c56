"""Prometheus metrics, scraped for real over HTTP from a `/metrics` endpoint."""

from __future__ import annotations

import argparse
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from shift_search.queue.interface import TaskQueue
from shift_search.queue.query_tasks import QueryTasks
from shift_search.queue.records import Task
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.queue.worker import TaskControl, Worker
from shift_search.runtime import metrics
from shift_search.runtime.errors import InvalidArgument, ShiftError
from tests.queue.tasks import task, tasks
from tests.redis_server import free_port


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at http://127.0.0.1:port/metrics: (name, labels) → value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def endpoint(registry: CollectorRegistry) -> Iterator[metrics.MetricsServer]:
    server = metrics.start_metrics_server(0, "127.0.0.1", registry)
    yield server
    server.stop()


def test_the_queue_length_and_pending_entries_are_scraped(
    queue: TaskQueue, registry: CollectorRegistry, endpoint: metrics.MetricsServer
) -> None:
    metrics.watch_queue(queue, registry)
    queue.enqueue(tasks("q1", 5) + tasks("q2", 2))
    queue.take("e1", 3)
    samples = scrape(endpoint.port)
    assert samples[("shift_queue_up", ())] == 1
    assert samples[("shift_queue_tasks_waiting", ())] == 4
    assert samples[("shift_queue_tasks_pending", ())] == 3
    assert samples[("shift_queue_active_queries", ())] == 2


def test_an_unreachable_queue_scrapes_as_down_not_as_an_error(
    registry: CollectorRegistry, endpoint: metrics.MetricsServer
) -> None:
    queue = RedisTaskQueue(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5, retries=0)
    metrics.watch_queue(queue, registry)
    samples = scrape(endpoint.port)
    assert samples[("shift_queue_up", ())] == 0
    assert ("shift_queue_tasks_waiting", ()) not in samples


def test_workers_count_tasks_running_finished_and_their_seconds(queue: TaskQueue) -> None:
    def run(t: Task, control: TaskControl) -> bytes:
        if t.task_id.endswith("t2"):
            raise InvalidArgument("bad")
        return b"ok"

    def finished(kind: str, outcome: str) -> float:
        labels = {"kind": kind, "outcome": outcome}
        return REGISTRY.get_sample_value("shift_tasks_finished_total", labels) or 0.0

    before = {o: finished("metrics-test", o) for o in ("done", "failed")}
    server = metrics.start_metrics_server(0, "127.0.0.1")  # the default registry
    worker = Worker(queue, run, executor_id="w", take_timeout=0.2).start()
    try:
        query = QueryTasks(queue, "q1")
        query.submit([Task(f"q1-t{n}", "q1", "metrics-test", "m", b"") for n in range(3)])
        query.wait([f"q1-t{n}" for n in range(3)], timeout=30)
        worker.stop(grace_seconds=5)
        samples = scrape(server.port)
    finally:
        server.stop()
    label = (("kind", "metrics-test"),)
    done = (("kind", "metrics-test"), ("outcome", "done"))
    failed = (("kind", "metrics-test"), ("outcome", "failed"))
    assert samples[("shift_tasks_finished_total", done)] == before["done"] + 2
    assert samples[("shift_tasks_finished_total", failed)] == before["failed"] + 1
    assert samples[("shift_tasks_running", label)] == 0
    assert samples[("shift_task_seconds_count", label)] >= 3


def test_cache_hits_and_errors_by_code_are_recorded_for_other_services() -> None:
    server = metrics.start_metrics_server(0, "127.0.0.1")
    try:
        metrics.record_cache_lookup("features-test", hit=True)
        metrics.record_cache_lookup("features-test", hit=False)
        metrics.record_error("planner-test", "NOT_FOUND")
        samples = scrape(server.port)
    finally:
        server.stop()
    hit = (("kind", "features-test"), ("result", "hit"))
    assert samples[("shift_cache_lookups_total", hit)] >= 1
    error = (("code", "NOT_FOUND"), ("service", "planner-test"))
    assert samples[("shift_errors_total", error)] >= 1


def test_redis_queue_operations_are_timed(redis_url: str) -> None:
    def enqueues() -> float:
        labels = {"operation": "enqueue"}
        return REGISTRY.get_sample_value("shift_queue_operation_seconds_count", labels) or 0.0

    queue = RedisTaskQueue(redis_url, namespace="metrics-test")
    before = enqueues()
    queue.enqueue([task("q1", 0)])
    assert enqueues() == before + 1


def test_metrics_port_comes_from_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    metrics.add_metrics_argument(parser)
    assert metrics.serve_metrics_from(parser.parse_args([])) is None
    port = free_port()
    server = metrics.serve_metrics_from(
        parser.parse_args(["--metrics-port", str(port)]), "127.0.0.1"
    )
    assert server is not None
    try:
        assert server.port == port
        assert any(name.startswith("shift_") for name, _ in scrape(port))
    finally:
        server.stop()


def test_a_busy_port_is_a_clear_error() -> None:
    server = metrics.start_metrics_server(0, "127.0.0.1")
    try:
        with pytest.raises(ShiftError, match=f"metrics: cannot serve on 127.0.0.1:{server.port}"):
            metrics.start_metrics_server(server.port, "127.0.0.1")
    finally:
        server.stop()
