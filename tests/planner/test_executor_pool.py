"""The planner's executor pool: a task that meets an unreachable executor is retried on one that
answers, every task finishes, and capacity follows what executors report after the start."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.planner.executors import ExecutorPool
from shift_search.runtime.errors import ShiftError
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.results import ProfileResult
from shift_search.tasks.specs import ProfileTask
from tests.redis_server import free_port
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert


def test_unavailable_executor_is_skipped(tmp_path: Path) -> None:
    make_tiny_bert(tmp_path / "bert")
    server = build(serve_args(f"sqlite:///{tmp_path / 'store.sqlite3'}")).start()
    dead = f"127.0.0.1:{free_port()}"
    try:
        pool = ExecutorPool([dead, server.internal_address])
        batch = pool.submit([profile_task(tmp_path / "bert")] * 4)
        assert batch.wait(timeout=120)
        results = [o for o in batch.results.values() if not isinstance(o, ShiftError)]
        assert len(results) == 4
        assert all(o.of(ProfileResult).dimension == 32 for o in results)
    finally:
        server.stop(grace=0.5)


def executor_on(port: int, slots: int, store: str) -> ServiceServer:
    """An executor alone on `port` with its own cache server (stopped with it): the
    executor of `shift serve` (all) is on a private socket, not on a known port."""
    cache = build(serve_args(store, service="cache")).start()
    executor = build(
        serve_args(store, service="executor", port=port, slots=slots, cache=cache.address)
    )
    return executor.on_stop(lambda: cache.stop(grace=0.5)).start()


def profile_task(folder: Path) -> ProfileTask:
    return ProfileTask(ModelRecord(name="bert", source="huggingface", uri=str(folder)), samples=8)


@pytest.mark.parametrize("refresh", ["periodic", "on request"])
def test_capacity_is_refreshed_when_an_executor_comes_back(tmp_path: Path, refresh: str) -> None:
    make_tiny_bert(tmp_path / "bert")
    port = free_port()
    pool = ExecutorPool([f"127.0.0.1:{port}"], refresh_seconds=0.2 if refresh == "periodic" else 0)
    assert pool.capacity() == 1  # unreachable at start: the default
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = executor_on(port, 2, store)
    try:
        deadline = time.monotonic() + 60
        while pool.capacity() != 2 and time.monotonic() < deadline:
            if refresh == "on request":
                pool.refresh_capacity()
            time.sleep(0.1)
        assert pool.capacity() == 2
        batch = pool.submit([profile_task(tmp_path / "bert")] * 3)
        assert batch.wait(timeout=120)
        assert not [o for o in batch.results.values() if isinstance(o, ShiftError)]
    finally:
        server.stop(grace=0.5)


def test_capacity_shrinks_when_an_executor_comes_back_smaller(tmp_path: Path) -> None:
    make_tiny_bert(tmp_path / "bert")
    port = free_port()
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = executor_on(port, 2, store)
    pool = ExecutorPool([f"127.0.0.1:{port}"], refresh_seconds=0)
    try:
        assert pool.capacity() == 2
        server.stop(grace=0.5)
        server = executor_on(port, 1, store)
        deadline = time.monotonic() + 60
        while pool.capacity() != 1 and time.monotonic() < deadline:
            pool.refresh_capacity()
            time.sleep(0.1)
        assert pool.capacity() == 1
        batch = pool.submit([profile_task(tmp_path / "bert")] * 2)
        assert batch.wait(timeout=120)
        assert not [o for o in batch.results.values() if isinstance(o, ShiftError)]
    finally:
        server.stop(grace=0.5)
