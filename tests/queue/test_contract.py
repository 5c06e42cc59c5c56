"""The TaskQueue contract, run against both backends (in-process and a real redis-server)."""

from __future__ import annotations

import time

import pytest

from shift_search.queue.interface import TaskQueue
from shift_search.queue.records import EventKind, ExecutorStatus, Task
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.queue.tasks import all_events, kinds, task, tasks


def join(queue: TaskQueue, executor: str, models: tuple[str, ...] = (), slots: int = 1) -> None:
    queue.heartbeat(ExecutorStatus(executor, "cpu", slots, models))


def test_a_task_goes_round_trip_with_its_payload_and_result(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0)])
    join(queue, "e1")
    (delivery,) = queue.take("e1", 4)
    assert delivery.task == task("q1", 0)
    assert delivery.attempt == 1
    assert queue.stats().running == 1
    assert queue.complete(delivery, b"the result") is True
    events = all_events(queue, "q1")
    assert [e.kind for e in events] == [EventKind.QUEUED, EventKind.TAKEN, EventKind.RESULT]
    assert events[0].message == "1"
    assert events[1].executor == "e1"
    assert events[2].payload == b"the result"
    assert events[2].at >= events[1].at >= events[0].at
    stats = queue.stats()
    assert (stats.waiting, stats.running, stats.active_queries) == (0, 0, 0)


def test_take_returns_at_most_count_and_nothing_when_empty(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 5))
    assert len(queue.take("e1", 3)) == 3
    assert queue.take("e1", 0) == []
    assert len(queue.take("e1", 10)) == 2
    assert queue.take("e1", 10, timeout=0.1) == []
    assert queue.stats().waiting == 0


def test_a_blocked_take_wakes_when_a_task_arrives(queue: TaskQueue) -> None:
    import threading

    got: list[int] = []
    taker = threading.Thread(target=lambda: got.append(len(queue.take("e1", 1, timeout=30))))
    taker.start()
    time.sleep(0.2)
    queue.enqueue([task("q1", 0)])
    taker.join(timeout=30)
    assert got == [1]


def test_concurrent_queries_interleave_round_robin(queue: TaskQueue) -> None:
    queue.enqueue(tasks("big", 100))
    queue.enqueue(tasks("small", 5))
    order = [queue.take("e1", 1)[0].task.query_id for _ in range(10)]
    # one big query cannot starve a small one: they alternate
    assert order.count("small") == 5
    assert all(order[i] != order[i + 1] for i in range(9))


def test_a_take_of_several_spreads_over_queries(queue: TaskQueue) -> None:
    for q in ("a", "b", "c"):
        queue.enqueue(tasks(q, 10))
    taken = queue.take("e1", 6)
    assert sorted(d.task.query_id for d in taken) == ["a", "a", "b", "b", "c", "c"]


def test_an_executor_prefers_tasks_of_models_it_holds(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", n, model=f"m{n % 3}") for n in range(9)])
    taken = queue.take("e1", 3, models=("m1",))
    assert [d.task.model for d in taken] == ["m1", "m1", "m1"]
    # none of its models left: the model with most tasks waiting (a tie: the greatest name)
    assert queue.take("e1", 1, models=("m1",))[0].task.model == "m2"
    assert queue.take("e2", 1)[0].task.model == "m0"


def test_a_finished_task_id_is_not_run_again(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0), task("q1", 0)])  # the same work twice
    (first,) = queue.take("e1", 1)
    assert queue.complete(first, b"R") is True
    assert queue.take("e2", 5) == []  # the duplicate is answered from the first run
    events = all_events(queue, "q1")
    results = [e for e in events if e.kind == EventKind.RESULT]
    assert [(r.payload, r.from_done) for r in results] == [(b"R", False), (b"R", True)]
    # another query asking for the same work gets the result at once, without a run
    queue.enqueue([Task("q1-t0", "q2", "embed", "m", b"")])
    assert queue.take("e2", 5) == []
    (result,) = [e for e in all_events(queue, "q2") if e.kind == EventKind.RESULT]
    assert result.from_done and result.payload == b"R"
    assert queue.stats().waiting == 0


