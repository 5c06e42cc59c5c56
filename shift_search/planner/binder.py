"""Binding names in a query against a catalog snapshot and the session: tables, columns,
datasets, variables, proxies. Unknown names fail with NotFound and the closest known names.

Binding reads and writes nothing: datasets were described when they were registered, and one
that was not (written to the cache directly) is a FailedPrecondition that says how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
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
from shift_search.planner import predicates, strategies
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundDataset,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundQuery,
    BoundRanking,
    BoundSetOperation,
    BoundTable,
    BoundUnsupported,
    BoundVariable,
    Proxy,
    Scan,
    SearchSpec,
)
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.predicates import literal
from shift_search.planner.session import Session
from shift_search.planner.statements import sort_rows
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


class Binder:
    def __init__(self, catalog: CatalogSnapshot, session: Session) -> None:
        self.catalog = catalog
        self.session = session

    # --- statements ---------------------------------------------------------------------------

    def query(self, query: ast.Query) -> BoundQuery:
        """A query with every name resolved (errors in the order a reader meets the names)."""
        match query:
            case ast.Select() if is_task_aware(query):
                return self._task_aware(query)
            case ast.Select():
                table = self.table(query.table)
                rows = self.filter(query, table)
                check_metadata_columns(query, table, self)
                return BoundMetadata(query, Scan.of(query.table.name, table, rows))
            case ast.SetOperation(op=op, left=left, right=right):
                return BoundSetOperation(op, self.query(left), self.query(right))
            case ast.VariableRef(name=name):
                return BoundVariable(name, self.query(self.session.get(name).query))
            case ast.Rank() | ast.SelectVec():
                return BoundUnsupported(type(query).__name__.upper())
            case _:
                assert_never(query)

    def _task_aware(
        self, select: ast.Select
    ) -> BoundRanking | BoundBenchmark | BoundFinetuneRanking | BoundCascade | BoundAuto:
        table = self.table(select.table)
        rows = self.filter(select, table)
        scan = Scan.of(select.table.name, table, rows)
        models = candidates(table, rows)
        key = select.order.key if select.order is not None else None
        if isinstance(key, ast.Cascade | ast.AutoStrategy):
            return self._strategy(select, scan, table, models, key)
        proxies = proxies_of(select)
        if select.test_mode == "BENCHMARK":
            func, descending = aggregate_of(select)
            pairs = tuple(self.benchmark_pairs(select))
            return BoundBenchmark(select, scan, tuple(models), proxies[0], pairs, func, descending)
        spec = self.search_spec(select, models, proxies)
        if proxies[0].name == "finetune":
            return BoundFinetuneRanking(select, scan, spec)
        return BoundRanking(select, scan, spec)

    def _strategy(
        self,
        select: ast.Select,
        scan: Scan,
        table: BoundTable,
        models: Sequence[ModelRecord],
        key: ast.Cascade | ast.AutoStrategy,
    ) -> BoundCascade | BoundAuto:
        """A Cascade or AUTO: its stages (or evidence) and its task-agnostic prior, bound."""
        strategies.check_clauses(select)
        match key:
            case ast.Cascade():
                stages = tuple(Proxy.of(stage) for stage in key.stages)
                for stage in stages:
                    bind_proxy(stage.name, stage.label)
                searched = [s for s in stages if s.name != "finetune"]
                spec = self.search_spec(select, models, searched)
                prior = self._prior(table, models, key.prior) if key.prior else None
                keep = strategies.keep_counts(key.keep, len(stages), len(models))
                return BoundCascade(select, scan, spec, stages, keep, prior, key.prior)
            case ast.AutoStrategy():
                params = strategies.auto_params(key.params)
                spec = self.search_spec(select, models, list(strategies.EVIDENCE))
                column = strategies.prior_column(params, models)
                prior = self._prior(table, models, column) if column else None
                return BoundAuto(select, scan, spec, params, prior, column)
            case _:
                assert_never(key)

    def _prior(
        self, table: BoundTable, models: Sequence[ModelRecord], column: str
    ) -> ModelRecord | None:
        """The candidate with the highest `column` (the task-agnostic pick), or None when no
        candidate has a value."""
        self.check_columns([column], table)
        names = {m.name for m in models}
        ordering = ast.Ordering(ast.Column(column), descending=True)
        ranked = sort_rows([r for r in table.rows if r["name"] in names], ordering)
        top = ranked[0] if ranked else None
        if top is None or top.get(column) is None:
            return None
        return table.models[str(top["name"])]

    def search_spec(
        self, select: ast.Select, models: Sequence[ModelRecord], proxies: Sequence[Proxy]
    ) -> SearchSpec:
        if select.trained_on is None or select.tested_on is None:
            raise FailedPrecondition("a task-aware ranking needs both TRAINED ON and TESTED ON")
        descending = bool(select.order and select.order.descending)
        if select.order is not None and isinstance(select.order.key, ast.ProxyErr):
            descending = select.order.descending != (select.order.key.metric == "acc")
        return SearchSpec(
            models=list(models),
            train=self.dataset(select.trained_on),
            test=self.dataset(select.tested_on),
            proxies=list(proxies),
            chunk=None if select.chunk in (None, "AUTO") else int(select.chunk),
            budget=None if select.budget in (None, "AUTO") else int(select.budget),
            descending=descending,
        )

    def benchmark_pairs(self, select: ast.Select) -> list[tuple[BoundDataset, BoundDataset]]:
        """(train, test) per benchmark dataset: the i-th test set pairs with the i-th TRAINED
        ON dataset, or with the single one given."""
        if select.trained_on is None or select.tested_on is None:
            raise FailedPrecondition("TESTED ON BENCHMARK needs TRAINED ON data too")
        trains = [self.dataset(i) for i in _items(select.trained_on)]
        tests = [self.dataset(i) for i in _items(select.tested_on)]
        if len(trains) == 1:
            trains = trains * len(tests)
        if len(trains) != len(tests):
            raise FailedPrecondition(
                f"TESTED ON BENCHMARK lists {len(tests)} datasets but TRAINED ON lists "
                f"{len(trains)}: give one training dataset, or one per benchmark dataset"
            )
        return list(zip(trains, tests, strict=True))

    def finetune(self, stmt: ast.Finetune) -> BoundFinetune:
        """FINETUNE: `test=NAME` in USING picks the evaluation data (else the training data)."""
        params = {k: literal(v) for k, v in stmt.params}
        test_name = params.pop("test", None)
        train = self.dataset(stmt.dataset)
        test = self.dataset(ast.DatasetName(str(test_name))) if test_name else train
        models = tuple(self.models_of(stmt.models))
        return BoundFinetune(models, train, test, bool(test_name), params, stmt.wait)

    def models_of(self, names: tuple[ast.ModelName, ...]) -> list[ModelRecord]:
        """Model names or variables holding models, in order, without repeats."""
        out: list[ModelRecord] = []
        for item in names:
            if not item.quoted and self.session.has(item.name):
                members = self.session.get(item.name).members
            else:
                members = (item.name,)
            out += [self.catalog.model(n) for n in members if n not in {m.name for m in out}]
        return out

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


def is_task_aware(select: ast.Select) -> bool:
    """A SELECT that needs proxies (or fine-tuning), not only metadata."""
    order_key = select.order.key if select.order is not None else None
    return bool(
        select.classified_by
        or select.trained_on is not None
        or select.tested_on is not None
        or isinstance(
            order_key,
            ast.ProxyOrdering | ast.ProxyErr | ast.Aggregate | ast.Cascade | ast.AutoStrategy,
        )
    )


def check_metadata_columns(select: ast.Select, table: BoundTable, binder: Binder) -> None:
    """NotFound for a selected or ORDER BY column the table does not have (WHERE's columns are
    checked by `Binder.filter`)."""
    if isinstance(select.columns, tuple):
        binder.check_columns([item.column.name for item in select.columns], table)
    if select.order is not None and isinstance(select.order.key, ast.Column):
        binder.check_columns([select.order.key.name], table)


def candidates(table: BoundTable, rows: Sequence[dict[str, Any]]) -> list[ModelRecord]:
    """The models a task-aware ranking ranks: `rows` of a table of models that passed WHERE
    and OTHER THAN."""
    if table.kind != "models":
        raise FailedPrecondition("a task-aware ranking selects from a table of models")
    return [table.models[r["name"]] for r in rows]


def proxies_of(select: ast.Select) -> list[Proxy]:
    """The proxies a task-aware SELECT asks for (CLASSIFIED BY, or written in ORDER BY), each
    bound: NotFound with the closest names for one SHiFT does not compute."""
    proxies = []
    if select.order is not None and isinstance(select.order.key, ast.ProxyOrdering):
        proxies = [Proxy.of(select.order.key.proxy)]
    elif select.classified_by:
        proxies = [Proxy.of(p) for p in select.classified_by]
    for proxy in proxies:
        bind_proxy(proxy.name, proxy.label)
    if proxies:
        return proxies
    key = select.order.key if select.order is not None else None
    if isinstance(key, ast.Column) and (near := closest_proxies(key.name)):
        # `ORDER BY CosinNN`: the parser reads an unknown word as a column; here it is a proxy
        raise NotFound(f"unknown proxy {key.name!r} in ORDER BY", near)
    raise FailedPrecondition(
        'a task-aware ranking needs a proxy: CLASSIFIED BY ["Euclidean NN"] or ORDER BY CosineNN'
    )


def aggregate_of(select: ast.Select) -> tuple[str, bool]:
    """BENCHMARK's aggregate function and whether higher is better (ORDER BY avg(acc) DESC)."""
    if select.order is not None and isinstance(select.order.key, ast.Aggregate):
        key = select.order.key
        return key.func, select.order.descending != (key.metric == "acc")
    return "avg", False


def _items(expr: ast.DatasetExpr) -> list[ast.DatasetName | ast.Mutation]:
    return list(expr.items) if isinstance(expr, ast.DatasetList) else [expr]


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
