"""The classifier a torchvision-layout checkpoint keeps is read as a linear head on the pooled
features SHiFT caches: applied to them, it gives the network's own predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from shift_search.executor.loaders.cnn_architectures import build_trunk
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.torchvision_cnn import load_torchvision
from shift_search.executor.scorers.heads import softmax


def save_checkpoint(folder: Path, head: dict[str, torch.Tensor], **config: object) -> Path:
    torch.manual_seed(0)
    trunk = build_trunk("resnet18")
    folder.mkdir()
    save_file({**trunk.state_dict(), **head}, str(folder / "model.safetensors"))
    (folder / "torchvision.json").write_text(
        json.dumps({"arch": "resnet18", "image_size": 32, **config})
    )
    return folder


def options() -> LoadOptions:
    return LoadOptions(modality="image", pooling="mean", tokenizer=None, device=torch.device("cpu"))


def test_resnet_fc_on_cached_features_is_the_networks_own_prediction(tmp_path: Path) -> None:
    fc = torch.nn.Linear(512, 7)
    folder = save_checkpoint(
        tmp_path / "resnet", {"fc.weight": fc.weight.detach(), "fc.bias": fc.bias.detach()}
    )
    encoder = load_torchvision(str(folder), options())
    assert encoder.head is not None and tuple(encoder.head[0].shape) == (7, 512)
    images = [np.random.default_rng(i).integers(0, 255, (40, 40, 3), np.uint8) for i in range(5)]
    features = encoder.embed(images)
    weight, bias = encoder.head
    ours = softmax(features.astype(np.float64) @ weight.numpy().T + bias.numpy())
    with torch.inference_mode():
        pixels = encoder.prepare(images)["pixel_values"]
        theirs = torch.softmax(fc(encoder.trunk(pixels).mean(dim=(2, 3))), -1).numpy()
    assert ours == pytest.approx(theirs, abs=1e-5)


def test_no_head_without_a_classifier_of_the_features_width(tmp_path: Path) -> None:
    none = load_torchvision(str(save_checkpoint(tmp_path / "bare", {})), options())
    assert none.head is None
    wrong = {"fc.weight": torch.zeros(3, 100), "fc.bias": torch.zeros(3)}
    assert load_torchvision(str(save_checkpoint(tmp_path / "w", wrong)), options()).head is None