def test_forgetting_finished_tasks_runs_them_again(queue: TaskQueue) -> None:
    """PURGE drops what tasks computed; the queue then forgets them too."""
    first, again = (Task("same-work", q, "embed", "m", b"p") for q in ("q1", "q2"))
    queue.enqueue([first])
    queue.complete(queue.take("e1", 1)[0], b"r")
    assert queue.forget_done() == 1
    queue.enqueue([again])
    assert [d.task for d in queue.take("e1", 1)] == [again]  # run, not answered from before


def test_a_second_completion_of_the_same_task_sends_no_second_result(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0)])
    (delivery,) = queue.take("e1", 1)
    assert queue.complete(delivery, b"first") is True
    assert queue.complete(delivery, b"second") is False
    results = [e.payload for e in all_events(queue, "q1") if e.kind == EventKind.RESULT]
    assert results == [b"first"]


def test_failure_reports_code_and_message(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0)])
    (delivery,) = queue.take("e1", 1)
    queue.fail(delivery, "INVALID_ARGUMENT", "bad column")
    (failed,) = [e for e in all_events(queue, "q1") if e.kind == EventKind.FAILED]
    assert (failed.code, failed.message, failed.executor) == (
        "INVALID_ARGUMENT",
        "bad column",
        "e1",
    )
    assert queue.stats().running == 0
    with pytest.raises(InvalidArgument, match="gRPC status code"):
        queue.fail(delivery, "oops", "x")


def test_cancel_drops_waiting_tasks_and_flags_running_ones(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 5))
    queue.enqueue(tasks("q2", 2))
    running, other, handed_back = queue.take("e1", 3)  # round-robin: q1, q2, q1
    assert (running.task.query_id, other.task.query_id, handed_back.task.query_id) == (
        "q1",
        "q2",
        "q1",
    )
    queue.release([handed_back])
    assert queue.cancel("q1") == 4  # 3 never taken, 1 handed back
    assert queue.stats().waiting == 1  # q2's last task stays
    beat = queue.heartbeat(ExecutorStatus("e1", "cpu", 1, running=(("q1", running.task.task_id),)))
    assert beat.cancelled == {"q1"}
    assert {d.task.query_id for d in queue.take("e2", 10)} == {"q2"}
    with pytest.raises(FailedPrecondition, match="q1"):
        queue.enqueue([task("q1", 9)])
    assert EventKind.CANCELLED in [e.kind for e in all_events(queue, "q1")]


def test_a_closed_query_is_gone(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 3))
    queue.close_query("q1")
    assert queue.stats().waiting == 0
    with pytest.raises(NotFound, match="q1"):
        queue.read_events("q1")
    with pytest.raises(FailedPrecondition):
        queue.enqueue([task("q1", 0)])


def test_released_tasks_are_offered_first_without_counting_an_attempt(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 5))
    held = queue.take("e1", 2)
    queue.release(held)
    again = queue.take("e2", 2)
    assert [d.task for d in again] == [d.task for d in held]
    assert [d.attempt for d in again] == [1, 1]
    events = all_events(queue, "q1")
    assert kinds(events, held[0].task.task_id) == [
        EventKind.TAKEN,
        EventKind.RELEASED,
        EventKind.TAKEN,
    ]
    assert queue.stats().running == 2


def test_a_take_whose_reply_was_lost_is_handed_back_at_the_next_take(queue: TaskQueue) -> None:
    """A take runs in the queue but its reply never reaches the executor (the connection broke,
    or a client retry sent it twice): the executor, alive and heart-beating, does not know it
    holds those tasks. Its next take lists what it does run, and the rest is offered again."""
    queue.enqueue(tasks("q1", 3))
    join(queue, "e1")
    (running,) = queue.take("e1", 1, holding=[])
    queue.take("e1", 1, holding=[running.handle])  # the reply of this one is lost
    again = queue.take("e1", 2, holding=[running.handle])
    assert [d.task.task_id for d in again] == ["q1-t1", "q1-t2"]  # handed back, offered first
    assert [d.attempt for d in again] == [1, 1]
    assert kinds(all_events(queue, "q1"), "q1-t1") == [
        EventKind.TAKEN,
        EventKind.RELEASED,
        EventKind.TAKEN,
    ]
    # without `holding` nothing is handed back (callers that track nothing)
    assert queue.take("e1", 1) == []
    assert queue.stats().running == 3


