"""The planner's executor pool: a task that meets an unreachable executor is retried on one that
answers, and every task finishes."""

from __future__ import annotations

from pathlib import Path

from cli.serve import build
from services.cache.convert import model_to_proto
from services.cache.records import ModelRecord
from services.planner.executors import ExecutorPool
from services.runtime.errors import ShiftError
from shift.v1 import executor_pb2
from tests.redis_server import free_port
from tests.services.conftest import serve_args
from tests.tiny_world import make_tiny_bert


def test_unavailable_executor_is_skipped(tmp_path: Path) -> None:
    make_tiny_bert(tmp_path / "bert")
    server = build(serve_args(f"sqlite:///{tmp_path / 'store.sqlite3'}")).start()
    dead = f"127.0.0.1:{free_port()}"
    try:
        pool = ExecutorPool([dead, server.address])
        model = ModelRecord(name="bert", source="huggingface", uri=str(tmp_path / "bert"))
        request = executor_pb2.RunTaskRequest(
            profile=executor_pb2.ProfileTask(model=model_to_proto(model), samples=8)
        )
        batch = pool.submit([request] * 4)
        assert batch.wait(timeout=120)
        outcomes = list(batch.results.values())
        assert not [o for o in outcomes if isinstance(o, ShiftError)]
        assert all(o.profile.dimension == 32 for o in outcomes)
    finally:
        server.stop(grace=0.5)
