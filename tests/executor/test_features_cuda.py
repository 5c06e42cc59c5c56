"""GPU paths of feature extraction: bf16 autocast, device placement, real out-of-memory retries.

Skipped where CUDA is absent (CI); run on a GPU machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers

from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.registry import load_encoder, pick_device
from shift_search.runtime.errors import ResourceExhausted

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "on", "mat"]
TEXTS = ["the cat sat on the mat", "dog", "the dog sat", "cat on mat on the dog dog"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_bert_cuda")
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    config = transformers.BertConfig(
        vocab_size=len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    transformers.BertTokenizer(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def test_cuda_is_the_default_device() -> None:
    assert pick_device().type == "cuda"


def test_autocast_features_match_cpu_features_in_order(tiny_bert: Path) -> None:
    on_gpu = load_encoder("huggingface", str(tiny_bert))
    on_cpu = load_encoder("huggingface", str(tiny_bert), device="cpu")
    assert on_gpu.device.type == "cuda"
    gpu, cpu = on_gpu.embed(TEXTS, batch_size=3), on_cpu.embed(TEXTS, batch_size=3)
    assert gpu.dtype == np.float32
    cosine = (gpu * cpu).sum(1) / (np.linalg.norm(gpu, axis=1) * np.linalg.norm(cpu, axis=1))
    assert (cosine > 0.99).all()


class MemoryHungry:
    """Allocates `share` of the GPU per input, so big batches run out of memory for real."""

    modality = "image"
    dimension = 1

    def __init__(self, share: float) -> None:
        self.device = torch.device("cuda")
        self.bytes_per_input = int(torch.cuda.get_device_properties(0).total_memory * share)
        self.sizes: list[int] = []

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return {"values": torch.tensor([float(v) for v in inputs])}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        size = len(batch["values"])
        self.sizes.append(size)
        scratch = torch.empty(size * self.bytes_per_input, dtype=torch.uint8, device=self.device)
        del scratch
        return batch["values"].to(self.device).unsqueeze(1)

    def trainable(self) -> torch.nn.Module:
        return torch.nn.Identity()

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def test_real_out_of_memory_halves_the_batch() -> None:
    encoder = MemoryHungry(share=0.3)
    features = encoder.embed(list(range(10)), batch_size=8)
    np.testing.assert_array_equal(features[:, 0], np.arange(10))
    assert encoder.sizes[:3] == [8, 4, 2] and max(encoder.sizes[2:]) <= 2


def test_out_of_memory_at_batch_one_is_resource_exhausted() -> None:
    with pytest.raises(ResourceExhausted):
        MemoryHungry(share=2.0).embed([1, 2], batch_size=2)


def test_efficientnet_runs_on_the_gpu(tmp_path: Path) -> None:
    efficientnet = pytest.importorskip("efficientnet_lite_pytorch")
    weights = tmp_path / "efficientnet-lite0-random.pth"
    torch.save(efficientnet.EfficientNet.from_name("efficientnet-lite0").state_dict(), weights)
    encoder = load_encoder("efficientnet", str(weights), modality="image")
    assert encoder.device.type == "cuda"
    images = [np.full((8, 8), v, dtype=np.uint8) for v in range(0, 250, 25)]
    assert encoder.embed(images, batch_size=4).shape == (10, 1280)
