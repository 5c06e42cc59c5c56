"""extract_features with fake encoders, and the float16 feature blobs."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import torch

from shift_search.executor.features.extract import (
    CPU_BATCH_CAP,
    device_batch_size,
    extract_features,
    from_float16_blob,
    to_float16_blob,
)
from shift_search.runtime.errors import (
    Cancelled,
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
)


class LengthEncoder:
    """Feature of a text = (its length, its first character code); records batch shapes."""

    modality = "text"
    dimension = 2
    device = torch.device("cpu")

    def __init__(self, fail_above: int | None = None) -> None:
        self.fail_above = fail_above
        self.batches: list[list[str]] = []
        self.module = torch.nn.Linear(1, 1)
        self.module.train()
        self.saw_inference_mode = True

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        texts = [str(text) for text in inputs]
        self.batches.append(texts)
        width = max(len(text) for text in texts)
        codes = torch.zeros(len(texts), width)
        for row, text in enumerate(texts):
            codes[row, : len(text)] = torch.tensor([float(ord(c)) for c in text])
        return {"codes": codes, "lengths": torch.tensor([float(len(t)) for t in texts])}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.saw_inference_mode &= torch.is_inference_mode_enabled()
        assert not self.module.training
        if self.fail_above is not None and len(batch["lengths"]) > self.fail_above:
            raise torch.OutOfMemoryError("CUDA out of memory (fake)")
        return torch.stack([batch["lengths"], batch["codes"][:, 0]], dim=1)

    def trainable(self) -> torch.nn.Module:
        return self.module

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


TEXTS = ["bb", "a", "ddddd", "ccc", "eeeeeeee", "f", "gggg"]


def expected(texts: list[str]) -> np.ndarray:
    return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)


def test_features_come_back_in_input_order() -> None:
    encoder = LengthEncoder()
    np.testing.assert_array_equal(extract_features(encoder, TEXTS, batch_size=3), expected(TEXTS))


def test_text_batches_are_sorted_longest_first() -> None:
    encoder = LengthEncoder()
    extract_features(encoder, TEXTS, batch_size=3)
    lengths = [len(text) for batch in encoder.batches for text in batch]
    assert lengths == sorted(lengths, reverse=True)
    assert [len(batch) for batch in encoder.batches] == [3, 3, 1]


class WordEncoder(LengthEncoder):
    """Counts a text's tokens as its words, as a tokenizer would count them."""

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([len(text.split()) for text in texts], dtype=np.int64)


def test_an_encoder_that_counts_tokens_batches_by_tokens_not_characters() -> None:
    # by characters the one-word texts would lead; by tokens the three-word ones batch together
    texts = ["a b c", "abcdefghij", "x y z", "klmnopqrst", "p q", "uvwxyzabcd"]
    encoder = WordEncoder()
    features = extract_features(encoder, texts, batch_size=2)
    np.testing.assert_array_equal(features, expected(texts))
    assert encoder.batches == [
        ["a b c", "x y z"],
        ["p q", "abcdefghij"],
        ["klmnopqrst", "uvwxyzabcd"],
    ]


@pytest.mark.parametrize("modality", ["text", "image"])
def test_on_the_cpu_batches_are_capped_per_modality(modality: str) -> None:
    encoder = LengthEncoder()
    encoder.modality = modality
    texts = [chr(ord("a") + i % 26) * (1 + i % 7) for i in range(40)]
    features = extract_features(encoder, texts, batch_size=64)
    np.testing.assert_array_equal(features, expected(texts))
    cap = CPU_BATCH_CAP[modality]
    assert [len(batch) for batch in encoder.batches] == [cap] * (40 // cap) + (
        [40 % cap] if 40 % cap else []
    )
    assert device_batch_size(encoder.device, modality, 2) == 2  # a smaller batch asked for stays


def test_off_the_cpu_the_batch_asked_for_is_kept() -> None:
    encoder = LengthEncoder()
    encoder.device = torch.device("meta")
    assert device_batch_size(encoder.device, encoder.modality, 64) == 64


def test_runs_in_inference_and_eval_mode_and_restores_training_mode() -> None:
    encoder = LengthEncoder()
    extract_features(encoder, TEXTS)
    assert encoder.saw_inference_mode and encoder.module.training


def test_out_of_memory_halves_the_batch_and_retries() -> None:
    encoder = LengthEncoder(fail_above=2)
    features = extract_features(encoder, TEXTS, batch_size=8)
    np.testing.assert_array_equal(features, expected(TEXTS))
    assert max(len(batch) for batch in encoder.batches[-4:]) <= 2


