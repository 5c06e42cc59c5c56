"""The executor on the shared work queue: a queue `Worker` pulls as many tasks as this executor
has slots, and each runs on the `Executor` like a RunTask call: the typed task decoded from the
queue's payload, progress reported back (rate-limited by the worker), the encoded result
returned. The queue's cancellation and draining reach the task through `control.stopped`,
checked between batches."""

from __future__ import annotations

import logging

from shift_search.executor.worker import Executor
from shift_search.queue.interface import TaskQueue
from shift_search.queue.records import Task as QueueTask
from shift_search.queue.worker import TaskControl, TaskRunner, Worker
from shift_search.runtime.errors import Unavailable
from shift_search.tasks.convert import progress_bytes, result_bytes, task_from_bytes
from shift_search.tasks.results import TaskProgress

log = logging.getLogger("shift.executor.queue")


def runner(executor: Executor) -> TaskRunner:
    """Run queue tasks on `executor`, waiting for a slot that a direct RunTask call holds."""

    def run(task: QueueTask, control: TaskControl) -> bytes:
        spec = task_from_bytes(task.payload)
        log.info("task %s (%s, query %s) started", task.task_id, task.kind, task.query_id)
        running = executor.start(
            task.task_id, spec, wait_for_slot=True, should_stop=control.stopped
        )
        for event in running.events():
            if isinstance(event, TaskProgress):
                control.progress(progress_bytes(event))
            else:
                log.info("task %s finished in %.3f s", task.task_id, event.seconds)
                return result_bytes(event)
        raise Unavailable(f"the executor ended task {task.task_id} without a result")

    return run


def queue_worker(queue: TaskQueue, executor: Executor, *, executor_id: str | None = None) -> Worker:
    """A worker (not started) that feeds `executor`'s slots from `queue`; it tells the queue
    the device, the slots and the models whose weights the executor holds."""
    return Worker(
        queue,
        runner(executor),
        executor_id=executor_id,
        device=executor.device,
        slots=executor.slots,
        models=executor.loaded_models,
    )
