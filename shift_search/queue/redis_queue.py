"""The TaskQueue on Redis Streams: per-query, per-model task streams read by one consumer group,
a backlog stream whose lag an autoscaler watches, heartbeats with TTLs, and Lua for every step
that must be atomic (see redis_keys.py for the layout, redis_scripts.py for the scripts)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.retry import Retry

from shift_search.queue import redis_scripts as lua
from shift_search.queue.interface import (
    START,
    QueueStateLost,
    QueueTimings,
    check_code,
    check_take,
)
from shift_search.queue.records import (
    Delivery,
    EventKind,
    ExecutorInfo,
    ExecutorStatus,
    Heartbeat,
    QueueEvent,
    QueueStats,
    Task,
)
from shift_search.queue.redis_keys import DEFAULT_NAMESPACE, QueueKeys
from shift_search.runtime.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    ShiftError,
    Unavailable,
)
from shift_search.runtime.metrics import QUEUE_OPERATION_SECONDS

_ENQUEUE_BATCH = 500
_MAX_BLOCK_SECONDS = 2.0  # one blocking read; well below the socket timeout


def redis_address(url: str) -> str:
    """host:port of a Redis URL (never the password), for messages."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisTaskQueue:
    """A TaskQueue shared by every planner and executor that reach the same Redis."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        timings: QueueTimings | None = None,
        socket_timeout: float = 5.0,
        retries: int = 2,
    ) -> None:
        self._address = redis_address(url)
        self._timings = timings or QueueTimings()
        self.keys = QueueKeys(namespace)
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=min(socket_timeout, 2.0),
                health_check_interval=15,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries),
                retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            )
        except ValueError as exc:
            raise InvalidArgument(f"queue: bad Redis URL for the queue: {exc}") from exc
        self._scripts: dict[str, Script] = {
            name: self._client.register_script(getattr(lua, name))
            for name in (
                "ENQUEUE",
                "TAKE",
                "COMPLETE",
                "FAIL",
                "PROGRESS",
                "RELEASE",
                "LEAVE",
                "REAP",
                "HEARTBEAT",
                "CANCEL",
                "CLOSE",
                "STATS",
                "EXECUTORS",
            )
        }

    @property
    def address(self) -> str:
        return f"redis://{self._address} ({self.keys.prefix})"

    @property
    def timings(self) -> QueueTimings:
        return self._timings

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        try:
            yield
        except redis.ResponseError as exc:
            text = str(exc)
            if text.startswith("CANCELLED"):
                raise FailedPrecondition(f"queue: {text.removeprefix('CANCELLED ')}") from exc
            if text.startswith("OOM"):
                raise ResourceExhausted(
                    f"queue: Redis at {self._address} is full ({operation}): {exc}"
                ) from exc
            if text.startswith("LOADING"):
                raise Unavailable(
                    f"queue: Redis at {self._address} is loading its data ({operation}); retry"
                ) from exc
            raise ShiftError(f"queue: Redis at {self._address} refused {operation}: {exc}") from exc
        except redis.RedisError as exc:
            raise Unavailable(
                f"queue: Redis at {self._address} unreachable ({operation}): {exc}"
            ) from exc

    def _run(self, name: str, operation: str, *args: Any) -> Any:
        started = time.perf_counter()
        with self._guard(operation):
            reply = self._scripts[name](keys=[self.keys.backlog], args=[self.keys.prefix, *args])
        QUEUE_OPERATION_SECONDS.labels(operation).observe(time.perf_counter() - started)
        return reply

    # planners
    def enqueue(self, tasks: Sequence[Task]) -> None:
        ttl = _ms(self._timings.query_ttl_seconds)
        for start in range(0, len(tasks), _ENQUEUE_BATCH):
            args: list[Any] = [ttl, uuid.uuid4().hex]  # a retry of this call is a no-op
            for t in tasks[start : start + _ENQUEUE_BATCH]:
                args += [t.task_id, t.query_id, t.kind, t.model, t.payload]
            self._run("ENQUEUE", "enqueue", *args)

    def read_events(
        self, query_id: str, after: str = START, timeout: float = 0.0, limit: int = 1000
    ) -> tuple[list[QueueEvent], str]:
        events_key = self.keys.query(query_id, "events")
        with self._guard("read_events"):
            if not self._client.exists(events_key):
                if self._client.exists(self.keys.query(query_id, "closed")):
                    raise NotFound(f"queue: query {query_id} was closed")
                raise QueueStateLost(
                    f"queue: Redis at {self._address} holds no events for query {query_id}: "
                    "never enqueued, expired, or lost when Redis restarted without persistence"
                )
            block = min(timeout, _MAX_BLOCK_SECONDS)
            reply: Any = self._client.xread(
                {events_key: after}, count=limit, block=_ms(block) if block > 0 else None
            )
        events: list[QueueEvent] = []
        cursor = after
        for _, entries in reply or []:
            for entry_id, fields in entries:
                cursor = _text(entry_id)
                events.append(_event(fields))
        return events, cursor

    def cancel(self, query_id: str) -> int:
        return int(self._run("CANCEL", "cancel", query_id, _ms(self._timings.cancel_ttl_seconds)))

    def close_query(self, query_id: str) -> None:
        self._run("CLOSE", "close_query", query_id, _ms(self._timings.cancel_ttl_seconds))

    # executors
    def heartbeat(self, status: ExecutorStatus) -> Heartbeat:
        body = json.dumps(
            {
                "device": status.device,
                "slots": status.slots,
                "models": list(status.models),
            }
        )
        queries = sorted({q for q, _ in status.running})
        reply = self._run(
            "HEARTBEAT",
            "heartbeat",
            status.executor_id,
            body,
            _ms(self._timings.dead_after_seconds),
            *queries,
        )
        return Heartbeat(frozenset(_text(q) for q in reply[1:]), bool(int(reply[0])))

    def take(
        self,
        executor_id: str,
        count: int,
        models: Collection[str] = (),
        timeout: float = 0.0,
        holding: Collection[str] | None = None,
    ) -> list[Delivery]:
        check_take(executor_id, count)
        deadline = time.monotonic() + timeout
        wanted = sorted(models)
        known = [-1] if holding is None else [len(holding), *holding]
        while True:
            reply = self._run("TAKE", "take", executor_id, count, len(wanted), *wanted, *known)
            deliveries = _deliveries(reply, executor_id)
            left = deadline - time.monotonic()
            if deliveries or count == 0 or left <= 0:
                return deliveries
            with self._guard("take (waiting)"):  # wake when a token is added
                self._client.xread(
                    {self.keys.backlog: _text(reply[1])},
                    count=1,
                    block=_ms(min(left, _MAX_BLOCK_SECONDS)),
                )

    def progress(self, delivery: Delivery, payload: bytes) -> None:
        task = delivery.task
        self._run(
            "PROGRESS",
            "progress",
            delivery.executor,
            task.task_id,
            task.query_id,
            delivery.attempt,
            payload,
        )

    def complete(self, delivery: Delivery, result: bytes) -> bool:
        stream, entry, token = _handle(delivery)
        task = delivery.task
        fresh = self._run(
            "COMPLETE",
            "complete",
            delivery.executor,
            stream,
            entry,
            token,
            task.task_id,
            task.query_id,
            delivery.attempt,
            result,
            _ms(self._timings.done_ttl_seconds),
        )
        return bool(int(fresh))

    def fail(self, delivery: Delivery, code: str, message: str) -> None:
        stream, entry, token = _handle(delivery)
        task = delivery.task
        self._run(
            "FAIL",
            "fail",
            delivery.executor,
            stream,
            entry,
            token,
            task.task_id,
            task.query_id,
            delivery.attempt,
            check_code(code),
            message,
        )

    def release(self, deliveries: Sequence[Delivery]) -> None:
        by_executor: dict[str, list[str]] = {}
        for d in deliveries:
            by_executor.setdefault(d.executor, []).append(d.handle)
        for executor_id, handles in by_executor.items():
            self._run("RELEASE", "release", executor_id, *handles)

    def leave(self, executor_id: str) -> None:
        self._run("LEAVE", "leave", executor_id, self._timings.max_attempts)

    # anyone
    def reap(self) -> int:
        return int(
            self._run(
                "REAP", "reap", _ms(self._timings.dead_after_seconds), self._timings.max_attempts
            )
        )

    def executors(self) -> list[ExecutorInfo]:
        reply = self._run("EXECUTORS", "executors", _ms(self._timings.dead_after_seconds))
        out = []
        for executor_id, seen, body, tasks in reply:
            status = json.loads(_text(body))
            out.append(
                ExecutorInfo(
                    executor_id=_text(executor_id),
                    device=status["device"],
                    slots=int(status["slots"]),
                    models=tuple(status["models"]),
                    running=tuple(sorted(_text(t) for t in tasks)),
                    heartbeat_at=float(seen) / 1000.0,
                )
            )
        return sorted(out, key=lambda e: e.executor_id)

    def stats(self) -> QueueStats:
        waiting, running, active, live = self._run(
            "STATS", "stats", _ms(self._timings.dead_after_seconds)
        )
        return QueueStats(int(waiting), int(running), int(active), int(live))

    def forget_done(self) -> int:
        forgotten = 0
        with self._guard("forget_done"):
            batch: list[Any] = []
            for key in self._client.scan_iter(match=self.keys.done("*"), count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    forgotten += int(self._client.unlink(*batch))
                    batch = []
            if batch:
                forgotten += int(self._client.unlink(*batch))
        return forgotten

    def ping(self) -> None:
        with self._guard("ping"):
            self._client.ping()

    def close(self) -> None:
        self._client.close()


def _handle(delivery: Delivery) -> tuple[str, str, str]:
    stream, entry, token = delivery.handle.split("|")
    return stream, entry, token


def _deliveries(reply: list[Any], executor_id: str) -> list[Delivery]:
    now = float(reply[0]) / 1000.0
    out = []
    for i in range(2, len(reply), 7):
        handle, task_id, query_id, kind, model, payload, attempt = reply[i : i + 7]
        task = Task(_text(task_id), _text(query_id), _text(kind), _text(model), bytes(payload))
        out.append(Delivery(task, executor_id, int(attempt), _text(handle), now))
    return out


def _event(fields: dict[bytes, bytes]) -> QueueEvent:
    f = {_text(k): v for k, v in fields.items()}
    return QueueEvent(
        kind=EventKind(_text(f["k"])),
        task_id=_text(f["t"]),
        executor=_text(f["e"]),
        at=float(f["at"]) / 1000.0,
        attempt=int(f["a"]),
        payload=bytes(f["p"]),
        code=_text(f["c"]),
        message=_text(f["m"]),
        from_done=_text(f["d"]) == "1",
    )
