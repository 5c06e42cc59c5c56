"""ONNX encoders run with onnxruntime; inference only. Text: token states masked-mean pooled, or
a graph that takes the strings themselves (its tokenizer inside, onnxruntime-extensions ops) and
returns one vector per text. Images: see `onnx_image`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer

from shift_search.executor.encoders.pooling import masked_mean
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.known_models import minilm_tokenizer_dir
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.onnx_image import OnnxImageEncoder, load_onnx_image
from shift_search.executor.loaders.onnx_session import onnx_session
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.tokenizers import apply_sequence_limit, token_counts
from shift_search.runtime.errors import FailedPrecondition, NotFound

_MAX_LENGTH = 512


class OnnxTextEncoder:
    """An onnxruntime session over tokenised text; the first rank-3 float output is pooled."""

    modality = "text"

    def __init__(self, session: Any, tokenizer: Any, device: torch.device) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.device = device
        self.input_names = {node.name for node in session.get_inputs()}
        self.output_index, self.dimension = _token_state_output(session)
        limit = getattr(tokenizer, "model_max_length", _MAX_LENGTH)
        self.max_length = min(limit, _MAX_LENGTH) if isinstance(limit, int) else _MAX_LENGTH

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(
            [str(text) for text in inputs],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {name: tensor for name, tensor in encoded.items() if name in self.input_names}

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        return token_counts(self.tokenizer, texts, self.max_length)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        feeds = {name: tensor.cpu().numpy().astype(np.int64) for name, tensor in batch.items()}
        outputs = self.session.run(None, feeds)
        states = torch.from_numpy(np.asarray(outputs[self.output_index], dtype=np.float32))
        mask = batch.get("attention_mask")
        return masked_mean(states, mask) if mask is not None else states.mean(dim=1)

    def trainable(self) -> torch.nn.Module:
        raise FailedPrecondition("ONNX models are inference-only and cannot be fine-tuned")

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


class OnnxStringEncoder:
    """An onnxruntime session whose input is the texts themselves (a string tensor) and whose
    first float output is one vector per text, e.g. a Universal Sentence Encoder export."""

    modality = "text"

    def __init__(self, session: Any, device: torch.device) -> None:
        self.session = session
        self.device = device
        self.input_name = session.get_inputs()[0].name
        self.output_index, self.dimension = _vector_output(session)

    def prepare(self, inputs: Sequence[Any]) -> dict[str, Any]:
        return {"texts": np.asarray([str(text) for text in inputs], dtype=object)}

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        outputs = self.session.run(None, {self.input_name: batch["texts"]})
        return torch.from_numpy(np.asarray(outputs[self.output_index], dtype=np.float32))

    def trainable(self) -> torch.nn.Module:
        raise FailedPrecondition("ONNX models are inference-only and cannot be fine-tuned")

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def load_onnx(
    uri: str, options: LoadOptions
) -> OnnxTextEncoder | OnnxStringEncoder | OnnxImageEncoder:
    """Load a .onnx file (or a folder holding model.onnx): a text model with the tokenizer named
    in options (none for graphs that take strings), or an image model (`onnx_image`)."""
    if options.modality == "image":
        return load_onnx_image(uri, options)
    path = _model_file(model_location(uri))
    session, device = onnx_session(path, options.device)
    if _takes_strings(session):
        return OnnxStringEncoder(session, device)
    tokenizer = _load_tokenizer(options.tokenizer, path.parent)
    return OnnxTextEncoder(session, tokenizer, device)


def _takes_strings(session: Any) -> bool:
    inputs = session.get_inputs()
    return len(inputs) == 1 and inputs[0].type == "tensor(string)"


def _model_file(path: Path) -> Path:
    if path.is_dir():
        path = path / "model.onnx"
    if not path.is_file():
        raise NotFound(f"ONNX model file {path} does not exist")
    return path


def _load_tokenizer(name: str | None, model_folder: Path) -> Any:
    """`minilm`: the all-MiniLM-L6-v2 tokenizer; else a folder (default: the model's folder)."""
    if name == "minilm":
        folder = minilm_tokenizer_dir()
    else:
        folder = model_location(name) if name else model_folder
    if not (folder / "tokenizer_config.json").is_file() and not (folder / "vocab.txt").is_file():
        raise NotFound(f"no tokenizer in {folder}; pass tokenizer='minilm' or a tokenizer folder")
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return apply_sequence_limit(tokenizer, folder)


def _token_state_output(session: Any) -> tuple[int, int]:
    """(index, width) of the first float output shaped [batch, tokens, width]."""
    for index, node in enumerate(session.get_outputs()):
        shape = node.shape
        if "float" in node.type and len(shape) == 3 and isinstance(shape[-1], int):
            return index, shape[-1]
    raise FailedPrecondition("the ONNX model has no [batch, tokens, width] float output to pool")


def _vector_output(session: Any) -> tuple[int, int]:
    """(index, width) of the first float output shaped [batch, width]."""
    for index, node in enumerate(session.get_outputs()):
        shape = node.shape
        if "float" in node.type and len(shape) == 2 and isinstance(shape[-1], int):
            return index, shape[-1]
    raise FailedPrecondition("the ONNX model has no [batch, width] float output")
