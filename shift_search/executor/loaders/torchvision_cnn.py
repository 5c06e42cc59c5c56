"""torchvision-layout CNN image encoders from a folder: torchvision.json ({"arch": "resnet50",
optional "trunk_layers": N to keep only the first N modules of `features`, optional
"image_size"}) and model.safetensors with torchvision's key names. The trunks are built by
`cnn_architectures` (torchvision itself is not needed). The embedding is the globally averaged
last feature map of the trunk, so checkpoints fine-tuned for any number of classes load alike.
Trainable. Where the checkpoint keeps a linear classifier on that embedding (ResNet's `fc`,
MobileNetV2's and EfficientNet's `classifier.1`, of the trunk's width), the encoder keeps it as
`head` (LEEP and NCE read the source model's predictions through it); features never use it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shift_search.executor.encoders.images import IMAGENET_MEAN, IMAGENET_STD, to_normalised_batch
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.cnn_architectures import build_trunk
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.options import LoadOptions
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

CONFIG_FILE = "torchvision.json"
HEAD_KEYS = ("fc", "classifier.1")
"""Where torchvision keeps a linear classifier on the pooled last feature map."""
WEIGHTS_FILE = "model.safetensors"
DEFAULT_IMAGE_SIZE = 224


class TorchvisionEncoder:
    """A torchvision convolutional trunk; features are its last map averaged over space."""

    modality = "image"

    def __init__(
        self,
        trunk: torch.nn.Module,
        image_size: int,
        device: torch.device,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
    ) -> None:
        self.trunk = trunk.to(device).eval()
        self.image_size = image_size
        self.device = device
        # to_normalised_batch normalises with ImageNet's statistics; this maps that to ours
        imagenet_mean, imagenet_std = _column(IMAGENET_MEAN), _column(IMAGENET_STD)
        self._scale = imagenet_std / _column(std)
        self._shift = (imagenet_mean - _column(mean)) / _column(std)
        self.dimension = _output_channels(self.trunk, image_size)
        self.head: tuple[torch.Tensor, torch.Tensor] | None = None
        """The checkpoint's classifier on these features: (weight [K, D], bias [K])."""

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        pixels = to_normalised_batch(inputs, self.image_size)
        return {"pixel_values": pixels * self._scale + self._shift}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pixels = batch["pixel_values"].to(self.device, non_blocking=True)
        out: torch.Tensor = self.trunk(pixels)
        return out.mean(dim=(2, 3))

    def trainable(self) -> torch.nn.Module:
        return self.trunk

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def load_torchvision(uri: str, options: LoadOptions) -> TorchvisionEncoder:
    """Load the folder at `uri` (see the module docstring)."""
    if options.modality != "image":
        raise InvalidArgument("torchvision models are image models; use modality image")
    folder = model_location(uri)
    config_path, weights = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    if not config_path.is_file() or not weights.is_file():
        raise NotFound(
            f"{folder} is not a torchvision model folder ({CONFIG_FILE} + {WEIGHTS_FILE})"
        )
    config = json.loads(config_path.read_text())
    trunk = build_trunk(str(config.get("arch", "")), config.get("trunk_layers"))
    state = _load_weights(trunk, weights)
    size = int(config.get("image_size", DEFAULT_IMAGE_SIZE))
    mean = config.get("mean", IMAGENET_MEAN)
    std = config.get("std", IMAGENET_STD)
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise InvalidArgument(f"{config_path}: mean and std need three values, std > 0")
    encoder = TorchvisionEncoder(trunk, size, options.device, mean, std)
    if config.get("trunk_layers") is None:  # a cut trunk's features are not the head's input
        encoder.head = _linear_head(state, encoder.dimension)
    return encoder


def _linear_head(
    state: dict[str, torch.Tensor], width: int
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The checkpoint's linear classifier on features `width` wide, if it keeps one."""
    for name in HEAD_KEYS:
        weight, bias = state.get(f"{name}.weight"), state.get(f"{name}.bias")
        if weight is None or bias is None or weight.ndim != 2:
            continue
        if weight.shape[1] == width and bias.shape == weight.shape[:1]:
            return weight.float(), bias.float()
    return None


def _load_weights(trunk: torch.nn.Module, weights: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    try:
        state = load_file(str(weights))
    except (OSError, RuntimeError, ValueError) as error:
        raise FailedPrecondition(f"cannot read {weights}: {error}") from error
    wanted = trunk.state_dict()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise FailedPrecondition(
            f"{weights} lacks {len(missing)} of the trunk's {len(wanted)} tensors"
            f" (first: {missing[0]})"
        )
    for key, tensor in wanted.items():
        if state[key].shape != tensor.shape:
            raise FailedPrecondition(
                f"{weights}: {key} has shape {tuple(state[key].shape)}, expected"
                f" {tuple(tensor.shape)}"
            )
    trunk.load_state_dict({k: state[k] for k in wanted})
    return state


def _column(values: Sequence[float]) -> torch.Tensor:
    return torch.tensor([float(v) for v in values]).view(1, 3, 1, 1)


def _output_channels(trunk: torch.nn.Module, image_size: int) -> int:
    with torch.no_grad():
        probe = torch.zeros(1, 3, image_size, image_size, device=next(trunk.parameters()).device)
        return int(trunk(probe).shape[1])
