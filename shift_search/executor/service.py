"""The ExecutorService gRPC handler: converts requests to domain tasks and events back; the
work (slots, workers, cancellation, shutdown) lives in `worker.py`, and the executor's side of
the work queue in `queue_worker.py`."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from shift_search.cache.convert import dataset_from_proto, dataset_to_proto
from shift_search.executor.convert import task_of
from shift_search.executor.queue_worker import queue_worker
from shift_search.executor.worker import Executor, warm_up
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc
from shift_search.queue.interface import TaskQueue
from shift_search.runtime.server import DRAIN_SECONDS, Registration
from shift_search.tasks.convert import capacity_to_proto, event_to_proto


class ExecutorServicer(executor_pb2_grpc.ExecutorServiceServicer):
    """Runs tasks on this process's device, at most `slots` at a time."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def RunTask(
        self, request: executor_pb2.RunTaskRequest, context: grpc.ServicerContext
    ) -> Iterator[executor_pb2.TaskEvent]:
        task_id, task = task_of(request)
        running = self.executor.start(task_id, task)
        context.add_callback(running.stop)  # the caller went away: stop between batches
        for event in running.events():
            yield event_to_proto(task_id, event)

    def CancelTask(
        self, request: executor_pb2.CancelTaskRequest, context: grpc.ServicerContext
    ) -> executor_pb2.CancelTaskResponse:
        return executor_pb2.CancelTaskResponse(cancelled=self.executor.cancel(request.task_id))

    def GetCapacity(
        self, request: executor_pb2.GetCapacityRequest, context: grpc.ServicerContext
    ) -> executor_pb2.GetCapacityResponse:
        return capacity_to_proto(self.executor.capacity())

    def DescribeDataset(
        self, request: executor_pb2.DescribeDatasetRequest, context: grpc.ServicerContext
    ) -> executor_pb2.DescribeDatasetResponse:
        described = self.executor.describe(dataset_from_proto(request.dataset))
        return executor_pb2.DescribeDatasetResponse(dataset=dataset_to_proto(described))


def registration(
    cache_address: str,
    queue: TaskQueue,
    *,
    slots: int = 1,
    device: str | None = None,
    cache_credentials: grpc.ChannelCredentials | None = None,
    executor_id: str | None = None,
    drain_seconds: float = DRAIN_SECONDS,
    warm: bool = False,
) -> Registration:
    """How `shift serve` hosts the executor: it pulls tasks from `queue` at once (a queue that
    cannot be reached fails here, naming it) and serves RunTask, GetCapacity and
    DescribeDataset directly too. On stop it drains: it takes nothing more, lets running tasks
    finish for `drain_seconds`, hands back what is left, then closes. `warm`: import what tasks
    need before joining (an executor process of its own). `cache_credentials`: mutual TLS to
    the cache."""
    executor = Executor(
        cache_address, slots=slots, device=device, cache_credentials=cache_credentials
    )
    if warm:
        warm_up()
    worker = queue_worker(queue, executor, executor_id=executor_id).start()
    servicer = ExecutorServicer(executor)

    def stop() -> None:
        worker.stop(grace_seconds=drain_seconds)
        executor.close()

    return Registration(
        name=executor_pb2.DESCRIPTOR.services_by_name["ExecutorService"].full_name,
        add=lambda server: executor_pb2_grpc.add_ExecutorServiceServicer_to_server(
            servicer, server
        ),
        on_stop=stop,
    )
