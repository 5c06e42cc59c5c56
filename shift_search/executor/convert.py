"""Where the executor meets protobuf besides its servicer: requests become domain tasks (named
by their content when the caller gave no id). Tasks and results themselves convert in
`shift_search/tasks/convert.py`, the contract both planner and executor use."""

from __future__ import annotations

from shift_search.proto.v1 import executor_pb2
from shift_search.tasks.convert import task_from_proto, task_id
from shift_search.tasks.specs import Task


def task_of(request: executor_pb2.RunTaskRequest) -> tuple[str, Task]:
    """The task a request asks for and its id; InvalidArgument when it names no task."""
    task = task_from_proto(request)
    return request.task_id or task_id(task), task
