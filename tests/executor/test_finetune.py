"""Fine-tuning with tiny encoders: it learns, it cancels promptly, it saves only when complete."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertModel

from shift_search.executor.features.extract import device_batch_size
from shift_search.executor.finetuning.train import (
    LENGTH_GROUP,
    FinetuneProgress,
    epoch_order,
    finetune,
)
from shift_search.runtime.errors import Cancelled, FailedPrecondition, InvalidArgument


class MlpEncoder:
    """An "image" encoder over small float vectors; counts batches run in training mode."""

    modality = "image"
    device = torch.device("cpu")

    def __init__(self, in_dims: int = 8, dimension: int = 16, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.dimension = dimension
        self.net = torch.nn.Sequential(
            torch.nn.Linear(in_dims, 32), torch.nn.Tanh(), torch.nn.Linear(32, dimension)
        )
        self.training_batches = 0

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return {"x": torch.as_tensor(np.stack(inputs), dtype=torch.float32)}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.training_batches += int(self.net.training)
        return self.net(batch["x"].to(self.device))

    def trainable(self) -> torch.nn.Module:
        return self.net

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        with torch.inference_mode():
            return self.forward(self.prepare(inputs)).numpy()


class TinyBertEncoder:
    """A randomly initialised 1-layer BERT over a six-word vocabulary, mean-pooled."""

    modality = "text"
    device = torch.device("cpu")
    vocab = ("[PAD]", "[CLS]", "good", "bad", "movie", "the")

    def __init__(self) -> None:
        torch.manual_seed(0)
        config = BertConfig(
            vocab_size=len(self.vocab),
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=16,
        )
        self.model = BertModel(config, add_pooling_layer=False)
        self.dimension = 16

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        ids = [[1, *(self.vocab.index(w) for w in text.split())] for text in inputs]
        width = max(map(len, ids))
        padded = torch.tensor([row + [0] * (width - len(row)) for row in ids])
        return {"input_ids": padded, "attention_mask": (padded != 0).long()}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        states = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (states * mask).sum(1) / mask.sum(1)

    def trainable(self) -> torch.nn.Module:
        return self.model

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        with torch.inference_mode():
            return self.forward(self.prepare(inputs)).numpy()


class OnnxLikeEncoder(MlpEncoder):
    def trainable(self) -> torch.nn.Module:
        raise FailedPrecondition("ONNX models cannot be fine-tuned")


def vectors(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centres = np.array([[2.0] * 4 + [0.0] * 4, [0.0] * 4 + [2.0] * 4])
    return list(centres[labels] + rng.normal(0, 0.7, (n, 8))), labels


def sentences(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    texts = [" ".join(rng.permutation(["the", "movie", ("bad", "good")[y]])) for y in labels]
    return texts, labels


def test_mlp_finetune_beats_the_untrained_head(tmp_path: Path) -> None:
    (train_x, train_y), (test_x, test_y) = vectors(160, 0), vectors(80, 1)
    events: list[FinetuneProgress] = []
    result = finetune(
        MlpEncoder(),
        train_x,
        train_y,
        test_x,
        test_y,
        num_classes=2,
        epochs=4,
        batch_size=16,
        lr=1e-2,
        progress=events.append,
        output_dir=tmp_path / "ft",
        lineage={"base": "models/local/mlp@0"},
        progress_every=5,
    )
    assert result.test_accuracy >= 0.95
    assert result.test_accuracy > result.head_accuracy_before
    assert result.steps == 40
    assert [e.step for e in events] == list(range(5, 41, 5))
    assert events[-1].total_steps == 40 and all(e.loss >= 0 for e in events)
    assert result.saved_to == tmp_path / "ft"
    info = json.loads((tmp_path / "ft" / "finetune.json").read_text())
    assert info["num_classes"] == 2 and info["lineage"] == {"base": "models/local/mlp@0"}
    assert set(load_file(tmp_path / "ft" / "head.safetensors")) == {"weight", "bias"}
    assert len(load_file(tmp_path / "ft" / "model.safetensors")) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["ft"]


def test_sgd_optimizer_also_learns() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(160, 2), vectors(80, 3)
    result = finetune(
        MlpEncoder(seed=1),
        train_x,
        train_y,
        test_x,
        test_y,
        num_classes=2,
        epochs=3,
        batch_size=16,
        lr=0.05,
        optimizer="sgd",
    )
    assert result.test_accuracy >= 0.95 and result.saved_to is None


class SlowBatchNormEncoder(MlpEncoder):
    """An MLP whose BatchNorm layer was built with a very slow momentum (EfficientNet-Lite's
    port builds its layers with 0.01), over inputs far from its initial statistics."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(32, momentum=0.001)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, 32), self.norm, torch.nn.ReLU(), torch.nn.Linear(32, 16)
        )


def test_batchnorm_statistics_follow_the_fine_tune_whatever_the_model_was_built_with() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(160, 4), vectors(200, 5)
    shifted = [x * 0.5 + 10.0 for x in train_x], [x * 0.5 + 10.0 for x in test_x]
    encoder = SlowBatchNormEncoder()
    result = finetune(
        encoder, shifted[0], train_y, shifted[1], test_y, num_classes=2, epochs=4,
        batch_size=16, lr=1e-2, evaluate_before=False,
    )  # fmt: skip
    # Evaluation normalises with the running statistics; at 0.001 they would barely have left
    # their initial mean 0 (the inputs' is about 10), and the predictions would be near chance.
    assert result.test_accuracy >= 0.9
    assert float(encoder.norm.running_mean.abs().mean()) > 1.0
    assert encoder.norm.momentum == 0.001  # the model's own setting, restored


