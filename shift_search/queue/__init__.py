"""The shared work queue between planners and executors (issue 13): Redis Streams with a
consumer group, or an in-process queue for the embedded `shift serve`."""

from __future__ import annotations

from shift_search.queue.interface import QueueTimings, TaskQueue
from shift_search.queue.memory import InProcessQueue
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.runtime.errors import InvalidArgument


def open_queue(url: str | None, timings: QueueTimings | None = None) -> TaskQueue:
    """The queue at `url`: redis://… or rediss://… for Redis, None or "memory" in-process."""
    if url is None or url == "memory":
        return InProcessQueue(timings)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisTaskQueue(url, timings=timings)
    raise InvalidArgument(f"queue: unknown queue address {url!r}; use redis://HOST:PORT/DB")