def test_a_failure_of_a_task_offered_again_since_is_ignored(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0)])
    join(queue, "e1")
    (first,) = queue.take("e1", 1)
    queue.take("e1", 0, holding=[])  # e1 does not know it holds it: it is offered again
    (second,) = queue.take("e2", 1)
    queue.fail(first, "CANCELLED", "too late")  # the first holder's word no longer counts
    assert queue.complete(second, b"r") is True
    assert kinds(all_events(queue, "q1"), "q1-t0")[-1] == EventKind.RESULT
    assert EventKind.FAILED not in kinds(all_events(queue, "q1"), "q1-t0")


def test_an_enqueue_sent_twice_by_a_client_retry_queues_once(redis_url: str) -> None:
    """redis-py re-sends a command whose reply was lost; the script's request id makes the
    second run a no-op, so no task is queued (and run) twice."""
    from shift_search.queue.redis_queue import RedisTaskQueue

    queue = RedisTaskQueue(redis_url, namespace="retried")
    t = task("q1", 0)
    args = [
        queue.keys.prefix,
        60_000,
        "request-1",
        t.task_id,
        t.query_id,
        t.kind,
        t.model,
        t.payload,
    ]
    try:
        for _ in range(2):
            queue._scripts["ENQUEUE"](keys=[queue.keys.backlog], args=args)
        assert queue.stats().waiting == 1
        assert [e.kind for e in all_events(queue, "q1")] == [EventKind.QUEUED]
    finally:
        queue.close()


def test_tasks_of_an_executor_that_stopped_heart_beating_are_offered_again(
    queue: TaskQueue,
) -> None:
    queue.enqueue(tasks("q1", 3))
    join(queue, "lost")
    held = queue.take("lost", 2)
    queue.reap()  # arms the reaper: it judges only after watching one full interval
    deadline = time.monotonic() + 10
    while queue.reap() == 0:
        join(queue, "alive")
        assert time.monotonic() < deadline, "never re-offered"
        time.sleep(0.1)
    again = queue.take("alive", 3)
    assert [d.task for d in again[:2]] == [d.task for d in held]  # retries come first
    assert [d.attempt for d in again[:2]] == [2, 2]
    events = all_events(queue, "q1")
    lost = [e for e in events if e.kind == EventKind.LOST]
    assert {(e.task_id, e.executor) for e in lost} == {(d.task.task_id, "lost") for d in held}
    assert [e.executor_id for e in queue.executors()] == ["alive"]
    # the lost executor finishing after all is harmless: one result, no error
    assert queue.complete(held[0], b"late") is True
    assert queue.complete(again[0], b"again") is False


def test_a_task_lost_too_often_fails_instead_of_looping(queue: TaskQueue) -> None:
    queue.enqueue([task("q1", 0)])
    queue.reap()
    for attempt in range(1, queue.timings.max_attempts + 1):
        executor = f"doomed{attempt}"
        join(queue, executor)
        (delivery,) = queue.take(executor, 1, timeout=10)
        assert delivery.attempt == attempt
        deadline = time.monotonic() + 10
        while queue.reap() == 0 and not any(
            e.kind == EventKind.FAILED for e in all_events(queue, "q1")
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    (failed,) = [e for e in all_events(queue, "q1") if e.kind == EventKind.FAILED]
    assert failed.code == "UNAVAILABLE"
    assert "lost with 3 executor(s)" in failed.message
    assert queue.stats().waiting == 0


def test_leaving_hands_back_what_the_executor_held(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 2))
    join(queue, "e1")
    queue.take("e1", 2)
    queue.leave("e1")
    assert queue.executors() == []
    assert len(queue.take("e2", 2)) == 2


