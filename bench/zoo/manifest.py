"""The zoo's build cache: recipes, their content hashes, and a manifest of what was built.

A model is rebuilt only when its recipe (or a parent's) changed or one of its files no longer
matches the sha256 the manifest recorded for it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
ZOO_VERSION = 1  # bump to rebuild every model after a change in how recipes are carried out


@dataclass(frozen=True)
class Spec:
    """How to make one model of the pool: a recipe `kind`, its parameters, its parent."""

    name: str
    modality: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None

    def recipe(self, parent_hash: str | None) -> dict[str, Any]:
        """Everything that decides the model's content, as plain JSON data."""
        return {
            "zoo_version": ZOO_VERSION,
            "name": self.name,
            "modality": self.modality,
            "kind": self.kind,
            "params": dict(self.params),
            "parent": self.parent,
            "parent_recipe": parent_hash,
        }


def recipe_hash(recipe: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a recipe."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def hash_files(paths: list[Path], root: Path) -> dict[str, str]:
    """{path (relative to `root` when inside it): sha256}."""
    return {_relative(p, root): file_sha256(p) for p in sorted(paths)}


def files_intact(files: Mapping[str, str], root: Path) -> bool:
    """Whether every recorded file exists with the recorded content."""
    for name, digest in files.items():
        path = _absolute(name, root)
        if not path.is_file() or file_sha256(path) != digest:
            return False
    return bool(files)


def load_manifest(root: Path) -> dict[str, dict[str, Any]]:
    """{model name: entry} from `root/manifest.json` (empty when absent or unreadable)."""
    path = root / MANIFEST_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    return dict(models) if isinstance(models, dict) else {}


def save_manifest(root: Path, entries: Mapping[str, Mapping[str, Any]]) -> Path:
    """Write the manifest atomically (a temporary file, then os.replace)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / MANIFEST_FILE
    partial = root / f".{MANIFEST_FILE}.partial"
    body = {"zoo_version": ZOO_VERSION, "models": dict(entries)}
    partial.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)
    return path


def cached_entry(
    entries: Mapping[str, Mapping[str, Any]], name: str, wanted: str, root: Path
) -> Mapping[str, Any] | None:
    """The manifest entry of `name` if it was built from recipe hash `wanted` and is intact."""
    entry = entries.get(name)
    if entry is None or entry.get("recipe_hash") != wanted:
        return None
    return entry if files_intact(entry.get("files") or {}, root) else None


def _relative(path: Path, root: Path) -> str:
    path, root = path.resolve(), root.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _absolute(name: str, root: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else root / path
