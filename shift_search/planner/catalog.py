"""A snapshot of the catalog: every model and dataset (and the rows of benchmark_results) as
one statement sees them.

Binding and planning read this snapshot only, so naming things has no side effects and a
statement plans against one consistent view. Each kind is read from the cache service once, when
the statement first needs it (a metadata query on models never lists the datasets).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import cached_property
from typing import Protocol, TypeVar

from shift_search.cache.benchmark_results import ValueStore, list_results
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.stored import BenchmarkResult
from shift_search.runtime.errors import NotFound


class CatalogSource(ValueStore, Protocol):
    """What a snapshot is read from (the cache client has every method)."""

    def list_models(self) -> list[ModelRecord]: ...

    def list_datasets(self) -> list[DatasetRecord]: ...


class CatalogSnapshot:
    """Models and datasets sorted by name, as the catalog lists them: given, or read from
    `source` once each."""

    def __init__(
        self,
        models: Sequence[ModelRecord] | None = None,
        datasets: Sequence[DatasetRecord] | None = None,
        source: CatalogSource | None = None,
        benchmark_results: Sequence[BenchmarkResult] | None = None,
    ) -> None:
        self._given = (models, datasets)
        self._results = benchmark_results
        self._source = source

    @classmethod
    def read(cls, source: CatalogSource) -> CatalogSnapshot:
        return cls(source=source)

    @cached_property
    def models(self) -> tuple[ModelRecord, ...]:
        given = self._given[0]
        if given is not None or self._source is None:
            return tuple(given or ())
        return tuple(self._source.list_models())

    @cached_property
    def datasets(self) -> tuple[DatasetRecord, ...]:
        given = self._given[1]
        if given is not None or self._source is None:
            return tuple(given or ())
        return tuple(self._source.list_datasets())

    @cached_property
    def benchmark_results(self) -> tuple[BenchmarkResult, ...]:
        """The rows of benchmark_results, read when a statement first names the table."""
        if self._results is not None or self._source is None:
            return tuple(self._results or ())
        return tuple(list_results(self._source))

    def models_of(self, modality: str | None) -> list[ModelRecord]:
        """Models of one modality (None: all), in catalog order."""
        return [m for m in self.models if modality is None or m.modality == modality]

    def model(self, key_or_name: str) -> ModelRecord:
        """By name or `models/…` key; NotFound with the closest names, as the catalog says."""
        return _find(self.models, key_or_name, "model", "models/")

    def dataset(self, key_or_name: str) -> DatasetRecord:
        """By name or `datasets/…` key; NotFound with the closest names, as the catalog says."""
        return _find(self.datasets, key_or_name, "dataset", "datasets/")


R = TypeVar("R", ModelRecord, DatasetRecord)


def _find(records: Sequence[R], wanted: str, noun: str, key_prefix: str) -> R:
    for record in records:
        if record.name == wanted or record.key == wanted:
            return record
    pool = [r.key if wanted.startswith(key_prefix) else r.name for r in records]
    near = tuple(difflib.get_close_matches(wanted, pool, n=3, cutoff=0.6))
    raise NotFound(f'unknown {noun} "{wanted}"', near)
