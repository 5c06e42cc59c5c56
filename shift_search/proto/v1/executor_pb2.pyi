from shift_search.proto.v1 import catalog_pb2 as _catalog_pb2
from shift_search.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SampleSelection(_message.Message):
    __slots__ = ("samples_per_segment",)
    SAMPLES_PER_SEGMENT_FIELD_NUMBER: _ClassVar[int]
    samples_per_segment: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, samples_per_segment: _Optional[_Iterable[int]] = ...) -> None: ...

class ProxySpec(_message.Message):
    __slots__ = ("name", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    params: _containers.MessageMap[str, _common_pb2.Value]
    def __init__(self, name: _Optional[str] = ..., params: _Optional[_Mapping[str, _common_pb2.Value]] = ...) -> None: ...

class EmbedTask(_message.Message):
    __slots__ = ("model", "dataset", "selection", "chunk_size")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    dataset: _catalog_pb2.Dataset
    selection: SampleSelection
    chunk_size: int
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., selection: _Optional[_Union[SampleSelection, _Mapping]] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class ScoreTask(_message.Message):
    __slots__ = ("model", "train", "test", "proxy", "selection", "chunk_size")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    PROXY_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    train: _catalog_pb2.Dataset
    test: _catalog_pb2.Dataset
    proxy: ProxySpec
    selection: SampleSelection
    chunk_size: int
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., train: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., test: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., proxy: _Optional[_Union[ProxySpec, _Mapping]] = ..., selection: _Optional[_Union[SampleSelection, _Mapping]] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class FinetuneTask(_message.Message):
    __slots__ = ("model", "train", "test", "params", "output_name", "register")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NAME_FIELD_NUMBER: _ClassVar[int]
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    train: _catalog_pb2.Dataset
    test: _catalog_pb2.Dataset
    params: _containers.MessageMap[str, _common_pb2.Value]
    output_name: str
    register: bool
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., train: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., test: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., params: _Optional[_Mapping[str, _common_pb2.Value]] = ..., output_name: _Optional[str] = ..., register: _Optional[bool] = ...) -> None: ...

class ProfileTask(_message.Message):
    __slots__ = ("model", "samples")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    samples: int
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., samples: _Optional[int] = ...) -> None: ...

