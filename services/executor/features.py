"""Batched feature extraction from an `Encoder`, and the float16 blobs features are cached as."""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from services.executor.encoders import Encoder
from services.runtime.errors import FailedPrecondition, InvalidArgument, ResourceExhausted

_BLOB_MAGIC = b"SHF1"
_FLOAT16_MAX = float(np.finfo(np.float16).max)


def extract_features(
    encoder: Encoder, inputs: Sequence[Any], *, batch_size: int = 64
) -> np.ndarray:
    """Float32 features [N, D] in input order.

    Texts are batched longest-first so padding stays small; the batch is halved and retried on
    CUDA out-of-memory, and ResourceExhausted is raised only when a batch of one fails.
    """
    if batch_size < 1:
        raise InvalidArgument(f"batch_size must be positive, got {batch_size}")
    order = _length_order(inputs)
    out = np.empty((len(inputs), encoder.dimension), dtype=np.float32)
    start, size = 0, batch_size
    # autocast entered once: per batch, it would re-cast the weights every time
    with _eval_mode(encoder), torch.inference_mode(), _autocast(encoder.device):
        while start < len(order):
            rows = order[start : start + size]
            try:
                out[rows] = _run_batch(encoder, [inputs[i] for i in rows])
            except torch.OutOfMemoryError as error:
                if size == 1:
                    raise ResourceExhausted(
                        "out of device memory even with batch size 1"
                    ) from error
                size = max(1, size // 2)
                _release_cuda_memory(encoder.device)
                continue
            start += len(rows)
    return out


def _length_order(inputs: Sequence[Any]) -> np.ndarray:
    """Indices longest text first (stable), or input order when the inputs are not all text."""
    if inputs and all(isinstance(item, str) for item in inputs):
        lengths = np.fromiter((len(item) for item in inputs), dtype=np.int64, count=len(inputs))
        return np.argsort(-lengths, kind="stable")
    return np.arange(len(inputs))


def _run_batch(encoder: Encoder, items: list[Any]) -> np.ndarray:
    return encoder.forward(encoder.prepare(items)).float().cpu().numpy()


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA (fp16 where bf16 is unsupported); nothing elsewhere."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@contextlib.contextmanager
def _eval_mode(encoder: Encoder) -> Iterator[None]:
    """Run with the trainable module in eval mode, restoring its previous mode afterwards."""
    try:
        module = encoder.trainable()
    except FailedPrecondition:
        yield
        return
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def _release_cuda_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def to_float16_blob(features: np.ndarray) -> bytes:
    """zlib-compressed float16 bytes behind a header holding the shape."""
    array = np.ascontiguousarray(
        np.clip(features, -_FLOAT16_MAX, _FLOAT16_MAX), dtype=np.dtype("<f2")
    )
    header = _BLOB_MAGIC + struct.pack(f"<B{array.ndim}Q", array.ndim, *array.shape)
    return header + zlib.compress(array.tobytes(), level=6)


def from_float16_blob(blob: bytes) -> np.ndarray:
    """Features as float32, from a blob made by `to_float16_blob`."""
    if not blob.startswith(_BLOB_MAGIC) or len(blob) < len(_BLOB_MAGIC) + 1:
        raise InvalidArgument("not a SHiFT feature blob (bad header)")
    ndim = blob[len(_BLOB_MAGIC)]
    offset = len(_BLOB_MAGIC) + 1
    shape = struct.unpack_from(f"<{ndim}Q", blob, offset)
    try:
        raw = zlib.decompress(blob[offset + 8 * ndim :])
    except zlib.error as error:
        raise InvalidArgument(f"corrupt feature blob: {error}") from error
    if len(raw) != 2 * int(np.prod(shape, dtype=np.int64)):
        raise InvalidArgument(f"corrupt feature blob: {len(raw)} bytes for shape {shape}")
    return np.frombuffer(raw, dtype="<f2").reshape(shape).astype(np.float32)
