"""The benchmark pool's real models (the `pool` extra; skipped where it is not installed, as in
CI): each resolves offline, loads through SHiFT's loaders and embeds; the ImageNet trunks built
without torchvision classify sklearn's palace photo as a palace-like class."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import importlib.metadata

import numpy as np
import pytest
import torch

from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.packaged_pool import POOL, PoolModel, source_files
from shift_search.executor.loaders.registry import load_encoder

pytestmark = pytest.mark.integration


def _installed(model: PoolModel) -> bool:
    try:
        for distribution in model.distributions:
            importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _encoder(model: PoolModel) -> object:
    if not _installed(model):
        pytest.skip(f"{model.name}: the pool extra is not installed")
    known = resolve_known_model(model.name)
    return load_encoder(
        known.source, known.uri, modality=known.modality, pooling=known.pooling,
        tokenizer=known.tokenizer, device="cpu",
    )  # fmt: skip


@pytest.mark.parametrize("model", POOL, ids=lambda m: m.name)
def test_every_pool_model_loads_offline_and_embeds(model: PoolModel) -> None:
    encoder = _encoder(model)
    inputs: list[object] = (
        ["a cat sat on the mat", "stocks fell sharply"]
        if model.modality == "text"
        else [np.zeros((16, 16, 3), np.uint8), np.full((16, 16, 3), 200, np.uint8)]
    )
    features = encoder.embed(inputs, batch_size=2)  # type: ignore[attr-defined]
    assert features.shape == (2, encoder.dimension)  # type: ignore[attr-defined]
    assert np.isfinite(features).all() and not np.allclose(features[0], features[1])


@pytest.mark.parametrize("name", ["mobilenet-v2-imagenet", "resnet152-imagenet"])
def test_imagenet_trunks_see_a_palace(name: str) -> None:
    from sklearn.datasets import load_sample_images

    model = next(m for m in POOL if m.name == name)
    encoder = _encoder(model)
    checkpoint = torch.load(source_files(model)[0], map_location="cpu", weights_only=False)
    head = "classifier.1." if "classifier.1.weight" in checkpoint else "features.fc."
    china = load_sample_images().images[0]
    features = torch.from_numpy(encoder.embed([china]))  # type: ignore[attr-defined]
    logits = features @ checkpoint[f"{head}weight"].T + checkpoint[f"{head}bias"]
    palace_like = {442, 483, 497, 538, 663, 668, 698, 832, 900}
    assert set(logits.topk(5).indices[0].tolist()) & palace_like
