"""`shift status` as people read it: the queue in a line, then one row per live executor."""

from __future__ import annotations

from shift_search.cli.status import status_text
from shift_search.client.status import ExecutorState, ServerStatus


def test_each_live_executor_is_a_row_with_its_device_slots_models_and_tasks() -> None:
    status = ServerStatus(
        "redis://10.0.0.5:6379 ({shift:queue})",
        waiting=12,
        running=2,
        active_queries=3,
        executors=(
            ExecutorState("gpu-a", "cuda:0", 2, ("models/hf/bert@main~ab",), ("t1", "t2"), 0.4),
            ExecutorState("gpu-b", "cuda:0", 1, (), (), 1.2),
        ),
    )
    lines = status_text(status).splitlines()
    assert lines[0] == (
        "queue redis://10.0.0.5:6379 ({shift:queue}): 12 task(s) waiting (from 3 query "
        "batches), 2 running; 2 executor(s) with 3 slot(s)"
    )
    assert lines[1].split() == [
        "executor", "device", "busy", "models", "loaded", "running", "tasks", "heartbeat"
    ]  # fmt: skip
    assert lines[3].split() == [
        "gpu-a",
        "cuda:0",
        "2/2",
        "models/hf/bert@main~ab",
        "t1,",
        "t2",
        "0.4s",
    ]
    assert lines[4].split() == ["gpu-b", "cuda:0", "0/1", "-", "-", "1.2s"]


def test_no_executor_says_that_queries_wait() -> None:
    text = status_text(ServerStatus("in-process", 0, 0, 0, ()))
    assert (
        text.splitlines()[1]
        == "no executor is heart-beating: queries wait until one joins the queue"
    )
