"""Loaders on tiny randomly initialised models saved to tmp_path (no pretrained weights)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from shift_search.executor.encoders.encoder import Encoder, TokenCounter
from shift_search.executor.loaders.onnx import OnnxTextEncoder
from shift_search.executor.loaders.registry import (
    load_encoder,
    pick_device,
    register_loader,
)
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

WORDS = [
    *("the", "a", "cat", "dog", "sat", "on", "mat", "runs"),
    *("fast", "slow", "red", "blue", "big", "small", "very"),
]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_bert")
    (folder / "vocab.txt").write_text("\n".join(SPECIALS + WORDS) + "\n")
    tokenizer = transformers.BertTokenizer(vocab=str(folder / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(SPECIALS) + len(WORDS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_vit")
    config = transformers.ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    torch.manual_seed(0)
    transformers.ViTModel(config).save_pretrained(folder)
    processor_class = getattr(transformers, "ViTImageProcessorPil", transformers.ViTImageProcessor)
    processor_class(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


TEXTS = ["the cat sat on the mat", "dog", "a very big red dog runs fast", "small blue cat"]


@pytest.mark.parametrize("pooling", ["mean", "pooler", "first"])
def test_text_pooling_gives_one_vector_per_text(tiny_bert: Path, pooling: str) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), pooling=pooling, device="cpu")
    features = encoder.embed(TEXTS, batch_size=2)
    assert isinstance(encoder, Encoder)
    assert features.shape == (4, 32) and features.dtype == np.float32
    assert np.isfinite(features).all()


def test_pooling_choices_differ_and_match_the_hidden_states(tiny_bert: Path) -> None:
    by_pooling = {
        pooling: load_encoder("huggingface", str(tiny_bert), pooling=pooling, device="cpu")
        for pooling in ("mean", "first", "pooler")
    }
    encoder = by_pooling["mean"]
    batch = encoder.prepare(["the cat sat", "dog"])
    with torch.no_grad():
        out = encoder.trainable()(**batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected_mean = (out.last_hidden_state * mask).sum(1) / mask.sum(1)
    with torch.no_grad():
        got = {name: enc.forward(batch) for name, enc in by_pooling.items()}
    torch.testing.assert_close(got["mean"], expected_mean)
    torch.testing.assert_close(got["first"], out.last_hidden_state[:, 0])
    torch.testing.assert_close(got["pooler"], out.pooler_output)


def test_embed_preserves_order_under_length_sorting(tiny_bert: Path) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), device="cpu")
    together = encoder.embed(TEXTS, batch_size=3)
    alone = np.stack([encoder.embed([text])[0] for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_token_counts_are_the_tokens_prepare_keeps(tiny_bert: Path) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), device="cpu")
    texts = ["the cat", "a dog runs far away", "cat " * 500]
    assert isinstance(encoder, TokenCounter)
    kept = [int(encoder.prepare([text])["attention_mask"].sum()) for text in texts]
    assert encoder.token_counts(texts).tolist() == kept and kept[2] <= 64


def test_forward_is_differentiable(tiny_bert: Path) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), device="cpu")
    features = encoder.forward(encoder.prepare(["the cat", "a dog runs"]))
    features.sum().backward()
    grads = [p.grad for p in encoder.trainable().parameters() if p.grad is not None]
    assert grads and encoder.trainable().training is False


def test_long_texts_are_truncated_to_the_position_limit(tiny_bert: Path) -> None:
    encoder = load_encoder("huggingface", str(tiny_bert), device="cpu")
    batch = encoder.prepare(["cat " * 500])
    assert batch["input_ids"].shape[1] <= 64
    assert encoder.embed(["cat " * 500]).shape == (1, 32)


@pytest.mark.parametrize("pooling", ["mean", "pooler", "first"])
def test_image_pooling_accepts_arrays_and_pil(tiny_vit: Path, pooling: str) -> None:
    encoder = load_encoder(
        "huggingface", str(tiny_vit), modality="image", pooling=pooling, device="cpu"
    )
    rng = np.random.default_rng(0)
    images: list[Any] = [
        rng.integers(0, 17, size=(8, 8)).astype(np.float64),
        rng.integers(0, 256, size=(40, 30, 3)).astype(np.uint8),
        Image.new("L", (20, 20), color=128),
    ]
    features = encoder.embed(images, batch_size=2)
    assert features.shape == (3, 32) and np.isfinite(features).all()


def test_hub_id_without_local_copy_fails_at_once_with_a_clear_message() -> None:
    with pytest.raises(NotFound, match=r"not-a-real-org/no-such-model.*not available offline"):
        load_encoder("huggingface", "not-a-real-org/no-such-model")


def test_missing_local_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        load_encoder("huggingface", str(tmp_path / "absent"))


def test_unknown_source_pooling_and_modality_are_rejected(tiny_bert: Path) -> None:
    with pytest.raises(NotFound, match=r'huggingfase.*did you mean "huggingface"'):
        load_encoder("huggingfase", str(tiny_bert))
    with pytest.raises(InvalidArgument, match="pooling"):
        load_encoder("huggingface", str(tiny_bert), pooling="max")
    with pytest.raises(InvalidArgument, match="modality"):
        load_encoder("huggingface", str(tiny_bert), modality="audio")


def test_registry_knows_the_builtin_families_and_accepts_new_ones(tiny_bert: Path) -> None:
    for source in ("huggingface", "onnx", "efficientnet"):
        with pytest.raises(NotFound) as unknown:
            load_encoder(source + "-x", "x")
        assert source in unknown.value.suggestions
    seen: list[str] = []

    def fake_loader(uri: str, options: Any) -> Any:
        seen.append(uri)
        return "encoder"

    register_loader("fake-family", fake_loader)
    assert load_encoder("fake-family", "x") == "encoder" and seen == ["x"]


def test_device_defaults_to_cpu_here_and_honours_a_request() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    assert pick_device("cpu") == torch.device("cpu")


def test_efficientnet_from_a_weights_file_on_digit_sized_images(tmp_path: Path) -> None:
    from efficientnet_lite_pytorch import EfficientNet

    weights = tmp_path / "efficientnet-lite0-random.pth"
    torch.save(EfficientNet.from_name("efficientnet-lite0").state_dict(), weights)
    encoder = load_encoder("efficientnet", str(weights), modality="image", device="cpu")
    digits = [np.full((8, 8), value, dtype=np.uint8) for value in (0, 120, 255)]
    assert encoder.prepare(digits)["pixel_values"].shape == (3, 3, 224, 224)
    features = encoder.embed(digits)
    assert features.shape == (3, 1280) and encoder.dimension == 1280


def test_efficientnet_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="efficientnet-lite9"):
        load_encoder("efficientnet", "efficientnet-lite9", modality="image")
    with pytest.raises(NotFound, match="does not exist"):
        load_encoder("efficientnet", str(tmp_path / "efficientnet-lite0-x.pth"), modality="image")
    with pytest.raises(InvalidArgument, match="image"):
        load_encoder("efficientnet", "efficientnet-lite0", modality="text")


class _Node:
    def __init__(self, name: str, shape: list[Any], type_: str = "tensor(float)") -> None:
        self.name, self.shape, self.type = name, shape, type_


class _FakeSession:
    """Stands in for onnxruntime: token states are the embedding of each input id."""

    def get_inputs(self) -> list[_Node]:
        return [
            _Node("input_ids", ["b", "t"], "tensor(int64)"),
            _Node("attention_mask", ["b", "t"]),
        ]

    def get_outputs(self) -> list[_Node]:
        return [_Node("ids", ["b", "t"], "tensor(int64)"), _Node("states", ["b", "t", 4])]

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feeds["input_ids"]
        states = np.stack([ids, ids * 2, ids * 0 + 1, -ids], axis=-1).astype(np.float32)
        return [ids, states]


def test_onnx_encoder_mean_pools_token_states_over_the_mask(tiny_bert: Path) -> None:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_bert))
    encoder = OnnxTextEncoder(_FakeSession(), tokenizer, torch.device("cpu"))
    assert encoder.dimension == 4
    batch = encoder.prepare(["the cat sat", "dog"])
    assert set(batch) == {"input_ids", "attention_mask"}
    features = encoder.embed(["the cat sat", "dog"])
    ids = tokenizer(["dog"])["input_ids"][0]
    np.testing.assert_allclose(features[1], [np.mean(ids), 2 * np.mean(ids), 1, -np.mean(ids)])
    with pytest.raises(FailedPrecondition, match="ONNX"):
        encoder.trainable()


def test_onnx_loader_reports_missing_files(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"model\.onnx"):
        load_encoder("onnx", str(tmp_path), tokenizer="minilm")
