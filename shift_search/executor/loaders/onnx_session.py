"""Opening an onnxruntime session the same way for every ONNX family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime as ort
import torch

from shift_search.runtime.errors import FailedPrecondition


def onnx_session(path: Path, wanted: torch.device) -> tuple[Any, torch.device]:
    """An onnxruntime session on CUDA when asked and available, else CPU, with the
    onnxruntime-extensions custom operators registered when that package is installed."""
    providers = ["CPUExecutionProvider"]
    if wanted.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    session_options = ort.SessionOptions()
    extensions = _extensions_library()
    if extensions is not None:
        session_options.register_custom_ops_library(extensions)
    try:
        session = ort.InferenceSession(str(path), session_options, providers=providers)
    except Exception as error:  # onnxruntime raises its own exception types
        raise FailedPrecondition(f"onnxruntime cannot load {path}: {_first_line(error)}") from error
    device = wanted if providers[0] == "CUDAExecutionProvider" else torch.device("cpu")
    return session, device


def _extensions_library() -> str | None:
    try:
        from onnxruntime_extensions import get_library_path
    except ImportError:
        return None
    return str(get_library_path())


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
