"""Binding names in a query against a catalog snapshot and the session: tables, columns,
datasets, variables, proxies. Unknown names fail with NotFound and the closest known names.

Binding reads and writes nothing: datasets were described when they were registered, and one
that was not (written to the cache directly) is a FailedPrecondition that says how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any, assert_never

from shift_search.cache.dataset_versions import (
    Replacement,
    changed_segment_fingerprint,
    segment_of,
    version_fingerprint,
)
from shift_search.cache.records import ChangeRecord, DatasetRecord, ModelRecord, SegmentRecord
from shift_search.parser import ast
from shift_search.planner import predicates
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.session import Session
from shift_search.planner.tables import (
    DATASET_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TABLES,
    dataset_row,
    known_columns,
    model_row,
)
from shift_search.runtime.errors import FailedPrecondition, NotFound
from shift_search.runtime.proxy_names import PROXY_NAMES


@dataclass(frozen=True)
class BoundTable:
    """A table's rows and what they are."""

    kind: str  # "models" | "datasets"
    rows: list[dict[str, Any]]
    schema: tuple[str, ...]
    models: dict[str, ModelRecord]


@dataclass(frozen=True)
class BoundDataset:
    """Data a query trains or tests on, as one dataset version made of segments."""

    label: str
    record: DatasetRecord

    @property
    def size(self) -> int:
        return self.record.size or 0

    @property
    def segment_sizes(self) -> list[int]:
        return [s.size for s in self.record.segments]


class Binder:
    def __init__(self, catalog: CatalogSnapshot, session: Session) -> None:
        self.catalog = catalog
        self.session = session

    # --- tables -------------------------------------------------------------------------------

    def table(self, table: ast.Table) -> BoundTable:
        if self.session.has(table.name):
            var = self.session.get(table.name)
            if var.kind == "datasets":
                records = [self.catalog.dataset(n) for n in var.members]
                return BoundTable(
                    "datasets", [dataset_row(r) for r in records], DATASET_COLUMNS, {}
                )
            models = [self.catalog.model(n) for n in var.members]
            return self._models(models)
        name = table.name.lower()
        if name in MODEL_TABLES:
            modality = MODEL_TABLES[name]
            return self._models(self.catalog.models_of(modality))
        if name in ("datasets", "readers"):
            records = list(self.catalog.datasets)
            return BoundTable("datasets", [dataset_row(r) for r in records], DATASET_COLUMNS, {})
        if name == "benchmark_results":
            raise FailedPrecondition(
                "table benchmark_results holds no stored fine-tune results yet"
            )
        known = [*MODEL_TABLES, "datasets", "readers", "benchmark_results", *self.session.variables]
        raise NotFound(f"unknown table or variable {table.name!r}", _closest(table.name, known))

    def _models(self, records: Sequence[ModelRecord]) -> BoundTable:
        return BoundTable(
            "models",
            [model_row(r) for r in records],
            MODEL_COLUMNS,
            {r.name: r for r in records},
        )

    def check_columns(self, names: Sequence[str], table: BoundTable) -> None:
        """NotFound for a column no row of the table has."""
        known = known_columns(table.schema, table.rows)
        for name in names:
            if name not in known:
                raise NotFound(f"unknown column {name!r}", _closest(name, known))

    def members(self, variable: str) -> frozenset[str]:
        return frozenset(self.session.get(variable).members)

    def filter(self, select: ast.Select, table: BoundTable) -> list[dict[str, Any]]:
        """Rows passing WHERE and OTHER THAN."""
        rows = table.rows
        if select.where is not None:
            self.check_columns([c.name for c in predicates.columns_of(select.where)], table)
            for var in predicates.variables_of(select.where):
                self.session.get(var)
            rows = [r for r in rows if predicates.matches(select.where, r, self.members)]
        if select.other_than:
            excluded = self.members(select.other_than)
            rows = [r for r in rows if r["name"] not in excluded]
        return rows

    # --- datasets -----------------------------------------------------------------------------

    def dataset(self, expr: ast.DatasetExpr) -> BoundDataset:
        """A dataset expression as one version: names, lists (segments), variables."""
        match expr:
            case ast.DatasetName(name=name):
                records = self._named(name)
                if len(records) == 1:
                    return BoundDataset(name, records[0])
                return BoundDataset(name, _concatenate(name, records))
            case ast.DatasetList(items=items):
                parts = [self.dataset(item).record for item in items]
                if any(p.changes for p in parts):
                    raise FailedPrecondition(
                        "CHANGE inside a dataset list is not supported; change the whole list"
                    )
                label = "[" + ", ".join(p.name for p in parts) + "]"
                return BoundDataset(label, _concatenate(label, parts))
            case ast.Mutation(base=base, changes=changes):
                bound = self.dataset(base)
                return BoundDataset(_mutation_label(expr), _mutated(bound.record, changes, self))
            case _:
                assert_never(expr)

    def _named(self, name: str) -> list[DatasetRecord]:
        if self.session.has(name):
            var = self.session.get(name)
            if var.kind != "datasets":
                raise FailedPrecondition(f"variable {name!r} holds models, not datasets")
            return [described(self.catalog.dataset(n)) for n in var.members]
        return [described(self.catalog.dataset(name))]


