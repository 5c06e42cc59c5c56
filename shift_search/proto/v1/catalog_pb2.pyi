from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Model(_message.Message):
    __slots__ = ("key", "name", "source", "uri", "modality", "num_params", "upstream_accuracy", "dimension", "inference_cost", "load_cost", "finetuned", "date_added", "revision", "pooling", "tokenizer", "parent", "tags")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    NUM_PARAMS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_COST_FIELD_NUMBER: _ClassVar[int]
    LOAD_COST_FIELD_NUMBER: _ClassVar[int]
    FINETUNED_FIELD_NUMBER: _ClassVar[int]
    DATE_ADDED_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    POOLING_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    source: str
    uri: str
    modality: str
    num_params: int
    upstream_accuracy: float
    dimension: int
    inference_cost: float
    load_cost: float
    finetuned: bool
    date_added: str
    revision: str
    pooling: str
    tokenizer: str
    parent: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., source: _Optional[str] = ..., uri: _Optional[str] = ..., modality: _Optional[str] = ..., num_params: _Optional[int] = ..., upstream_accuracy: _Optional[float] = ..., dimension: _Optional[int] = ..., inference_cost: _Optional[float] = ..., load_cost: _Optional[float] = ..., finetuned: _Optional[bool] = ..., date_added: _Optional[str] = ..., revision: _Optional[str] = ..., pooling: _Optional[str] = ..., tokenizer: _Optional[str] = ..., parent: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Segment(_message.Message):
    __slots__ = ("uri", "format", "size", "fingerprint", "split", "slice", "input_column", "label_column")
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    SLICE_FIELD_NUMBER: _ClassVar[int]
    INPUT_COLUMN_FIELD_NUMBER: _ClassVar[int]
    LABEL_COLUMN_FIELD_NUMBER: _ClassVar[int]
    uri: str
    format: str
    size: int
    fingerprint: str
    split: str
    slice: str
    input_column: str
    label_column: str
    def __init__(self, uri: _Optional[str] = ..., format: _Optional[str] = ..., size: _Optional[int] = ..., fingerprint: _Optional[str] = ..., split: _Optional[str] = ..., slice: _Optional[str] = ..., input_column: _Optional[str] = ..., label_column: _Optional[str] = ...) -> None: ...

class Dataset(_message.Message):
    __slots__ = ("key", "name", "uri", "format", "input_column", "label_column", "split", "slice", "size", "modality", "num_classes", "fingerprint", "segments", "date_added", "tags", "changes", "mean_input_chars", "mean_input_tokens")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INPUT_COLUMN_FIELD_NUMBER: _ClassVar[int]
    LABEL_COLUMN_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    SLICE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    DATE_ADDED_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    MEAN_INPUT_CHARS_FIELD_NUMBER: _ClassVar[int]
    MEAN_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    uri: str
    format: str
    input_column: str
    label_column: str
    split: str
    slice: str
    size: int
    modality: str
    num_classes: int
    fingerprint: str
    segments: _containers.RepeatedCompositeFieldContainer[Segment]
    date_added: str
    tags: _containers.ScalarMap[str, str]
    changes: _containers.RepeatedCompositeFieldContainer[DatasetChange]
    mean_input_chars: float
    mean_input_tokens: float
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., uri: _Optional[str] = ..., format: _Optional[str] = ..., input_column: _Optional[str] = ..., label_column: _Optional[str] = ..., split: _Optional[str] = ..., slice: _Optional[str] = ..., size: _Optional[int] = ..., modality: _Optional[str] = ..., num_classes: _Optional[int] = ..., fingerprint: _Optional[str] = ..., segments: _Optional[_Iterable[_Union[Segment, _Mapping]]] = ..., date_added: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., changes: _Optional[_Iterable[_Union[DatasetChange, _Mapping]]] = ..., mean_input_chars: _Optional[float] = ..., mean_input_tokens: _Optional[float] = ...) -> None: ...

class DatasetChange(_message.Message):
    __slots__ = ("indices", "source", "source_indices")
    INDICES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_INDICES_FIELD_NUMBER: _ClassVar[int]
    indices: _containers.RepeatedScalarFieldContainer[int]
    source: Dataset
    source_indices: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, indices: _Optional[_Iterable[int]] = ..., source: _Optional[_Union[Dataset, _Mapping]] = ..., source_indices: _Optional[_Iterable[int]] = ...) -> None: ...

class BenchmarkResult(_message.Message):
    __slots__ = ("run", "model", "dataset", "test_accuracy", "label", "modality", "category", "train_slice", "test_split", "learning_rate", "epochs", "batch_size", "seconds", "train_accuracy", "origin")
    RUN_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    TEST_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SLICE_FIELD_NUMBER: _ClassVar[int]
    TEST_SPLIT_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    run: str
    model: str
    dataset: str
    test_accuracy: float
    label: str
    modality: str
    category: str
    train_slice: str
    test_split: str
    learning_rate: float
    epochs: int
    batch_size: int
    seconds: float
    train_accuracy: float
    origin: str
    def __init__(self, run: _Optional[str] = ..., model: _Optional[str] = ..., dataset: _Optional[str] = ..., test_accuracy: _Optional[float] = ..., label: _Optional[str] = ..., modality: _Optional[str] = ..., category: _Optional[str] = ..., train_slice: _Optional[str] = ..., test_split: _Optional[str] = ..., learning_rate: _Optional[float] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., seconds: _Optional[float] = ..., train_accuracy: _Optional[float] = ..., origin: _Optional[str] = ...) -> None: ...