def test_out_of_memory_at_batch_one_is_resource_exhausted() -> None:
    with pytest.raises(ResourceExhausted, match="batch size 1"):
        extract_features(LengthEncoder(fail_above=0), TEXTS, batch_size=4)


def test_non_text_inputs_keep_their_order_and_empty_input_gives_no_rows() -> None:
    class Untrainable(LengthEncoder):
        def trainable(self) -> torch.nn.Module:
            raise FailedPrecondition("inference only")

        def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return torch.stack([batch["lengths"], batch["codes"][:, 0]], dim=1)

    encoder = Untrainable()
    items = [123, 4, 56789]
    features = extract_features(encoder, items, batch_size=2)
    assert encoder.batches[0] == ["123", "4"]
    np.testing.assert_array_equal(features[:, 0], [3, 1, 5])
    assert extract_features(encoder, []).shape == (0, 2)
    with pytest.raises(InvalidArgument):
        extract_features(encoder, items, batch_size=0)


def test_float16_blob_round_trip_is_close_and_keeps_shape() -> None:
    features = np.random.default_rng(0).normal(size=(50, 384)).astype(np.float32)
    blob = to_float16_blob(features)
    restored = from_float16_blob(blob)
    assert restored.shape == (50, 384) and restored.dtype == np.float32
    np.testing.assert_allclose(restored, features, rtol=1e-3, atol=1e-3)
    assert len(blob) < features.nbytes // 2 + 64


def test_float16_blob_clips_huge_values_and_handles_empty() -> None:
    restored = from_float16_blob(to_float16_blob(np.array([[1e6, -1e6]], dtype=np.float32)))
    assert np.isfinite(restored).all()
    assert from_float16_blob(to_float16_blob(np.zeros((0, 7), np.float32))).shape == (0, 7)


def test_corrupt_blobs_are_rejected() -> None:
    blob = to_float16_blob(np.ones((3, 4), np.float32))
    with pytest.raises(InvalidArgument):
        from_float16_blob(b"nope" + blob[4:])
    with pytest.raises(InvalidArgument):
        from_float16_blob(blob[:-3])


class WatchedEncoder(LengthEncoder):
    """Records which threads prepared batches and whether two prepares ever overlapped; its
    device stands for an accelerator (the forward pass runs off the host)."""

    device = torch.device("meta")

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__()
        self.fail_on = fail_on
        self.threads: set[str] = set()
        self.overlapped = False
        self._busy = threading.Lock()

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        if not self._busy.acquire(blocking=False):
            self.overlapped = True
            self._busy.acquire()
        try:
            self.threads.add(threading.current_thread().name)
            if self.fail_on is not None and self.fail_on in inputs:
                raise InvalidArgument(f"cannot prepare {self.fail_on!r}")
            return super().prepare(inputs)
        finally:
            self._busy.release()


def test_batches_are_prepared_ahead_on_a_helper_thread_off_the_cpu() -> None:
    encoder = WatchedEncoder()
    features = extract_features(encoder, TEXTS, batch_size=2)
    np.testing.assert_array_equal(features, expected(TEXTS))
    assert any(name.startswith("prepare") for name in encoder.threads)
    on_cpu = WatchedEncoder()
    on_cpu.device = torch.device("cpu")  # the forward pass would compete for the same cores
    extract_features(on_cpu, TEXTS, batch_size=2)
    assert on_cpu.threads == {threading.current_thread().name}
    assert not any(t.name.startswith("prepare") for t in threading.enumerate())


def test_tasks_sharing_an_encoder_never_prepare_at_once() -> None:
    encoder = WatchedEncoder()
    texts = [f"{'x' * (i % 13 + 1)}{i}" for i in range(300)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: extract_features(encoder, texts, batch_size=7), range(4)))
    for features in results:
        np.testing.assert_array_equal(features, expected(texts))
    assert not encoder.overlapped


def test_an_error_preparing_a_later_batch_surfaces_and_leaves_no_thread() -> None:
    encoder = WatchedEncoder(fail_on="f")
    with pytest.raises(InvalidArgument, match="cannot prepare 'f'"):
        extract_features(encoder, TEXTS, batch_size=2)
    assert not any(t.name.startswith("prepare") for t in threading.enumerate())


def test_a_stop_request_is_honoured_between_batches() -> None:
    encoder = LengthEncoder()
    calls: list[int] = []

    def stop_after_two_batches() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        extract_features(encoder, TEXTS, batch_size=2, should_stop=stop_after_two_batches)
    assert len(encoder.batches) == 2
