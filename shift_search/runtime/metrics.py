"""Prometheus metrics of every SHiFT service, and the `/metrics` HTTP endpoint that serves them.

The metrics are defined here once; each part records its own: the queue worker records tasks
running, finished and their seconds; `record_cache_lookup` and `record_error` are for the cache
service and the gRPC interceptors; `watch_queue` publishes the queue's length and pending
entries, read from the queue at each scrape.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shift_search.runtime.errors import ShiftError

if TYPE_CHECKING:  # the queue records its own metrics here: no import of it at run time
    from shift_search.queue.interface import TaskQueue

log = logging.getLogger("shift.metrics")

QUEUE_WAITING = "shift_queue_tasks_waiting"
"""The queue length; the HPA overlay (deploy/overlays/autoscaling-hpa) scales executors on it."""
QUEUE_PENDING = "shift_queue_tasks_pending"
"""Tasks taken and not finished; the HPA overlay keeps an executor per running task."""
TASK_SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

TASKS_RUNNING = Gauge("shift_tasks_running", "Tasks an executor is running now, by kind", ["kind"])
TASKS_FINISHED = Counter(
    "shift_tasks_finished",
    "Tasks an executor finished, by kind and outcome (done, failed, cancelled, released)",
    ["kind", "outcome"],
)
TASK_SECONDS = Histogram(
    "shift_task_seconds",
    "Seconds an executor spent on a task, by kind",
    ["kind"],
    buckets=TASK_SECONDS_BUCKETS,
)
QUEUE_OPERATION_SECONDS = Histogram(
    "shift_queue_operation_seconds",
    "Seconds one queue operation took (Redis round trip)",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5),
)
CACHE_LOOKUPS = Counter(
    "shift_cache_lookups",
    "Cache lookups, by kind of value and result (hit, miss)",
    ["kind", "result"],
)
ERRORS = Counter(
    "shift_errors", "Errors returned to callers, by service and gRPC code", ["service", "code"]
)


def record_cache_lookup(kind: str, hit: bool) -> None:
    """For the cache service: one lookup of a `kind` of value (features, proxy, finetune…)."""
    CACHE_LOOKUPS.labels(kind, "hit" if hit else "miss").inc()


def record_error(service: str, code: str) -> None:
    """For the gRPC interceptors: `service` answered a call with status `code` (its name)."""
    ERRORS.labels(service, code).inc()


class QueueCollector(Collector):
    """The queue's length and pending entries, read from the queue at each scrape."""

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("shift_queue_up", "1 when the queue answered this scrape")
        try:
            stats = self.queue.stats()
        except ShiftError as error:
            log.warning("metrics: %s", error.message)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, value, text in (
            (QUEUE_WAITING, stats.waiting, "Tasks no executor has taken yet"),
            (QUEUE_PENDING, stats.running, "Tasks taken and not yet finished"),
            ("shift_queue_active_queries", stats.active_queries, "Queries with waiting tasks"),
            ("shift_queue_executors", stats.executors, "Executors heart-beating"),
        ):
            yield GaugeMetricFamily(name, text, value=value)


_WATCHING: weakref.WeakKeyDictionary[CollectorRegistry, QueueCollector] = (
    weakref.WeakKeyDictionary()
)
_WATCHING_LOCK = threading.Lock()


def watch_queue(queue: TaskQueue, registry: CollectorRegistry = REGISTRY) -> QueueCollector:
    """Publish `queue`'s length and pending entries on `registry`. One queue per registry (one
    planner per process): a later call watches its queue instead of the earlier one."""
    with _WATCHING_LOCK:
        collector = _WATCHING.get(registry)
        if collector is not None:
            collector.queue = queue
            return collector
        collector = QueueCollector(queue)
        registry.register(collector)
        _WATCHING[registry] = collector
        return collector


@dataclass
class MetricsServer:
    """A running `/metrics` endpoint."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_metrics_server(
    port: int, host: str = "0.0.0.0", registry: CollectorRegistry = REGISTRY
) -> MetricsServer:
    """Serve `registry` at http://host:port/metrics (port 0: any free port) on a thread."""
    try:
        server, thread = _start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise ShiftError(f"metrics: cannot serve on {host}:{port}: {error}") from error
    log.info("metrics at http://%s:%d/metrics", host, server.server_port)
    return MetricsServer(server, thread)


METRICS_PORT_ENV = "SHIFT_METRICS_PORT"


def add_metrics_argument(parser: argparse.ArgumentParser) -> None:
    """`--metrics-port N` for a service's command line (default $SHIFT_METRICS_PORT; 0 or
    absent: no endpoint)."""
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=int(os.environ.get(METRICS_PORT_ENV) or 0) or None,
        help=f"serve Prometheus metrics at http://HOST:PORT/metrics (${METRICS_PORT_ENV})",
    )


def serve_metrics_from(args: argparse.Namespace, host: str = "0.0.0.0") -> MetricsServer | None:
    """Start the endpoint `--metrics-port` asks for, if any."""
    port = getattr(args, "metrics_port", None)
    return start_metrics_server(port, host) if port else None
