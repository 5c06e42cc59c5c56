"""Turning the image inputs SHiFT accepts into RGB PIL images and normalised tensors."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from shift_search.runtime.errors import InvalidArgument, NotFound

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_pil_rgb(item: Any) -> Image.Image:
    """An RGB image from a PIL image, an HxW / HxWxC array, a file path, or encoded bytes."""
    match item:
        case Image.Image():
            return item.convert("RGB")
        case np.ndarray():
            return _array_to_pil(item)
        case Path() | str():
            return _open_file(Path(item))
        case bytes() | bytearray():
            return Image.open(io.BytesIO(item)).convert("RGB")
        case Mapping() if item.get("bytes") is not None:
            return to_pil_rgb(bytes(item["bytes"]))
        case Mapping() if item.get("path") is not None:
            return to_pil_rgb(Path(item["path"]))
        case _:
            raise InvalidArgument(f"cannot read an image from a {type(item).__name__}")


def _open_file(path: Path) -> Image.Image:
    if not path.is_file():
        raise NotFound(f"image file {path} does not exist")
    with Image.open(path) as image:
        return image.convert("RGB")


def _array_to_pil(array: np.ndarray) -> Image.Image:
    """uint8 arrays as they are; float arrays in [0, 1] times 255, others scaled so max is 255."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidArgument(f"an image array must be HxW or HxWxC, got shape {array.shape}")
    if array.dtype != np.uint8:
        values = np.nan_to_num(array.astype(np.float64))
        top = float(values.max()) if values.size else 0.0
        scale = 255.0 if top <= 1.0 else 255.0 / top
        array = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    return Image.fromarray(array).convert("RGB")


def to_normalised_batch(items: Sequence[Any], size: int) -> torch.Tensor:
    """Float batch [B, 3, size, size]: resized (bicubic), scaled to [0, 1], ImageNet-normalised."""
    arrays = [
        np.asarray(to_pil_rgb(item).resize((size, size), Image.Resampling.BICUBIC))
        for item in items
    ]
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (batch - mean) / std
