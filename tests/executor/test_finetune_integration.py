"""Fine-tuning real packaged models on a few samples (marked integration)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest

from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.finetuning.train import finetune
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.registry import load_encoder
from shift_search.runtime.errors import FailedPrecondition, NotFound

pytestmark = pytest.mark.integration

GOOD = ["a wonderful film", "great acting", "i loved it", "brilliant and moving", "superb"]
BAD = ["a terrible film", "awful acting", "i hated it", "boring and dull", "dreadful"]


def load_known(name: str) -> Encoder:
    try:
        known = resolve_known_model(name)
    except NotFound as exc:
        pytest.skip(f"{name} is not installed: {exc}")
    return load_encoder(
        known.source,
        known.uri,
        modality=known.modality,
        pooling=known.pooling,
        tokenizer=known.tokenizer,
        device="cpu",
    )


def test_minilm_finetune_runs_and_saves(tmp_path: Path) -> None:
    texts = GOOD + BAD
    labels = np.array([1] * len(GOOD) + [0] * len(BAD))
    result = finetune(
        load_known("all-MiniLM-L6-v2"),
        texts,
        labels,
        texts,
        labels,
        num_classes=2,
        epochs=3,
        batch_size=5,
        lr=1e-4,
        output_dir=tmp_path / "minilm-ft",
        lineage={"base": "all-MiniLM-L6-v2"},
    )
    assert result.steps == 6
    assert result.test_accuracy >= 0.8
    assert (tmp_path / "minilm-ft" / "model.safetensors").is_file()
    assert (tmp_path / "minilm-ft" / "config.json").is_file()


def test_onnx_model_cannot_be_finetuned(tmp_path: Path) -> None:
    with pytest.raises(FailedPrecondition):
        finetune(
            load_known("paraphrase-MiniLM-L3-v2"),
            GOOD,
            [1] * 5,
            BAD,
            [0] * 5,
            num_classes=2,
            output_dir=tmp_path / "out",
        )
    assert list(tmp_path.iterdir()) == []
