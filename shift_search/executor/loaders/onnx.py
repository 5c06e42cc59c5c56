"""ONNX text encoders run with onnxruntime: token states masked-mean pooled; inference only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import torch
from transformers import AutoTokenizer

from shift_search.executor.encoders.pooling import masked_mean
from shift_search.executor.features.extract import extract_features
from shift_search.executor.loaders.known_models import minilm_tokenizer_dir
from shift_search.executor.loaders.locations import model_location
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.loaders.tokenizers import apply_sequence_limit
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

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


def load_onnx(uri: str, options: LoadOptions) -> OnnxTextEncoder:
    """Load a .onnx file (or a folder holding model.onnx) with the tokenizer named in options."""
    if options.modality != "text":
        raise InvalidArgument("ONNX models are supported for text only")
    path = _model_file(model_location(uri))
    tokenizer = _load_tokenizer(options.tokenizer, path.parent)
    providers = ["CPUExecutionProvider"]
    if options.device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    session = ort.InferenceSession(str(path), providers=providers)
    device = options.device if providers[0] == "CUDAExecutionProvider" else torch.device("cpu")
    return OnnxTextEncoder(session, tokenizer, device)


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
