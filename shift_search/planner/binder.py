"""Binding names in a query against the catalog and the session: tables, columns, datasets,
variables, proxies. Unknown names fail with NotFound and the closest known names."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, assert_never

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ChangeRecord, DatasetRecord, ModelRecord
from shift_search.parser import ast
from shift_search.planner import predicates
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

Describe = Callable[[DatasetRecord], DatasetRecord]


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
    def __init__(self, cache: CacheClient, session: Session, describe: Describe) -> None:
        self.cache = cache
        self.session = session
        self._describe = describe

    # --- tables -------------------------------------------------------------------------------

    def table(self, table: ast.Table) -> BoundTable:
        if self.session.has(table.name):
            var = self.session.get(table.name)
            if var.kind == "datasets":
                records = [self.cache.get_dataset(n) for n in var.members]
                return BoundTable(
                    "datasets", [dataset_row(r) for r in records], DATASET_COLUMNS, {}
                )
            models = [self.cache.get_model(n) for n in var.members]
            return self._models(models)
        name = table.name.lower()
        if name in MODEL_TABLES:
            modality = MODEL_TABLES[name]
            return self._models(self.cache.list_models(modality=modality))
        if name in ("datasets", "readers"):
            records = self.cache.list_datasets()
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
            return [self.described(self.cache.get_dataset(n)) for n in var.members]
        return [self.described(self.cache.get_dataset(name))]

    def described(self, record: DatasetRecord) -> DatasetRecord:
        """The record with sizes and fingerprints from its content (read once, then stored)."""
        if record.segments and record.fingerprint and record.size is not None:
            return record
        filled = self._describe(record)
        return self.cache.register_dataset(filled)


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
    """The base with CHANGE mutations attached; its fingerprint names base and changes."""
    records = tuple(
        ChangeRecord(change.indices, binder.dataset(change.source).record, change.source_indices)
        for change in changes
    )
    spec = [base.fingerprint] + [
        f"{c.indices}>{c.source.fingerprint}{c.source_indices}" for c in records
    ]
    fingerprint = hashlib.sha256("|".join(spec).encode()).hexdigest()
    return replace(base, changes=base.changes + records, fingerprint=fingerprint)


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
    fingerprint = hashlib.sha256("+".join(s.fingerprint for s in segments).encode()).hexdigest()
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