class DescribeTask(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: _catalog_pb2.Dataset
    def __init__(self, dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ...) -> None: ...

class ScorerSpec(_message.Message):
    __slots__ = ("name", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    params: _containers.MessageMap[str, _common_pb2.Value]
    def __init__(self, name: _Optional[str] = ..., params: _Optional[_Mapping[str, _common_pb2.Value]] = ...) -> None: ...

class RankTask(_message.Message):
    __slots__ = ("model", "train", "test", "scorer", "chunk_size")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    SCORER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    train: _catalog_pb2.Dataset
    test: _catalog_pb2.Dataset
    scorer: ScorerSpec
    chunk_size: int
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., train: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., test: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., scorer: _Optional[_Union[ScorerSpec, _Mapping]] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class Task2VecTask(_message.Message):
    __slots__ = ("probe", "dataset", "params", "chunk_size")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Value, _Mapping]] = ...) -> None: ...
    PROBE_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    probe: _catalog_pb2.Model
    dataset: _catalog_pb2.Dataset
    params: _containers.MessageMap[str, _common_pb2.Value]
    chunk_size: int
    def __init__(self, probe: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ..., params: _Optional[_Mapping[str, _common_pb2.Value]] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class RunTaskRequest(_message.Message):
    __slots__ = ("task_id", "embed", "score", "finetune", "profile", "rank", "task2vec", "describe")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    EMBED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FINETUNE_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    TASK2VEC_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    embed: EmbedTask
    score: ScoreTask
    finetune: FinetuneTask
    profile: ProfileTask
    rank: RankTask
    task2vec: Task2VecTask
    describe: DescribeTask
    def __init__(self, task_id: _Optional[str] = ..., embed: _Optional[_Union[EmbedTask, _Mapping]] = ..., score: _Optional[_Union[ScoreTask, _Mapping]] = ..., finetune: _Optional[_Union[FinetuneTask, _Mapping]] = ..., profile: _Optional[_Union[ProfileTask, _Mapping]] = ..., rank: _Optional[_Union[RankTask, _Mapping]] = ..., task2vec: _Optional[_Union[Task2VecTask, _Mapping]] = ..., describe: _Optional[_Union[DescribeTask, _Mapping]] = ...) -> None: ...

class TaskProgress(_message.Message):
    __slots__ = ("stage", "done", "total", "message", "elapsed_seconds")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    stage: str
    done: int
    total: int
    message: str
    elapsed_seconds: float
    def __init__(self, stage: _Optional[str] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., message: _Optional[str] = ..., elapsed_seconds: _Optional[float] = ...) -> None: ...

class EmbedResult(_message.Message):
    __slots__ = ("chunks_computed", "chunks_cached", "samples", "dimension")
    CHUNKS_COMPUTED_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_CACHED_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    chunks_computed: int
    chunks_cached: int
    samples: int
    dimension: int
    def __init__(self, chunks_computed: _Optional[int] = ..., chunks_cached: _Optional[int] = ..., samples: _Optional[int] = ..., dimension: _Optional[int] = ...) -> None: ...

class ScoreResult(_message.Message):
    __slots__ = ("proxy", "error", "train_samples", "test_samples", "result_key", "chunks_computed", "chunks_cached", "pairs_searched", "pairs_reused")
    PROXY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    TEST_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    RESULT_KEY_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_COMPUTED_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_CACHED_FIELD_NUMBER: _ClassVar[int]
    PAIRS_SEARCHED_FIELD_NUMBER: _ClassVar[int]
    PAIRS_REUSED_FIELD_NUMBER: _ClassVar[int]
    proxy: str
    error: float
    train_samples: int
    test_samples: int
    result_key: str
    chunks_computed: int
    chunks_cached: int
    pairs_searched: int
    pairs_reused: int
    def __init__(self, proxy: _Optional[str] = ..., error: _Optional[float] = ..., train_samples: _Optional[int] = ..., test_samples: _Optional[int] = ..., result_key: _Optional[str] = ..., chunks_computed: _Optional[int] = ..., chunks_cached: _Optional[int] = ..., pairs_searched: _Optional[int] = ..., pairs_reused: _Optional[int] = ...) -> None: ...

class FinetuneResult(_message.Message):
    __slots__ = ("model", "test_accuracy", "head_accuracy_before", "train_loss", "steps")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TEST_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    HEAD_ACCURACY_BEFORE_FIELD_NUMBER: _ClassVar[int]
    TRAIN_LOSS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    model: _catalog_pb2.Model
    test_accuracy: float
    head_accuracy_before: float
    train_loss: float
    steps: int
    def __init__(self, model: _Optional[_Union[_catalog_pb2.Model, _Mapping]] = ..., test_accuracy: _Optional[float] = ..., head_accuracy_before: _Optional[float] = ..., train_loss: _Optional[float] = ..., steps: _Optional[int] = ...) -> None: ...

class ProfileResult(_message.Message):
    __slots__ = ("load_seconds", "infer_seconds_per_sample", "dimension", "num_params", "device")
    LOAD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    INFER_SECONDS_PER_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    NUM_PARAMS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    load_seconds: float
    infer_seconds_per_sample: float
    dimension: int
    num_params: int
    device: str
    def __init__(self, load_seconds: _Optional[float] = ..., infer_seconds_per_sample: _Optional[float] = ..., dimension: _Optional[int] = ..., num_params: _Optional[int] = ..., device: _Optional[str] = ...) -> None: ...

class DescribeResult(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: _catalog_pb2.Dataset
    def __init__(self, dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ...) -> None: ...

class Task2VecResult(_message.Message):
    __slots__ = ("embedding_key", "dimension", "samples", "classes")
    EMBEDDING_KEY_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    embedding_key: str
    dimension: int
    samples: int
    classes: int
    def __init__(self, embedding_key: _Optional[str] = ..., dimension: _Optional[int] = ..., samples: _Optional[int] = ..., classes: _Optional[int] = ...) -> None: ...

class TaskResult(_message.Message):
    __slots__ = ("from_cache", "seconds", "embed", "score", "finetune", "profile", "task2vec", "describe", "phase_seconds")
    class PhaseSecondsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    EMBED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FINETUNE_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    TASK2VEC_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    PHASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    from_cache: bool
    seconds: float
    embed: EmbedResult
    score: ScoreResult
    finetune: FinetuneResult
    profile: ProfileResult
    task2vec: Task2VecResult
    describe: DescribeResult
    phase_seconds: _containers.ScalarMap[str, float]
    def __init__(self, from_cache: _Optional[bool] = ..., seconds: _Optional[float] = ..., embed: _Optional[_Union[EmbedResult, _Mapping]] = ..., score: _Optional[_Union[ScoreResult, _Mapping]] = ..., finetune: _Optional[_Union[FinetuneResult, _Mapping]] = ..., profile: _Optional[_Union[ProfileResult, _Mapping]] = ..., task2vec: _Optional[_Union[Task2VecResult, _Mapping]] = ..., describe: _Optional[_Union[DescribeResult, _Mapping]] = ..., phase_seconds: _Optional[_Mapping[str, float]] = ...) -> None: ...

class TaskEvent(_message.Message):
    __slots__ = ("task_id", "progress", "result")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    progress: TaskProgress
    result: TaskResult
    def __init__(self, task_id: _Optional[str] = ..., progress: _Optional[_Union[TaskProgress, _Mapping]] = ..., result: _Optional[_Union[TaskResult, _Mapping]] = ...) -> None: ...

class CancelTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    def __init__(self, task_id: _Optional[str] = ...) -> None: ...

class CancelTaskResponse(_message.Message):
    __slots__ = ("cancelled",)
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    cancelled: bool
    def __init__(self, cancelled: _Optional[bool] = ...) -> None: ...

class GetCapacityRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCapacityResponse(_message.Message):
    __slots__ = ("device", "slots", "busy", "running_tasks")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    BUSY_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASKS_FIELD_NUMBER: _ClassVar[int]
    device: str
    slots: int
    busy: int
    running_tasks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, device: _Optional[str] = ..., slots: _Optional[int] = ..., busy: _Optional[int] = ..., running_tasks: _Optional[_Iterable[str]] = ...) -> None: ...

class DescribeDatasetRequest(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: _catalog_pb2.Dataset
    def __init__(self, dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ...) -> None: ...

class DescribeDatasetResponse(_message.Message):
    __slots__ = ("dataset",)
    DATASET_FIELD_NUMBER: _ClassVar[int]
    dataset: _catalog_pb2.Dataset
    def __init__(self, dataset: _Optional[_Union[_catalog_pb2.Dataset, _Mapping]] = ...) -> None: ...
