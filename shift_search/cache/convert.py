"""The only place catalog records (and the rows of benchmark_results) meet protobuf."""

from __future__ import annotations

from typing import Any

from shift_search.cache.records import ChangeRecord, DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.stored import BenchmarkResult
from shift_search.proto.v1 import catalog_pb2


def model_to_proto(record: ModelRecord) -> catalog_pb2.Model:
    msg = catalog_pb2.Model(
        key=record.key,
        name=record.name,
        source=record.source,
        uri=record.uri,
        modality=record.modality,
        finetuned=record.finetuned,
        date_added=record.date_added,
        revision=record.revision,
        pooling=record.pooling,
        tokenizer=record.tokenizer or "",
        parent=record.parent or "",
        tags=dict(record.tags),
    )
    for name in ("num_params", "upstream_accuracy", "dimension", "inference_cost", "load_cost"):
        value = getattr(record, name)
        if value is not None:
            setattr(msg, name, value)
    return msg


def model_from_proto(msg: catalog_pb2.Model) -> ModelRecord:
    optional: dict[str, Any] = {
        name: getattr(msg, name) if msg.HasField(name) else None
        for name in ("num_params", "upstream_accuracy", "dimension", "inference_cost", "load_cost")
    }
    extra: dict[str, Any] = {"date_added": msg.date_added} if msg.date_added else {}
    return ModelRecord(
        name=msg.name,
        source=msg.source,
        uri=msg.uri,
        modality=msg.modality or "text",
        finetuned=msg.finetuned,
        revision=msg.revision or "main",
        pooling=msg.pooling or "mean",
        tokenizer=msg.tokenizer or None,
        parent=msg.parent or None,
        tags=dict(msg.tags),
        **optional,
        **extra,
    )


def segment_to_proto(seg: SegmentRecord) -> catalog_pb2.Segment:
    return catalog_pb2.Segment(
        uri=seg.uri,
        format=seg.format,
        size=seg.size,
        fingerprint=seg.fingerprint,
        split=seg.split or "",
        slice=seg.slice or "",
        input_column=seg.input_column or "",
        label_column=seg.label_column or "",
    )


def segment_from_proto(msg: catalog_pb2.Segment) -> SegmentRecord:
    return SegmentRecord(
        uri=msg.uri,
        format=msg.format,
        size=msg.size,
        fingerprint=msg.fingerprint,
        split=msg.split or None,
        slice=msg.slice or None,
        input_column=msg.input_column or None,
        label_column=msg.label_column or None,
    )


def dataset_to_proto(record: DatasetRecord) -> catalog_pb2.Dataset:
    msg = catalog_pb2.Dataset(
        key=record.key,
        name=record.name,
        uri=record.uri,
        format=record.format,
        input_column=record.input_column or "",
        label_column=record.label_column or "",
        split=record.split or "",
        slice=record.slice or "",
        modality=record.modality,
        fingerprint=record.fingerprint,
        segments=[segment_to_proto(s) for s in record.segments],
        date_added=record.date_added,
        tags=dict(record.tags),
        changes=[
            catalog_pb2.DatasetChange(
                indices=c.indices,
                source=dataset_to_proto(c.source),
                source_indices=c.source_indices or (),
            )
            for c in record.changes
        ],
    )
    if record.size is not None:
        msg.size = record.size
    if record.num_classes is not None:
        msg.num_classes = record.num_classes
    if record.mean_input_chars is not None:
        msg.mean_input_chars = record.mean_input_chars
    if record.mean_input_tokens is not None:
        msg.mean_input_tokens = record.mean_input_tokens
    return msg


def dataset_from_proto(msg: catalog_pb2.Dataset) -> DatasetRecord:
    extra = {"date_added": msg.date_added} if msg.date_added else {}
    return DatasetRecord(
        name=msg.name,
        uri=msg.uri,
        format=msg.format,
        input_column=msg.input_column or None,
        label_column=msg.label_column or None,
        split=msg.split or None,
        slice=msg.slice or None,
        size=msg.size if msg.HasField("size") else None,
        modality=msg.modality or "text",
        num_classes=msg.num_classes if msg.HasField("num_classes") else None,
        mean_input_chars=msg.mean_input_chars if msg.HasField("mean_input_chars") else None,
        mean_input_tokens=msg.mean_input_tokens if msg.HasField("mean_input_tokens") else None,
        fingerprint=msg.fingerprint,
        segments=tuple(segment_from_proto(s) for s in msg.segments),
        tags=dict(msg.tags),
        changes=tuple(
            ChangeRecord(
                tuple(c.indices), dataset_from_proto(c.source), tuple(c.source_indices) or None
            )
            for c in msg.changes
        ),
        **extra,
    )


_RESULT_OPTIONAL = ("learning_rate", "epochs", "batch_size", "seconds", "train_accuracy")


def benchmark_result_to_proto(result: BenchmarkResult) -> catalog_pb2.BenchmarkResult:
    msg = catalog_pb2.BenchmarkResult(
        run=result.run,
        model=result.model,
        dataset=result.dataset,
        test_accuracy=result.test_accuracy,
        label=result.label,
        modality=result.modality,
        category=result.category or "",
        train_slice=result.train_slice,
        test_split=result.test_split,
        origin=result.origin,
    )
    for name in _RESULT_OPTIONAL:
        value = getattr(result, name)
        if value is not None:
            setattr(msg, name, value)
    return msg


def benchmark_result_from_proto(msg: catalog_pb2.BenchmarkResult) -> BenchmarkResult:
    optional: dict[str, Any] = {
        name: getattr(msg, name) if msg.HasField(name) else None for name in _RESULT_OPTIONAL
    }
    return BenchmarkResult(
        run=msg.run,
        model=msg.model,
        dataset=msg.dataset,
        test_accuracy=msg.test_accuracy,
        label=msg.label or "label",
        modality=msg.modality,
        category=msg.category or None,
        train_slice=msg.train_slice or "all",
        test_split=msg.test_split,
        origin=msg.origin,
        **optional,
    )
