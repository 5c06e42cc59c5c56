"""`load_encoder`: one entry point for every model family, picked by `source` from a registry."""

from __future__ import annotations

import difflib
from collections.abc import Callable

import torch

from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.encoders.pooling import parse_modality, parse_pooling
from shift_search.executor.loaders.options import LoadOptions
from shift_search.executor.proxies.device import resolve_device
from shift_search.runtime.errors import NotFound

Loader = Callable[[str, LoadOptions], Encoder]

_LOADERS: dict[str, Loader] = {}


def register_loader(source: str, loader: Loader) -> None:
    """Make `load_encoder(source, ...)` use `loader` (replacing any earlier registration)."""
    _LOADERS[source] = loader


def pick_device(device: str | None = None) -> torch.device:
    """The requested device, else CUDA when present, else CPU (one rule for the executor)."""
    return resolve_device(device or None)


def load_encoder(
    source: str,
    uri: str,
    *,
    modality: str = "text",
    pooling: str = "mean",
    tokenizer: str | None = None,
    device: str | None = None,
) -> Encoder:
    """Load the model at `uri` with the loader registered for `source`."""
    _register_builtin_loaders()
    loader = _LOADERS.get(source)
    if loader is None:
        close = tuple(difflib.get_close_matches(source, list(_LOADERS), n=3))
        raise NotFound(f"unknown model source {source!r}", suggestions=close)
    options = LoadOptions(
        modality=parse_modality(modality),
        pooling=parse_pooling(pooling),
        tokenizer=tokenizer,
        device=pick_device(device),
    )
    return loader(uri, options)


def _register_builtin_loaders() -> None:
    """Register the families shipped with SHiFT (imported lazily: they pull in heavy libraries)."""
    if {"huggingface", "onnx", "efficientnet", "torchvision"} <= _LOADERS.keys():
        return
    from shift_search.executor.loaders.efficientnet import load_efficientnet
    from shift_search.executor.loaders.huggingface import load_huggingface
    from shift_search.executor.loaders.onnx import load_onnx
    from shift_search.executor.loaders.torchvision_cnn import load_torchvision

    _LOADERS.setdefault("huggingface", load_huggingface)
    _LOADERS.setdefault("onnx", load_onnx)
    _LOADERS.setdefault("efficientnet", load_efficientnet)
    _LOADERS.setdefault("torchvision", load_torchvision)