def test_live_executors_are_listed_with_device_slots_models_and_tasks(
    queue: TaskQueue,
) -> None:
    queue.enqueue(tasks("q1", 3))
    queue.heartbeat(ExecutorStatus("gpu-0", "cuda:0", 2, ("bert",)))
    queue.heartbeat(ExecutorStatus("cpu-0", "cpu", 1))
    held = queue.take("gpu-0", 2)
    listed = {e.executor_id: e for e in queue.executors()}
    assert sorted(listed) == ["cpu-0", "gpu-0"]
    gpu = listed["gpu-0"]
    assert (gpu.device, gpu.slots, gpu.models, gpu.busy) == ("cuda:0", 2, ("bert",), 2)
    assert set(gpu.running) == {d.task.task_id for d in held}
    assert listed["cpu-0"].running == ()
    assert queue.stats().executors == 2


def test_the_first_heartbeat_joins_and_later_ones_do_not(queue: TaskQueue) -> None:
    assert queue.heartbeat(ExecutorStatus("e1", "cpu", 1)).joined is True
    assert queue.heartbeat(ExecutorStatus("e1", "cpu", 1)).joined is False


def test_events_are_read_incrementally_with_a_cursor(queue: TaskQueue) -> None:
    queue.enqueue(tasks("q1", 2))
    first, cursor = queue.read_events("q1")
    assert [e.kind for e in first] == [EventKind.QUEUED]
    more, cursor2 = queue.read_events("q1", cursor, timeout=0.05)
    assert more == [] and cursor2 == cursor
    (delivery, _) = queue.take("e1", 2)
    queue.progress(delivery, b"50%")
    more, _ = queue.read_events("q1", cursor)
    assert [e.kind for e in more] == [EventKind.TAKEN, EventKind.TAKEN, EventKind.PROGRESS]
    assert more[-1].payload == b"50%"


@pytest.mark.parametrize(
    "fields",
    [
        {"task_id": ""},
        {"query_id": "a|b"},
        {"model": ""},
        {"payload": "text"},
    ],
)
def test_bad_tasks_are_refused_naming_the_queue(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "task_id": "t",
        "query_id": "q",
        "kind": "embed",
        "model": "m",
        "payload": b"",
    } | fields
    with pytest.raises(InvalidArgument, match="queue: task"):
        Task(**values)  # type: ignore[arg-type]


def test_both_backends_hand_out_tasks_in_the_same_order(redis_url: str) -> None:
    """The same operations give the same deliveries in-process and on Redis: queries in
    turn, exhausted ones dropping out of the rotation, held models first, retries first."""
    from tests.queue.conftest import make_queue

    def script(queue: TaskQueue) -> list[str]:
        queue.enqueue([task("a", 0)] + [task("b", n, model=f"m{n % 2}") for n in range(4)])
        queue.enqueue([task("c", n, model=f"m{n % 3}") for n in range(5)])
        order = [d.task.task_id for d in queue.take("e1", 1)]
        order += [d.task.task_id for d in queue.take("e2", 3, models=("m2",))]
        held = queue.take("e3", 2)
        queue.release(held[:1])
        order += [d.task.task_id for d in held]
        queue.enqueue([task("d", n) for n in range(2)])
        while taken := queue.take("e1", 2, models=("m1",)):
            order += [d.task.task_id for d in taken]
        return order

    memory, redis_backed = make_queue("memory", None), make_queue("redis", redis_url)
    try:
        in_process = script(memory)
        assert in_process == script(redis_backed)
        assert in_process[:4] == ["a-t0", "c-t2", "b-t1", "c-t1"]  # in turn; m2 first for e2
        assert in_process[6] == in_process[4]  # handed back by e3: offered again first
        assert len(in_process) == 13 and len(set(in_process)) == 12
    finally:
        memory.close()
        redis_backed.close()


def test_the_in_process_queue_forgets_expired_records() -> None:
    from shift_search.queue import memory
    from shift_search.queue.interface import QueueTimings

    now = [0.0]
    queue = memory.InProcessQueue(QueueTimings(done_ttl_seconds=10), clock=lambda: now[0])
    for n in range(memory._PURGE_AT + 1):
        queue.enqueue([task("q", n)])
        (delivery,) = queue.take("e", 1)
        queue.complete(delivery, b"")
    now[0] = 100.0  # every record has expired
    queue.enqueue([task("q", -1)])
    queue.complete(queue.take("e", 1)[0], b"")
    assert len(queue._done) == 1
