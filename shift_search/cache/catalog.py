"""The catalog of models and datasets, on any Store.

Records live under their content-based key; a name index maps each name to the key of the record
that owns it, so names are unique per kind and registering a name again replaces the old record.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shift_search.cache import keys
from shift_search.cache.codec import dump_json, load_json
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.store import Store
from shift_search.cache.validation import validate_dataset, validate_model
from shift_search.runtime.errors import AlreadyExists, NotFound


@dataclass(frozen=True)
class ModelFilter:
    """Simple server-side filtering; every field left None matches everything."""

    modality: str | None = None
    source: str | None = None
    finetuned: bool | None = None
    name_prefix: str | None = None
    max_params: int | None = None  # models of unknown size do not match

    def matches(self, record: ModelRecord) -> bool:
        return (
            _equal(self.modality, record.modality)
            and _equal(self.source, record.source)
            and _equal(self.finetuned, record.finetuned)
            and record.name.startswith(self.name_prefix or "")
            and (
                self.max_params is None
                or (record.num_params is not None and record.num_params <= self.max_params)
            )
        )


@dataclass(frozen=True)
class DatasetFilter:
    """Simple server-side filtering of datasets; None matches everything."""

    modality: str | None = None
    format: str | None = None
    name_prefix: str | None = None

    def matches(self, record: DatasetRecord) -> bool:
        return (
            _equal(self.modality, record.modality)
            and _equal(self.format, record.format)
            and record.name.startswith(self.name_prefix or "")
        )


def _equal(wanted: object, actual: object) -> bool:
    return wanted is None or wanted == actual


class _Record(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Record)


@dataclass(frozen=True)
class _Kind(Generic[R]):
    """What differs between the models and the datasets shelves."""

    noun: str
    key_prefix: str  # how this kind's record keys start ("models/")
    records: str  # store prefix of the records
    record_key: Callable[[str], str]
    name_key: Callable[[str], str]
    decode: Callable[[Mapping[str, Any]], R]
    validate: Callable[[R], None]


class _Shelf(Generic[R]):
    """Register / get / list / delete one kind of record, with a unique name index.

    Every change increments the catalog's version once it is written; a listing is kept with
    the version read before it was made, and given again while the version has not moved (a
    store no release of ours has changed since versions exist has none: it is always read)."""

    def __init__(self, store: Store, kind: _Kind[R]) -> None:
        self._store = store
        self._kind = kind
        self._listed: tuple[bytes, tuple[R, ...]] | None = None

    def register(self, record: R, *, replace: bool) -> R:
        self._kind.validate(record)
        raw_old = self._store.get(self._kind.name_key(record.name))
        old_key = None if raw_old is None else raw_old.decode()
        if old_key is not None and not replace:
            raise AlreadyExists(f'{self._kind.noun} "{record.name}" already exists ({old_key})')
        self._store.put_many(
            {
                self._kind.record_key(record.key): dump_json(record.to_dict()),
                self._kind.name_key(record.name): record.key.encode(),
            }
        )
        if old_key is not None and old_key != record.key:
            self._store.delete(self._kind.record_key(old_key))
        self._changed()
        return record

    def _changed(self) -> None:
        self._store.incr(keys.CATALOG_VERSION)

    def find(self, key_or_name: str) -> R | None:
        found = self._locate(key_or_name)
        return None if found is None else found[1]

    def _locate(self, key_or_name: str) -> tuple[str, R] | None:
        """The record a name or key stands for, with the key it is stored under (a record
        written by an older release may sit under a key its fields no longer produce)."""
        by_name, by_key = self._store.get_many(
            [self._kind.name_key(key_or_name), self._kind.record_key(key_or_name)]
        )
        if by_name is not None:
            record = self._load(by_name.decode())
            if record is not None:
                return by_name.decode(), record
        if by_key is not None:
            record = self._kind.decode(load_json(by_key))
            return (key_or_name, record) if self._owns_name(record, key_or_name) else None
        return None

    def get(self, key_or_name: str) -> R:
        record = self.find(key_or_name)
        if record is None:
            raise NotFound(f'unknown {self._kind.noun} "{key_or_name}"', self._suggest(key_or_name))
        return record

    def _read_all(self) -> list[R]:
        record_keys = self._store.scan(self._kind.records)
        stored = [
            (key, self._kind.decode(load_json(raw)))
            for key, raw in zip(record_keys, self._store.get_many(record_keys), strict=True)
            if raw is not None
        ]
        owners = self._store.get_many([self._kind.name_key(r.name) for _, r in stored])
        live = [
            record
            for (key, record), owner in zip(stored, owners, strict=True)
            if owner is not None and self._kind.record_key(owner.decode()) == key
        ]
        return sorted(live, key=lambda r: r.name)

    def list(self) -> list[R]:
        version = self._store.get(keys.CATALOG_VERSION)
        listed = self._listed
        if version is not None and listed is not None and listed[0] == version:
            return list(listed[1])
        records = self._read_all()
        if version is not None:
            self._listed = (version, tuple(records))
        return records

    def delete(self, key_or_name: str) -> bool:
        found = self._locate(key_or_name)
        if found is None:
            return False
        stored_key, record = found
        self._store.delete(self._kind.name_key(record.name))
        self._store.delete(self._kind.record_key(stored_key))
        self._changed()
        return True

    def _load(self, record_key: str) -> R | None:
        raw = self._store.get(self._kind.record_key(record_key))
        return None if raw is None else self._kind.decode(load_json(raw))

    def _owns_name(self, record: R, stored_key: str) -> bool:
        return self._store.get(self._kind.name_key(record.name)) == stored_key.encode()

    def _suggest(self, wanted: str) -> tuple[str, ...]:
        records = self.list()
        pool = [r.key if wanted.startswith(self._kind.key_prefix) else r.name for r in records]
        return tuple(difflib.get_close_matches(wanted, pool, n=3, cutoff=0.6))


_MODELS = _Kind[ModelRecord](
    noun="model",
    key_prefix="models/",
    records=keys.MODELS,
    record_key=keys.model,
    name_key=keys.model_name,
    decode=ModelRecord.from_dict,
    validate=validate_model,
)
_DATASETS = _Kind[DatasetRecord](
    noun="dataset",
    key_prefix="datasets/",
    records=keys.DATASETS,
    record_key=keys.dataset,
    name_key=keys.dataset_name,
    decode=DatasetRecord.from_dict,
    validate=validate_dataset,
)


class Catalog:
    """Models and datasets SHiFT knows about; names are unique per kind (upsert by name)."""

    def __init__(self, store: Store) -> None:
        self._models = _Shelf(store, _MODELS)
        self._datasets = _Shelf(store, _DATASETS)

    def register_model(self, record: ModelRecord, *, replace: bool = True) -> ModelRecord:
        """Store (or, by name, replace) a model; AlreadyExists when replace is False."""
        return self._models.register(record, replace=replace)

    def get_model(self, key_or_name: str) -> ModelRecord:
        """By name or by ``models/…`` key; NotFound lists the closest names."""
        return self._models.get(key_or_name)

    def list_models(self, filter: ModelFilter | None = None) -> list[ModelRecord]:
        """All models (sorted by name) that pass ``filter``."""
        return [r for r in self._models.list() if filter is None or filter.matches(r)]

    def delete_model(self, key_or_name: str) -> bool:
        """Remove a model by name or key; False when there was none."""
        return self._models.delete(key_or_name)

    def register_dataset(self, record: DatasetRecord, *, replace: bool = True) -> DatasetRecord:
        """Store (or, by name, replace) a dataset version; AlreadyExists when replace is False."""
        return self._datasets.register(record, replace=replace)

    def get_dataset(self, key_or_name: str) -> DatasetRecord:
        """By name or by ``datasets/…`` key; NotFound lists the closest names."""
        return self._datasets.get(key_or_name)

    def list_datasets(self, filter: DatasetFilter | None = None) -> list[DatasetRecord]:
        """All datasets (sorted by name) that pass ``filter``."""
        return [r for r in self._datasets.list() if filter is None or filter.matches(r)]

    def delete_dataset(self, key_or_name: str) -> bool:
        """Remove a dataset by name or key; False when there was none."""
        return self._datasets.delete(key_or_name)
