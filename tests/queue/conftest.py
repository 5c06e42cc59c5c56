"""Fixtures: the same contract runs against the in-process queue and a real redis-server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shift_search.queue.interface import QueueTimings, TaskQueue
from shift_search.queue.memory import InProcessQueue
from shift_search.queue.redis_queue import RedisTaskQueue

# Short intervals so liveness tests run in seconds; the kill -9 test uses the defaults.
FAST = QueueTimings(heartbeat_seconds=0.2, dead_after_seconds=1.0, max_attempts=3)


def make_queue(kind: str, redis_url: str | None, timings: QueueTimings = FAST) -> TaskQueue:
    if kind == "memory":
        return InProcessQueue(timings)
    assert redis_url is not None
    # a namespace of its own, so a test never sees another's keys
    return RedisTaskQueue(redis_url, namespace=f"test-{uuid.uuid4().hex[:8]}", timings=timings)


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def queue(backend: str, request: pytest.FixtureRequest) -> Iterator[TaskQueue]:
    """A fresh queue of each backend, with short liveness intervals."""
    url = request.getfixturevalue("redis_url") if backend == "redis" else None
    q = make_queue(backend, url)
    yield q
    q.close()