def test_tiny_bert_finetune_beats_the_untrained_head(tmp_path: Path) -> None:
    (train_x, train_y), (test_x, test_y) = sentences(96, 0), sentences(48, 1)
    result = finetune(
        TinyBertEncoder(),
        train_x,
        train_y,
        test_x,
        test_y,
        num_classes=2,
        epochs=6,
        batch_size=16,
        lr=3e-3,
        output_dir=tmp_path / "bert",
    )
    assert result.test_accuracy >= 0.9
    assert result.test_accuracy > result.head_accuracy_before
    assert (tmp_path / "bert" / "config.json").is_file()
    saved = load_file(tmp_path / "bert" / "model.safetensors")
    assert "embeddings.word_embeddings.weight" in saved


class RecordingBert(TinyBertEncoder):
    """Records the word counts of every batch prepared, in eval and in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluated: list[list[int]] = []
        self.trained: list[list[int]] = []

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        words = [len(str(text).split()) for text in inputs]
        (self.trained if self.model.training else self.evaluated).append(words)
        return super().prepare(inputs)


def test_evaluation_batches_texts_longest_first_and_scores_every_row() -> None:
    (train_x, train_y), (test_x, test_y) = sentences(32, 0), sentences(20, 1)
    test_x = [" ".join(["the"] * (i % 4) + [text]) for i, text in enumerate(test_x)]
    encoder = RecordingBert()
    result = finetune(
        encoder, train_x, train_y, test_x, test_y, num_classes=2, epochs=1, batch_size=8
    )
    before = encoder.evaluated[: len(encoder.evaluated) // 2]  # the untrained head's pass
    lengths = [n for batch in before for n in batch]
    assert lengths == sorted(lengths, reverse=True) and len(lengths) == len(test_x)
    assert result.test_accuracy * len(test_x) == pytest.approx(round(result.test_accuracy * 20))


def test_an_epoch_without_lengths_is_a_plain_shuffle() -> None:
    order = epoch_order(np.random.default_rng(3), 50, 8)
    np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(50))


@pytest.mark.parametrize("count", [4 * 8 * LENGTH_GROUP, 4 * 8 * LENGTH_GROUP + 5, 7])
def test_an_epoch_of_texts_groups_rows_of_like_length_into_shuffled_batches(count: int) -> None:
    rank = np.random.default_rng(0).permutation(count)  # row i is the rank[i]-th longest
    first = epoch_order(np.random.default_rng(1), count, 8, rank)
    second = epoch_order(np.random.default_rng(2), count, 8, rank)
    assert sorted(first) == list(range(count))  # every row once
    batches = [first[i : i + 8] for i in range(0, count, 8)]
    assert all(list(rank[b]) == sorted(rank[b]) for b in batches)  # longest first in a batch
    assert all(len(b) == 8 for b in batches[:-1])  # only the last batch may be short
    if count > 8 * LENGTH_GROUP:  # several groups: batch lengths do not run longest first
        heads = [rank[b[0]] for b in batches]
        assert heads != sorted(heads)
        assert list(first) != list(second)  # and a new epoch draws new batches


def test_a_text_fine_tune_trains_on_length_grouped_batches() -> None:
    (train_x, train_y), (test_x, test_y) = sentences(64, 0), sentences(16, 1)
    train_x = [" ".join(["the"] * (i % 5) + [text]) for i, text in enumerate(train_x)]
    encoder = RecordingBert()
    result = finetune(
        encoder, train_x, train_y, test_x, test_y, num_classes=2, epochs=1, batch_size=4, lr=3e-3
    )
    assert result.steps == 16
    assert len(encoder.trained) == 16
    assert all(batch == sorted(batch, reverse=True) for batch in encoder.trained)
    assert sum(map(len, encoder.trained)) == len(train_x)


@pytest.mark.parametrize("stop_after", [0, 3])
def test_cancel_stops_within_one_batch_and_leaves_nothing(tmp_path: Path, stop_after: int) -> None:
    (train_x, train_y), (test_x, test_y) = vectors(160, 0), vectors(40, 1)
    encoder = MlpEncoder()
    # the untrained head is evaluated first, in batches of at most the CPU's cap
    eval_batches = -(-len(test_y) // device_batch_size(encoder.device, encoder.modality, 16))
    polls = 0

    def should_stop() -> bool:
        nonlocal polls
        polls += 1
        return polls > eval_batches + stop_after

    with pytest.raises(Cancelled):
        finetune(
            encoder,
            train_x,
            train_y,
            test_x,
            test_y,
            num_classes=2,
            batch_size=16,
            should_stop=should_stop,
            output_dir=tmp_path / "out",
        )
    assert encoder.training_batches == stop_after
    assert list(tmp_path.iterdir()) == []


def test_untrainable_encoder_is_a_failed_precondition(tmp_path: Path) -> None:
    train_x, train_y = vectors(20, 0)
    encoder = OnnxLikeEncoder()
    with pytest.raises(FailedPrecondition, match="ONNX"):
        finetune(
            encoder, train_x, train_y, train_x, train_y, num_classes=2, output_dir=tmp_path / "out"
        )
    assert encoder.training_batches == 0 and list(tmp_path.iterdir()) == []


def test_labels_outside_the_classes_are_invalid() -> None:
    train_x, train_y = vectors(20, 0)
    with pytest.raises(InvalidArgument, match="class ids"):
        finetune(MlpEncoder(), train_x, train_y + 1, train_x, train_y, num_classes=2)
    with pytest.raises(InvalidArgument, match="optimizer"):
        finetune(MlpEncoder(), train_x, train_y, train_x, train_y, num_classes=2, optimizer="lamb")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="batchnorm_momentum"):
        finetune(
            MlpEncoder(), train_x, train_y, train_x, train_y, num_classes=2, batchnorm_momentum=0
        )
