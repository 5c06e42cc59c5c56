"""Batched feature extraction from an `Encoder`, and the float16 blobs features are cached as."""

from __future__ import annotations

import contextlib
import struct
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from shift_search.executor.encoders.encoder import Encoder, TokenCounter
from shift_search.runtime.errors import (
    Cancelled,
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
)

CPU_BATCH_CAP = {"image": 4, "text": 16}
"""On the CPU, a batch's activations outgrow the caches long before the cores run out of work:
on 2 cores, ms per image at batches of 4 / 64: EfficientNet-Lite0 18.7 / 30.7, Lite2 27.4 /
67.2, MobileNetV2 11.4 / 27.1, ResNet-50 77.5 / 97.5, VGG16-BN 193 / 224 (an ONNX ResNet-50
flat at 14-15); ms per tweet at 16 / 64, sorted by tokens: MiniLM-L6 7.4 / 9.3, ONNX
MiniLM-L3 4.4 / 4.7. So extraction on the CPU runs batches of at most these sizes."""
_BLOB_MAGIC = b"SHF1"
_FLOAT16_MAX = float(np.finfo(np.float16).max)


def extract_features(
    encoder: Encoder,
    inputs: Sequence[Any],
    *,
    batch_size: int = 64,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Float32 features [N, D] in input order.

    Texts are batched longest-first, by tokens where the encoder counts them (`TokenCounter`),
    so padding stays small. On the CPU, batches are capped by `CPU_BATCH_CAP`. Off the CPU, the
    next batch is prepared (tokenised, or decoded and resized) on a helper thread while the
    device runs the current one, and results stay on the device until the end, so the host
    never waits for a batch it does not need yet. The batch is halved and retried on CUDA
    out-of-memory, and ResourceExhausted is raised only when a batch of one fails.
    `should_stop` is checked between batches (Cancelled).
    """
    if batch_size < 1:
        raise InvalidArgument(f"batch_size must be positive, got {batch_size}")
    order = length_order(encoder, inputs)
    batch_size = device_batch_size(encoder.device, encoder.modality, batch_size)
    out = np.empty((len(inputs), encoder.dimension), dtype=np.float32)
    done: list[tuple[np.ndarray, torch.Tensor]] = []
    start, size = 0, batch_size
    # autocast entered once: per batch, it would re-cast the weights every time
    with (
        _eval_mode(encoder),
        torch.inference_mode(),
        _autocast(encoder.device),
        _Prefetcher(encoder, inputs, order) as batches,
    ):
        while start < len(order):
            if should_stop is not None and should_stop():
                raise Cancelled("task cancelled")
            rows = order[start : start + size]
            try:
                batch = batches.take(start, size)
                done.append((rows, encoder.forward(batch).float()))
            except torch.OutOfMemoryError as error:
                if size == 1:
                    raise ResourceExhausted(
                        "out of device memory even with batch size 1"
                    ) from error
                size = max(1, size // 2)
                _release_cuda_memory(encoder.device)
                continue
            start += len(rows)
        for rows, features in done:
            out[rows] = features.cpu().numpy()
    return out


class _Prefetcher:
    """Prepares the batch after the one asked for on one helper thread (at most one ahead) when
    the forward pass runs off the host; on CPU it would only take cores from the forward pass.

    `prepare` never runs on two threads at once for the same encoder: fast tokenizers refuse
    concurrent use ("Already borrowed"), and tasks on other slots may share the encoder.
    """

    def __init__(self, encoder: Encoder, inputs: Sequence[Any], order: np.ndarray) -> None:
        self._encoder = encoder
        self._inputs = inputs
        self._order = order
        self._pin = encoder.device.type == "cuda"
        self._pool = (
            None
            if encoder.device.type == "cpu"
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare")
        )
        self._ahead: tuple[int, int, Future[dict[str, torch.Tensor]]] | None = None

    def __enter__(self) -> _Prefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop_ahead()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def take(self, start: int, size: int) -> dict[str, torch.Tensor]:
        """The batch of `order[start : start + size]`, and start preparing the next one."""
        if self._ahead is not None and self._ahead[:2] == (start, size):
            batch = self._ahead[2].result()
            self._ahead = None
        else:
            self._drop_ahead()
            batch = self._prepare(start, size)
        following = start + size
        if self._pool is not None and following < len(self._order):
            self._ahead = (following, size, self._pool.submit(self._prepare, following, size))
        return batch

    def _prepare(self, start: int, size: int) -> dict[str, torch.Tensor]:
        items = [self._inputs[i] for i in self._order[start : start + size]]
        with _prepare_lock(self._encoder):
            batch = self._encoder.prepare(items)
        if self._pin:  # page-locked, so the copy to the device does not stall the host
            batch = {name: tensor.pin_memory() for name, tensor in batch.items()}
        return batch

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            future = self._ahead[2]
            self._ahead = None
            future.cancel()
            with contextlib.suppress(Exception):  # its error, if any, belongs to no batch
                future.result()


_PREPARE_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_PREPARE_LOCKS_GUARD = threading.Lock()


def prepare_lock(encoder: Encoder) -> threading.Lock:
    """The lock every `prepare` of `encoder` runs under (an encoder that prepares its inputs
    with another's, a classifier head with its model's tokenizer, takes that one's too)."""
    return _prepare_lock(encoder)


def _prepare_lock(encoder: Encoder) -> threading.Lock:
    with _PREPARE_LOCKS_GUARD:
        lock = _PREPARE_LOCKS.get(encoder)
        if lock is None:
            lock = _PREPARE_LOCKS[encoder] = threading.Lock()
        return lock


def device_batch_size(device: torch.device, modality: str, requested: int) -> int:
    """The batch size extraction runs at: `requested`, capped on the CPU by `CPU_BATCH_CAP`."""
    if device.type != "cpu":
        return requested
    return min(requested, CPU_BATCH_CAP.get(modality, requested))


def all_text(inputs: Sequence[Any]) -> bool:
    """Whether there are inputs and every one is a text (the ones batched by length)."""
    return bool(inputs) and all(isinstance(item, str) for item in inputs)


def length_order(encoder: Encoder, inputs: Sequence[Any]) -> np.ndarray:
    """Indices longest text first (stable), or input order when the inputs are not all text.

    Length is tokens where the encoder counts them, else characters: sorted by characters,
    a batch of real texts pads to 1.2-1.6x their mean tokens (MiniLM on tweets: 50.6 padded for
    32.4 tokens; fine-food reviews 71.6 for 53.1), sorted by tokens to 1.1x (36.6; 58.8)."""
    if not all_text(inputs):
        return np.arange(len(inputs))
    if isinstance(encoder, TokenCounter):
        with _prepare_lock(encoder):  # a fast tokenizer refuses concurrent use
            lengths = encoder.token_counts(inputs)
    else:
        lengths = np.fromiter((len(item) for item in inputs), dtype=np.int64, count=len(inputs))
    return np.argsort(-lengths, kind="stable")


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA (fp16 where bf16 is unsupported); nothing elsewhere."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


@contextlib.contextmanager
def _eval_mode(encoder: Encoder) -> Iterator[None]:
    """Run with the trainable module in eval mode; the last of the extractions sharing it (tasks
    on other slots) puts back the mode the first one found."""
    try:
        module = encoder.trainable()
    except FailedPrecondition:
        yield
        return
    with _EVAL_GUARD:
        users, was_training = _EVAL_USERS.get(module, (0, module.training))
        _EVAL_USERS[module] = (users + 1, was_training)
        module.eval()
    try:
        yield
    finally:
        with _EVAL_GUARD:
            users, was_training = _EVAL_USERS.pop(module)
            if users > 1:
                _EVAL_USERS[module] = (users - 1, was_training)
            else:
                module.train(was_training)


_EVAL_USERS: weakref.WeakKeyDictionary[torch.nn.Module, tuple[int, bool]] = (
    weakref.WeakKeyDictionary()
)
_EVAL_GUARD = threading.Lock()


def _release_cuda_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _as_float16(features: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(
        np.clip(features, -_FLOAT16_MAX, _FLOAT16_MAX), dtype=np.dtype("<f2")
    )


def as_stored(features: np.ndarray) -> np.ndarray:
    """Features exactly as a reader of their blob gets them (float16, widened to float32)."""
    return _as_float16(features).astype(np.float32)


def to_float16_blob(features: np.ndarray) -> bytes:
    """zlib-compressed float16 bytes behind a header holding the shape."""
    array = _as_float16(features)
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
