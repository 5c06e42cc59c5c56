"""Building a pool from specs: reuse what the manifest says is intact, build the rest in order,
measure each new model once, and return catalog records."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.zoo.manifest import (
    Spec,
    cached_entry,
    hash_files,
    load_manifest,
    recipe_hash,
    save_manifest,
)
from shift_search.cache.records import ModelRecord

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
            from shift_search.executor.loaders.known_models import resolve_known_model

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


@dataclass(frozen=True)
class Measurement:
    """How figures are taken: the function, its version, and whether to retake them anyway."""

    measure: Measure
    version: int = 0  # entries measured under another version are measured again
    always: bool = False  # re-measure reused models too (e.g. on another machine)


def build_pool(
    specs: Sequence[Spec],
    root: Path,
    builders: Mapping[str, Builder],
    measurement: Measurement,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Build (or reuse) every spec in order; parents must come before their children."""
    entries = load_manifest(root)
    context = BuildContext(root, log=log)
    hashes: dict[str, str] = {}
    outcomes = []
    for spec in specs:
        recipe = spec.recipe(hashes[spec.parent] if spec.parent else None)
        hashes[spec.name] = digest = recipe_hash(recipe)
        cached = cached_entry(entries, spec.name, digest, root)
        if cached is None:
            entry = _build_one(spec, recipe, digest, context, builders, measurement)
        elif measurement.always or cached.get("measure_version") != measurement.version:
            entry = _remeasured(cached, measurement, log)
        else:
            entry = dict(cached)
            log(f"[zoo] {spec.name}: reused ({entry['record']['num_params']:,} params)")
        if entries.get(spec.name) != entry:
            entries[spec.name] = entry
            save_manifest(root, entries)
        record = ModelRecord.from_dict(entry["record"])
        outcomes.append(Outcome(record, float(entry["build_seconds"]), cached is not None))
        context.records[spec.name] = record
    return outcomes


def _build_one(
    spec: Spec,
    recipe: dict[str, Any],
    digest: str,
    context: BuildContext,
    builders: Mapping[str, Builder],
    measurement: Measurement,
) -> dict[str, Any]:
    context.log(f"[zoo] {spec.name}: building ({spec.kind})")
    started = time.perf_counter()
    built = builders[spec.kind](spec, context)
    files = hash_files(built.files, context.root)
    record = _measured(_record(spec, built, digest, files), measurement.measure, context.log)
    return {
        "recipe": recipe,
        "recipe_hash": digest,
        "files": files,
        "record": record.to_dict(),
        "provenance": built.provenance,
        "build_seconds": round(time.perf_counter() - started, 2),
        "measure_version": measurement.version,
    }


def _remeasured(
    entry: Mapping[str, Any], measurement: Measurement, log: Callable[[str], None]
) -> dict[str, Any]:
    """The entry with its figures taken again (its files are unchanged)."""
    record = _measured(ModelRecord.from_dict(entry["record"]), measurement.measure, log)
    return {**entry, "record": record.to_dict(), "measure_version": measurement.version}


def _measured(draft: ModelRecord, measure: Measure, log: Callable[[str], None]) -> ModelRecord:
    figures = measure(draft)
    log(
        f"[zoo] {draft.name}: {figures.num_params:,} params, dim {figures.dimension}, "
        f"{figures.inference_cost:.2f} s/1k samples, loads in {figures.load_cost:.2f}s"
    )
    return dataclasses.replace(
        draft,
        num_params=figures.num_params,
        dimension=figures.dimension,
        inference_cost=round(figures.inference_cost, 4),
        load_cost=round(figures.load_cost, 4),
    )


def _record(spec: Spec, built: Built, digest: str, files: Mapping[str, str]) -> ModelRecord:
    """The catalog record before measuring; its revision is the weights file's content hash."""
    revision = next(iter(files.values()), digest)[:12]
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
    )
