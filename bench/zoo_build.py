"""Building a pool from specs: reuse what the manifest says is intact, build the rest in order,
measure each new model once, and return catalog records."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.zoo_manifest import (
    Spec,
    cached_entry,
    hash_files,
    load_manifest,
    recipe_hash,
    save_manifest,
)
from services.cache.records import ModelRecord

PACKAGED = "pypi:"


@dataclass(frozen=True)
class Built:
    """What a recipe produced: where it is, its files, and what the catalog should know."""

    uri: str
    source: str
    files: list[Path]
    fields: dict[str, Any] = field(default_factory=dict)  # extra ModelRecord fields
    tags: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)  # data, hyper-parameters, results


@dataclass(frozen=True)
class Measured:
    """Figures measured on this machine after building."""

    num_params: int
    dimension: int
    inference_cost: float  # seconds per 1k samples
    load_cost: float  # seconds


@dataclass
class BuildContext:
    """What a recipe may use: the output folder, built parents, a progress printer."""

    root: Path
    records: dict[str, ModelRecord] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def parent_location(self, name: str) -> str:
        """A parent's loadable location: its folder or file (packaged models resolved)."""
        uri = self.records[name].uri
        if uri.startswith(PACKAGED):
            from services.executor.known_models import resolve_known_model

            return resolve_known_model(uri.removeprefix(PACKAGED)).uri
        return uri


Builder = Callable[[Spec, BuildContext], Built]
Measure = Callable[[ModelRecord], Measured]


@dataclass(frozen=True)
class Outcome:
    """One model of the pool and how it came about in this run."""

    record: ModelRecord
    seconds: float  # build + measure seconds when it was built
    reused: bool


def build_pool(
    specs: Sequence[Spec],
    root: Path,
    builders: Mapping[str, Builder],
    measure: Measure,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Build (or reuse) every spec in order; parents must come before their children."""
    entries = load_manifest(root)
    context = BuildContext(root, log=log)
    hashes: dict[str, str] = {}
    outcomes = []
    for spec in specs:
        recipe = spec.recipe(hashes[spec.parent] if spec.parent else None)
        hashes[spec.name] = recipe_hash(recipe)
        entry = cached_entry(entries, spec.name, hashes[spec.name], root)
        if entry is not None:
            record = ModelRecord.from_dict(entry["record"])
            outcomes.append(Outcome(record, float(entry["build_seconds"]), reused=True))
            log(f"[zoo] {spec.name}: reused ({entry['record']['num_params']:,} params)")
        else:
            entry, outcome = _build_one(spec, recipe, hashes[spec.name], context, builders, measure)
            entries[spec.name] = entry
            save_manifest(root, entries)
            outcomes.append(outcome)
        context.records[spec.name] = outcomes[-1].record
    return outcomes


def _build_one(
    spec: Spec,
    recipe: dict[str, Any],
    digest: str,
    context: BuildContext,
    builders: Mapping[str, Builder],
    measure: Measure,
) -> tuple[dict[str, Any], Outcome]:
    context.log(f"[zoo] {spec.name}: building ({spec.kind})")
    started = time.perf_counter()
    built = builders[spec.kind](spec, context)
    files = hash_files(built.files, context.root)
    draft = _record(spec, built, digest, files, None)
    measured = measure(draft)
    record = _record(spec, built, digest, files, measured)
    seconds = round(time.perf_counter() - started, 2)
    context.log(
        f"[zoo] {spec.name}: built in {seconds:.1f}s, {measured.num_params:,} params, "
        f"dim {measured.dimension}, {measured.inference_cost:.2f} s/1k samples"
    )
    entry = {
        "recipe": recipe,
        "recipe_hash": digest,
        "files": files,
        "record": record.to_dict(),
        "provenance": built.provenance,
        "build_seconds": seconds,
    }
    return entry, Outcome(record, seconds, reused=False)


def _record(
    spec: Spec, built: Built, digest: str, files: Mapping[str, str], measured: Measured | None
) -> ModelRecord:
    """The catalog record; its revision is the first weights file's content hash."""
    revision = next(iter(files.values()), digest)[:12]
    figures: dict[str, Any] = {}
    if measured is not None:
        figures = {
            "num_params": measured.num_params,
            "dimension": measured.dimension,
            "inference_cost": round(measured.inference_cost, 4),
            "load_cost": round(measured.load_cost, 4),
        }
    tags = {"zoo_recipe": spec.kind, "zoo_recipe_hash": digest[:16], **built.tags}
    if spec.parent:
        tags["derived_from"] = spec.parent
    return ModelRecord(
        name=spec.name,
        source=built.source,
        uri=built.uri,
        modality=spec.modality,
        revision=revision,
        tags=tags,
        **built.fields,
        **figures,
    )
