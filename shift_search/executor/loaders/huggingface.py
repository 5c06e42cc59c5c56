"""Hugging Face models (local folder or cached hub id): text and image encoders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, assert_never

import numpy as np
import torch
from transformers import AutoImageProcessor, AutoModel, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as transformers_logging

from shift_search.executor.encoders.images import to_pil_rgb
from shift_search.executor.encoders.pooling import Pooling, pool
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.locations import model_location, names_local_path
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.tokenizers import apply_sequence_limit, token_counts
from shift_search.runtime.errors import FailedPrecondition, NotFound

_FALLBACK_MAX_LENGTH = 512

transformers_logging.disable_progress_bar()  # a server's log is no place for progress bars


class HuggingFaceTextEncoder:
    """A transformer over tokenised text, pooled to one vector per text."""

    modality = "text"

    def __init__(
        self, model: PreTrainedModel, tokenizer: Any, pooling: Pooling, device: torch.device
    ) -> None:
        _move_to(model, device)
        self.model = model
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.device = device
        self.dimension = int(model.config.hidden_size)
        self.max_length = _max_length(model, tokenizer)

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(
            [str(text) for text in inputs],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return dict(encoded)

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        return token_counts(self.tokenizer, texts, self.max_length)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        on_device = {k: t.to(self.device, non_blocking=True) for k, t in batch.items()}
        out = self.model(**on_device)
        mask = on_device.get("attention_mask")
        return pool(self.pooling, out.last_hidden_state, mask, getattr(out, "pooler_output", None))

    def trainable(self) -> torch.nn.Module:
        return self.model

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


class HuggingFaceImageEncoder:
    """A vision model over preprocessed images, pooled to one vector per image."""

    modality = "image"

    def __init__(
        self, model: PreTrainedModel, processor: Any, pooling: Pooling, device: torch.device
    ) -> None:
        _move_to(model, device)
        self.model = model
        self.processor = processor
        self.pooling = pooling
        self.device = device
        self.dimension = _image_feature_width(model)

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        images = [to_pil_rgb(item) for item in inputs]
        return {"pixel_values": self.processor(images=images, return_tensors="pt")["pixel_values"]}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        out = self.model(pixel_values=batch["pixel_values"].to(self.device, non_blocking=True))
        return pool(self.pooling, out.last_hidden_state, None, getattr(out, "pooler_output", None))

    def trainable(self) -> torch.nn.Module:
        return self.model

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def load_huggingface(
    uri: str, options: LoadOptions
) -> HuggingFaceTextEncoder | HuggingFaceImageEncoder:
    """Load from a local folder, or a hub id already in the local cache (never the network)."""
    location, local_only = _locate(uri)
    model = _load_model(location, local_only)
    match options.modality:
        case "text":
            tokenizer_location, tokenizer_local_only = _locate(options.tokenizer or uri)
            tokenizer = _offline(
                lambda: AutoTokenizer.from_pretrained(
                    tokenizer_location, local_files_only=tokenizer_local_only
                ),
                tokenizer_location,
            )
            apply_sequence_limit(tokenizer, tokenizer_location)
            return HuggingFaceTextEncoder(model, tokenizer, options.pooling, options.device)
        case "image":
            processor = _offline(
                lambda: AutoImageProcessor.from_pretrained(location, local_files_only=local_only),
                location,
            )
            return HuggingFaceImageEncoder(model, processor, options.pooling, options.device)
        case _:
            assert_never(options.modality)


def _locate(uri: str) -> tuple[str, bool]:
    """(where to load from, whether it is a hub id that must come from the local cache)."""
    if not names_local_path(uri):
        return uri, True
    path = model_location(uri)
    if path.is_dir():
        return str(path), False
    raise NotFound(f"model folder {uri} does not exist")


def _load_model(location: str, local_only: bool) -> PreTrainedModel:
    model = _offline(
        lambda: AutoModel.from_pretrained(
            location,
            use_safetensors=True,
            trust_remote_code=False,
            local_files_only=local_only,
        ),
        location,
    )
    return model


def _offline(load: Any, location: str) -> Any:
    """Call `load`, turning "not on this machine" failures into one clear NotFound."""
    try:
        return load()
    except OSError as error:
        raise NotFound(
            f"model {location!r} is not available offline: no local folder of that name and no "
            f"cached copy with safetensors weights ({_first_line(error)})"
        ) from error
    except ValueError as error:
        raise FailedPrecondition(f"cannot load model {location!r}: {_first_line(error)}") from error


def _move_to(model: torch.nn.Module, device: torch.device) -> None:
    """Move a model to `device` in place and put it in eval mode."""
    model.to(device).eval()


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _max_length(model: PreTrainedModel, tokenizer: Any) -> int:
    limits = [_FALLBACK_MAX_LENGTH]
    tokenizer_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tokenizer_limit, int) and tokenizer_limit < 1_000_000:
        limits.append(tokenizer_limit)
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int):
        limits.append(positions)
    return min(limits)


def _image_feature_width(model: PreTrainedModel) -> int:
    config = model.config
    sizes = getattr(config, "hidden_sizes", None)
    if sizes:
        return int(sizes[-1])
    return int(config.hidden_size)
