"""The model pools benchmarks search: the packaged pretrained models, plus the zoo that
`python -m bench.zoo` builds (read from its zoo.yaml) when it exists."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from shift_search.cache.records import ModelRecord
from shift_search.cli.demo import MODELS as DEMO_MODELS
from shift_search.runtime.settings import shift_home

PACKAGED_TEXT = tuple(m for m in DEMO_MODELS if m.modality == "text")
"""The packaged pretrained text models (the ones `shift demo` registers)."""


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