def is_described(record: DatasetRecord) -> bool:
    """Whether a dataset's content was read: sizes and fingerprints are known."""
    return bool(record.segments and record.fingerprint and record.size is not None)


def described(record: DatasetRecord) -> DatasetRecord:
    """The record, or FailedPrecondition for one whose content was never read."""
    if is_described(record):
        return record
    raise FailedPrecondition(
        f'dataset "{record.name}" is not described (its size and fingerprint are unknown): it was '
        "written to the catalog without being read. Register it through the SHiFT server, which "
        "reads it once: REGISTER DATASET in a query, or `shift register` with --server"
    )


def bind_proxy(name: str, spelling: str) -> None:
    """NotFound for a proxy SHiFT does not compute (`name` canonical, `spelling` as written),
    with the closest known spellings."""
    if name in PROXY_NAMES:
        return
    known = ", ".join(PROXY_NAMES.values())
    raise NotFound(f"unknown proxy {spelling!r} (known: {known})", closest_proxies(spelling))


def closest_proxies(spelling: str) -> tuple[str, ...]:
    """The known proxy spellings closest to `spelling` (case, spaces, `_` and `-` ignored)."""

    def squash(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    by_squashed = {squash(k): k for k in PROXY_NAMES.values()}
    closest = difflib.get_close_matches(squash(spelling), list(by_squashed), n=3, cutoff=0.6)
    return tuple(by_squashed[c] for c in closest)


def _mutated(base: DatasetRecord, changes: Sequence[ast.Change], binder: Binder) -> DatasetRecord:
    """The base with CHANGE mutations attached; every segment they replace rows of gets the
    fingerprint the executor gives it (`dataset_versions`), so its stored work is found."""
    records = base.changes + tuple(
        ChangeRecord(change.indices, binder.dataset(change.source).record, change.source_indices)
        for change in changes
    )
    segments = changed_segments(base.segments, records)
    fingerprint = version_fingerprint([s.fingerprint for s in segments])
    return replace(base, changes=records, segments=segments, fingerprint=fingerprint)


def changed_segments(
    segments: Sequence[SegmentRecord], changes: Sequence[ChangeRecord]
) -> tuple[SegmentRecord, ...]:
    """The segments after `changes`, with the fingerprints of the ones rows were replaced in
    (indices out of range are left to the executor, which refuses them when it reads the data)."""
    offsets = [0, *accumulate(s.size for s in segments)]
    replaced: list[list[Replacement]] = [[] for _ in segments]
    for change in changes:
        source = change.source.segments[0].fingerprint if change.source.segments else ""
        picks = change.source_indices or change.indices
        for target, pick in zip(change.indices, picks, strict=False):
            if 0 <= target < offsets[-1]:
                which, row = segment_of(offsets, target)
                replaced[which].append((row, source or change.source.fingerprint, pick))
    return tuple(
        replace(seg, fingerprint=changed_segment_fingerprint(seg.fingerprint, rows))
        if rows
        else seg
        for seg, rows in zip(segments, replaced, strict=True)
    )


def _mutation_label(expr: ast.Mutation) -> str:
    changes = ", ".join(f"CHANGE {list(c.indices)} TO {c.source.name}" for c in expr.changes)
    return f"({expr.base.name} {changes})"


def _concatenate(label: str, parts: Sequence[DatasetRecord]) -> DatasetRecord:
    """Datasets concatenated as the segments of one version (columns travel per segment)."""
    segments = tuple(
        replace(
            seg,
            input_column=seg.input_column or part.input_column,
            label_column=seg.label_column or part.label_column,
        )
        for part in parts
        for seg in part.segments
    )
    fingerprint = version_fingerprint([s.fingerprint for s in segments])
    first = parts[0]
    return replace(
        first,
        name=label,
        segments=segments,
        size=sum(s.size for s in segments),
        fingerprint=fingerprint,
        tags={},
    )


def _closest(name: str, known: Sequence[str]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, list(known), n=3, cutoff=0.5))
