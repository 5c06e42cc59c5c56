from shift_search.proto.v1 import catalog_pb2 as _catalog_pb2
from shift_search.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecuteRequest(_message.Message):
    __slots__ = ("script", "session_id", "source_name")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    script: str
    session_id: str
    source_name: str
    def __init__(self, script: _Optional[str] = ..., session_id: _Optional[str] = ..., source_name: _Optional[str] = ...) -> None: ...

class Row(_message.Message):
    __slots__ = ("cells",)
    CELLS_FIELD_NUMBER: _ClassVar[int]
    cells: _containers.RepeatedCompositeFieldContainer[_common_pb2.Value]
    def __init__(self, cells: _Optional[_Iterable[_Union[_common_pb2.Value, _Mapping]]] = ...) -> None: ...

class ResultTable(_message.Message):
    __slots__ = ("title", "columns", "rows", "remaining_tasks")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_TASKS_FIELD_NUMBER: _ClassVar[int]
    title: str
    columns: _containers.RepeatedScalarFieldContainer[str]
    rows: _containers.RepeatedCompositeFieldContainer[Row]
    remaining_tasks: int
    def __init__(self, title: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., rows: _Optional[_Iterable[_Union[Row, _Mapping]]] = ..., remaining_tasks: _Optional[int] = ...) -> None: ...

class PlanStep(_message.Message):
    __slots__ = ("name", "detail", "estimated_seconds", "measured_seconds", "tasks", "id", "kind", "fields", "estimated_parts", "cached", "children", "measured")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    class EstimatedPartsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEASURED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_PARTS_FIELD_NUMBER: _ClassVar[int]
    CACHED_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    name: str
    detail: str
    estimated_seconds: float
    measured_seconds: float
    tasks: int
    id: str
    kind: str
    fields: _containers.MessageMap[str, _common_pb2.Value]
    estimated_parts: _containers.ScalarMap[str, float]
    cached: bool
    children: _containers.RepeatedCompositeFieldContainer[PlanStep]
    measured: StepMeasurement
    def __init__(self, name: _Optional[str] = ..., detail: _Optional[str] = ..., estimated_seconds: _Optional[float] = ..., measured_seconds: _Optional[float] = ..., tasks: _Optional[int] = ..., id: _Optional[str] = ..., kind: _Optional[str] = ..., fields: _Optional[_Mapping[str, _common_pb2.Value]] = ..., estimated_parts: _Optional[_Mapping[str, float]] = ..., cached: _Optional[bool] = ..., children: _Optional[_Iterable[_Union[PlanStep, _Mapping]]] = ..., measured: _Optional[_Union[StepMeasurement, _Mapping]] = ...) -> None: ...

class StepMeasurement(_message.Message):
    __slots__ = ("seconds", "rows", "cache_hits", "tasks")
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    seconds: float
    rows: int
    cache_hits: int
    tasks: int
    def __init__(self, seconds: _Optional[float] = ..., rows: _Optional[int] = ..., cache_hits: _Optional[int] = ..., tasks: _Optional[int] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("strategy", "steps", "estimated_seconds", "measured_seconds", "decisions", "text")
    class DecisionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEASURED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    strategy: str
    steps: _containers.RepeatedCompositeFieldContainer[PlanStep]
    estimated_seconds: float
    measured_seconds: float
    decisions: _containers.ScalarMap[str, str]
    text: str
    def __init__(self, strategy: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[PlanStep, _Mapping]]] = ..., estimated_seconds: _Optional[float] = ..., measured_seconds: _Optional[float] = ..., decisions: _Optional[_Mapping[str, str]] = ..., text: _Optional[str] = ...) -> None: ...

