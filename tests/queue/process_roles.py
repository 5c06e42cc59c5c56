"""Queue clients as separate processes, for tests that kill or signal them:

    python -m tests.queue.process_roles consume URL NAMESPACE EXECUTOR_ID MODE
    python -m tests.queue.process_roles produce URL NAMESPACE QUERY COUNT

MODE is `echo` (answer at once), `sleep:S` (take S seconds), or `block` (run until stopped).
A consumer prints `ready` once registered and `started TASK` when a task starts; SIGTERM makes
it drain (hand back what it runs) and exit 0.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

from shift_search.queue.records import Task
from shift_search.queue.redis_queue import RedisTaskQueue
from shift_search.queue.worker import TaskControl, Worker
from shift_search.runtime.errors import Cancelled


def runner(mode: str):  # type: ignore[no-untyped-def]
    def run(task: Task, control: TaskControl) -> bytes:
        print(f"started {task.task_id}", flush=True)
        if mode == "block":
            while not control.stopped():
                time.sleep(0.02)
            raise Cancelled("stopped")
        if mode.startswith("sleep:"):
            time.sleep(float(mode.split(":")[1]))
        return b"done " + task.payload

    return run


def consume(url: str, namespace: str, executor_id: str, mode: str) -> None:
    queue = RedisTaskQueue(url, namespace=namespace)
    worker = Worker(queue, runner(mode), executor_id=executor_id, take_timeout=0.5)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    print("ready", flush=True)
    stop.wait()
    worker.stop(grace_seconds=0.5, stop_wait_seconds=5)
    print("drained", flush=True)


def produce(url: str, namespace: str, query: str, count: int) -> None:
    queue = RedisTaskQueue(url, namespace=namespace)
    for n in range(count):  # one at a time: producers interleave with each other and consumers
        queue.enqueue([Task(f"{query}-t{n}", query, "embed", f"m{n % 3}", b"%d" % n)])


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "consume":
        consume(*args)
    else:
        produce(args[0], args[1], args[2], int(args[3]))
