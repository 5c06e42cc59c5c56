"""ONNX image encoders: a folder with model.onnx and onnx_image.json, which names the output to
use as the embedding and how images are prepared:

    {"embedding_output": "flatten_1", "size": 224, "resize": 256, "layout": "NHWC" | "NCHW",
     "channels": "RGB" | "BGR", "scale": 1.0, "mean": [104, 117, 123], "std": [1, 1, 1]}

Pixels (0-255) are multiplied by `scale`, then `(x - mean) / std` per channel; `resize` (default
`size`) is the shorter side before a centre crop of `size`. A rank-4 embedding output is averaged
over space. Inference only."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from shift_search.executor.encoders.images import to_pil_rgb
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.onnx_session import onnx_session
from shift_search.executor.loaders.options import LoadOptions
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

CONFIG_FILE = "onnx_image.json"
MODEL_FILE = "model.onnx"


@dataclass(frozen=True)
class ImagePreprocessing:
    """How one image becomes the model's input tensor."""

    size: int
    resize: int
    layout: str
    channels: str
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @staticmethod
    def from_config(config: dict[str, Any]) -> ImagePreprocessing:
        size = int(config.get("size", 224))
        prep = ImagePreprocessing(
            size=size,
            resize=int(config.get("resize", size)),
            layout=str(config.get("layout", "NCHW")),
            channels=str(config.get("channels", "RGB")),
            scale=float(config.get("scale", 1.0 / 255.0)),
            mean=_triple(config.get("mean", (0.485, 0.456, 0.406)), "mean"),
            std=_triple(config.get("std", (0.229, 0.224, 0.225)), "std"),
        )
        if prep.layout not in ("NCHW", "NHWC") or prep.channels not in ("RGB", "BGR"):
            raise InvalidArgument(f"{CONFIG_FILE}: layout must be NCHW|NHWC, channels RGB|BGR")
        if prep.resize < size or size < 1 or min(prep.std) <= 0:
            raise InvalidArgument(f"{CONFIG_FILE}: need 1 <= size <= resize and std > 0")
        return prep

    def array(self, item: Any) -> np.ndarray:
        """One image as float32 HxWxC after resize, centre crop, channel order and scaling."""
        image = to_pil_rgb(item)
        width, height = image.size
        ratio = self.resize / min(width, height)
        image = image.resize(
            (max(self.size, round(width * ratio)), max(self.size, round(height * ratio))),
            Image.Resampling.BILINEAR,
        )
        left = (image.size[0] - self.size) // 2
        top = (image.size[1] - self.size) // 2
        image = image.crop((left, top, left + self.size, top + self.size))
        pixels = np.asarray(image, dtype=np.float32)
        if self.channels == "BGR":
            pixels = pixels[..., ::-1]
        mean, std = np.asarray(self.mean, np.float32), np.asarray(self.std, np.float32)
        return (pixels * self.scale - mean) / std

    def batch(self, items: Sequence[Any]) -> np.ndarray:
        stacked = np.stack([self.array(item) for item in items]).astype(np.float32)
        return np.ascontiguousarray(
            stacked.transpose(0, 3, 1, 2) if self.layout == "NCHW" else stacked
        )


def _triple(value: Any, what: str) -> tuple[float, float, float]:
    values = tuple(float(v) for v in value)
    if len(values) != 3:
        raise InvalidArgument(f"{CONFIG_FILE}: {what} needs three values")
    return values[0], values[1], values[2]


class OnnxImageEncoder:
    """An onnxruntime session over prepared images; one named output is the embedding."""

    modality = "image"

    def __init__(
        self, session: Any, output: str, prep: ImagePreprocessing, device: torch.device
    ) -> None:
        self.session = session
        self.prep = prep
        self.device = device
        self.input_name = session.get_inputs()[0].name
        names = [node.name for node in session.get_outputs()]
        if output not in names:
            raise FailedPrecondition(f"the ONNX model has no output {output!r} (has {names})")
        self.output = output
        self.dimension = int(self.forward(self.prepare([np.zeros((8, 8), np.uint8)])).shape[1])

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        return {"pixel_values": torch.from_numpy(self.prep.batch(inputs))}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        feeds = {self.input_name: batch["pixel_values"].cpu().numpy()}
        (out,) = self.session.run([self.output], feeds)
        values = torch.from_numpy(np.asarray(out, dtype=np.float32))
        if values.ndim == 4:  # a feature map: average over space in the model's layout
            values = values.mean(dim=(2, 3) if self.prep.layout == "NCHW" else (1, 2))
        return values.reshape(values.shape[0], -1)

    def trainable(self) -> torch.nn.Module:
        raise FailedPrecondition("ONNX models are inference-only and cannot be fine-tuned")

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def load_onnx_image(uri: str, options: LoadOptions) -> OnnxImageEncoder:
    """Load the folder at `uri` (see the module docstring)."""
    folder = model_location(uri)
    config_path = folder / CONFIG_FILE
    if not folder.is_dir() or not config_path.is_file() or not (folder / MODEL_FILE).is_file():
        raise NotFound(f"{uri} is not an ONNX image model folder ({MODEL_FILE} + {CONFIG_FILE})")
    config = json.loads(config_path.read_text())
    output = config.get("embedding_output")
    if not isinstance(output, str):
        raise InvalidArgument(f"{config_path} names no embedding_output")
    session, device = onnx_session(folder / MODEL_FILE, options.device)
    return OnnxImageEncoder(session, output, ImagePreprocessing.from_config(config), device)
