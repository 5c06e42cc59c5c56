"""Building tasks and reading a query's events in tests."""

from __future__ import annotations

from shift_search.queue.interface import START, TaskQueue
from shift_search.queue.records import EventKind, QueueEvent, Task


def task(query: str, n: int, model: str = "m", kind: str = "embed") -> Task:
    return Task(f"{query}-t{n}", query, kind, model, f"payload {query} {n}".encode())


def tasks(query: str, count: int, model: str = "m") -> list[Task]:
    return [task(query, n, model) for n in range(count)]


def all_events(queue: TaskQueue, query: str) -> list[QueueEvent]:
    events, _ = queue.read_events(query, START, 0.0, limit=100_000)
    return events


def kinds(events: list[QueueEvent], task_id: str) -> list[EventKind]:
    return [e.kind for e in events if e.task_id == task_id]