class TaskDone(_message.Message):
    __slots__ = ("task_id", "model", "kind", "error", "from_cache", "done", "total")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    model: str
    kind: str
    error: float
    from_cache: bool
    done: int
    total: int
    def __init__(self, task_id: _Optional[str] = ..., model: _Optional[str] = ..., kind: _Optional[str] = ..., error: _Optional[float] = ..., from_cache: _Optional[bool] = ..., done: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class ModelEliminated(_message.Message):
    __slots__ = ("model", "round", "error")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    model: str
    round: int
    error: float
    def __init__(self, model: _Optional[str] = ..., round: _Optional[int] = ..., error: _Optional[float] = ...) -> None: ...

class TopK(_message.Message):
    __slots__ = ("models", "errors")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, models: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[float]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class StatementFinished(_message.Message):
    __slots__ = ("remaining_tasks", "seconds", "executed_steps")
    REMAINING_TASKS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_STEPS_FIELD_NUMBER: _ClassVar[int]
    remaining_tasks: int
    seconds: float
    executed_steps: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, remaining_tasks: _Optional[int] = ..., seconds: _Optional[float] = ..., executed_steps: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskProgressEvent(_message.Message):
    __slots__ = ("task_id", "model", "stage", "done", "total", "message", "executor")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    model: str
    stage: str
    done: int
    total: int
    message: str
    executor: str
    def __init__(self, task_id: _Optional[str] = ..., model: _Optional[str] = ..., stage: _Optional[str] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., message: _Optional[str] = ..., executor: _Optional[str] = ...) -> None: ...

class QueryEvent(_message.Message):
    __slots__ = ("statement", "planned", "task_done", "eliminated", "top_k", "result", "message", "finished", "progress")
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    TASK_DONE_FIELD_NUMBER: _ClassVar[int]
    ELIMINATED_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    statement: int
    planned: Plan
    task_done: TaskDone
    eliminated: ModelEliminated
    top_k: TopK
    result: ResultTable
    message: Message
    finished: StatementFinished
    progress: TaskProgressEvent
    def __init__(self, statement: _Optional[int] = ..., planned: _Optional[_Union[Plan, _Mapping]] = ..., task_done: _Optional[_Union[TaskDone, _Mapping]] = ..., eliminated: _Optional[_Union[ModelEliminated, _Mapping]] = ..., top_k: _Optional[_Union[TopK, _Mapping]] = ..., result: _Optional[_Union[ResultTable, _Mapping]] = ..., message: _Optional[_Union[Message, _Mapping]] = ..., finished: _Optional[_Union[StatementFinished, _Mapping]] = ..., progress: _Optional[_Union[TaskProgressEvent, _Mapping]] = ...) -> None: ...

class QueryEvents(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[QueryEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[QueryEvent, _Mapping]]] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("script", "session_id")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    script: str
    session_id: str
    def __init__(self, script: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("plans",)
    PLANS_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[Plan]
    def __init__(self, plans: _Optional[_Iterable[_Union[Plan, _Mapping]]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecutorState(_message.Message):
    __slots__ = ("executor_id", "device", "slots", "models", "running_tasks", "heartbeat_age_seconds")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASKS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    device: str
    slots: int
    models: _containers.RepeatedScalarFieldContainer[str]
    running_tasks: _containers.RepeatedScalarFieldContainer[str]
    heartbeat_age_seconds: float
    def __init__(self, executor_id: _Optional[str] = ..., device: _Optional[str] = ..., slots: _Optional[int] = ..., models: _Optional[_Iterable[str]] = ..., running_tasks: _Optional[_Iterable[str]] = ..., heartbeat_age_seconds: _Optional[float] = ...) -> None: ...

class QueueState(_message.Message):
    __slots__ = ("address", "waiting", "running", "active_queries")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_QUERIES_FIELD_NUMBER: _ClassVar[int]
    address: str
    waiting: int
    running: int
    active_queries: int
    def __init__(self, address: _Optional[str] = ..., waiting: _Optional[int] = ..., running: _Optional[int] = ..., active_queries: _Optional[int] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("executors", "queue")
    EXECUTORS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    executors: _containers.RepeatedCompositeFieldContainer[ExecutorState]
    queue: QueueState
    def __init__(self, executors: _Optional[_Iterable[_Union[ExecutorState, _Mapping]]] = ..., queue: _Optional[_Union[QueueState, _Mapping]] = ...) -> None: ...

class AddBenchmarkResultsRequest(_message.Message):
    __slots__ = ("results", "source_name")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_catalog_pb2.BenchmarkResult]
    source_name: str
    def __init__(self, results: _Optional[_Iterable[_Union[_catalog_pb2.BenchmarkResult, _Mapping]]] = ..., source_name: _Optional[str] = ...) -> None: ...

class AddBenchmarkResultsResponse(_message.Message):
    __slots__ = ("added", "replaced", "unchanged")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    added: int
    replaced: int
    unchanged: int
    def __init__(self, added: _Optional[int] = ..., replaced: _Optional[int] = ..., unchanged: _Optional[int] = ...) -> None: ...
