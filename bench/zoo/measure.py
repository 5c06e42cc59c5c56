"""Measuring a built model on this machine: parameters, feature width, load and inference cost."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.zoo.build import PACKAGED, Measured
from shift_search.cache.records import ModelRecord
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.runner import open_encoder

PROFILE_SAMPLES = 64
PROFILE_BATCH = 32
PROFILE_REPEATS = 3  # the best of three runs: these CPUs are shared
MEASURE_VERSION = 2  # bump when the way of measuring changes: cached models are measured again
_FLOAT_TYPES = frozenset({1, 10, 11, 16})  # TensorProto FLOAT, FLOAT16, DOUBLE, BFLOAT16


def measure(record: ModelRecord, samples: int = PROFILE_SAMPLES) -> Measured:
    """Load once (timed), warm up on one full batch, then time `samples` inputs at batch size 32
    (the best of three runs)."""
    started = time.perf_counter()
    encoder = open_encoder(record, "cpu")
    load_seconds = time.perf_counter() - started
    inputs = profile_inputs(record.modality, samples)
    encoder.embed(inputs[:PROFILE_BATCH], batch_size=PROFILE_BATCH)
    per_sample = min(_timed(encoder, inputs) for _ in range(PROFILE_REPEATS)) / len(inputs)
    return Measured(
        count_params(record, encoder), encoder.dimension, per_sample * 1000, load_seconds
    )


def _timed(encoder: Any, inputs: list[Any]) -> float:
    started = time.perf_counter()
    encoder.embed(inputs, batch_size=PROFILE_BATCH)
    return time.perf_counter() - started


def profile_inputs(modality: str, count: int) -> list[Any]:
    """The executor's profiling inputs: review-like sentences, or random 64x64 RGB images."""
    if modality == "image":
        rng = np.random.default_rng(0)
        return [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(count)]
    sentence = "a typical review of a product that someone bought and wrote a few words about"
    return [f"{sentence} {i}" for i in range(count)]


def count_params(record: ModelRecord, encoder: Any) -> int:
    """Parameters of the trainable module, or of the ONNX graph's float initializers."""
    if record.source == "onnx":
        return onnx_param_count(_onnx_path(record))
    return sum(p.numel() for p in encoder.trainable().parameters())


def _onnx_path(record: ModelRecord) -> Path:
    uri = record.uri
    if uri.startswith(PACKAGED):
        uri = resolve_known_model(uri.removeprefix(PACKAGED)).uri
    path = Path(uri)
    return path / "model.onnx" if path.is_dir() else path


def onnx_param_count(path: Path) -> int:
    """Elements of the float initializers of an ONNX model, read from its protobuf wire format
    (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.dims = 1, data_type = 2)."""
    data = path.read_bytes()
    total = 0
    for graph in _fields(data, 7):
        for tensor in _fields(graph, 5):
            dims, dtype = _tensor_shape(tensor)
            if dtype in _FLOAT_TYPES:
                total += int(np.prod(dims, dtype=np.int64)) if dims else 1
    return total


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _walk(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of each top-level field of a protobuf message."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = data[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, wire, value))
    return out


def _fields(data: bytes, number: int) -> list[bytes]:
    return [value for n, wire, value in _walk(data) if n == number and wire == 2]


def _tensor_shape(tensor: bytes) -> tuple[list[int], int]:
    dims: list[int] = []
    dtype = 0
    for number, wire, value in _walk(tensor):
        if number == 1 and wire == 0:
            dims.append(value)
        elif number == 1 and wire == 2:  # packed repeated int64
            dims.extend(_packed(value))
        elif number == 2 and wire == 0:
            dtype = value
    return dims, dtype


def _packed(data: bytes) -> list[int]:
    values, pos = [], 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        values.append(value)
    return values
