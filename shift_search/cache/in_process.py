"""The cache's calls on a Store in this process: what the CacheService does, without gRPC.

The CacheService's handlers convert protobuf and call this; `shift serve` (all four services in
one process) hands it to the planner too, which then reads the catalog and stored results
directly instead of through a loopback server (a cached ranking made six such round trips).
It behaves as `client.CacheClient` does: the same methods, results and ShiftErrors.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

from shift_search.cache.catalog import Catalog, ModelFilter
from shift_search.cache.codec import load_request_json
from shift_search.cache.history import History
from shift_search.cache.keys import kind_of
from shift_search.cache.purge import purge
from shift_search.cache.records import (
    ChangeRecord,
    DatasetRecord,
    ModelRecord,
    SegmentRecord,
    now_stamp,
)
from shift_search.cache.store import Store
from shift_search.cache.write_policy import check_writes
from shift_search.runtime.callers import Caller, calling_as
from shift_search.runtime.errors import InvalidArgument, NotFound
from shift_search.runtime.metrics import record_cache_lookup


class InProcessCache:
    """The cache's operations on `store`. `caller`: who every call is made as (the planner of
    `shift serve` calls as the trusted local caller, as on its private socket); None: the
    caller of the call being served (the CacheService's handlers)."""

    def __init__(self, store: Store, caller: Caller | None = None) -> None:
        self.store = store
        self.catalog = Catalog(store)
        self.history = History(store)
        self._caller = caller

    @property
    def address(self) -> str:
        return f"in-process:{self.store.address}"

    def close(self) -> None:
        """Nothing to close: the store belongs to whoever opened it."""

    @contextmanager
    def _as_caller(self) -> Iterator[None]:
        with calling_as(self._caller) if self._caller is not None else nullcontext():
            yield

    # --- catalog -------------------------------------------------------------------------------

    def register_model(self, record: ModelRecord) -> ModelRecord:
        return self.catalog.register_model(model_as_sent(record))

    def get_model(self, name: str) -> ModelRecord:
        return self.catalog.get_model(name)

    def list_models(
        self,
        modality: str | None = None,
        source: str | None = None,
        finetuned: bool | None = None,
        name_prefix: str | None = None,
    ) -> list[ModelRecord]:
        model_filter = ModelFilter(
            modality=modality or None,
            source=source or None,
            finetuned=finetuned,
            name_prefix=name_prefix or None,
        )
        return self.catalog.list_models(model_filter)

    def delete_model(self, name: str) -> bool:
        return self.catalog.delete_model(name)

    def register_dataset(self, record: DatasetRecord) -> DatasetRecord:
        return self.catalog.register_dataset(dataset_as_sent(record))

    def get_dataset(self, name: str) -> DatasetRecord:
        return self.catalog.get_dataset(name)

    def list_datasets(self, name_prefix: str = "") -> list[DatasetRecord]:
        return [r for r in self.catalog.list_datasets() if r.name.startswith(name_prefix)]

    def delete_dataset(self, name: str) -> bool:
        return self.catalog.delete_dataset(name)

    # --- values and blobs ----------------------------------------------------------------------

    def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        values = self.store.get_many(list(keys))
        for key, value in zip(keys, values, strict=True):
            record_cache_lookup(kind_of(key), value is not None)
        return values

    def get_value(self, key: str) -> bytes | None:
        return self.get_values([key])[0]

    def put_values(self, items: Mapping[str, bytes], *, evictable: bool = False) -> None:
        self.put_items(list(items.items()), evictable=evictable)

    def put_items(self, items: Sequence[tuple[str, bytes]], *, evictable: bool = False) -> None:
        """Write every item (a key given twice: the last value) in one transaction, if the
        caller may write every key."""
        with self._as_caller():
            check_writes(key for key, _ in items)
        self.store.put_many(items, evictable=evictable)

    def scan(self, prefix: str) -> list[str]:
        return self.store.scan(prefix)

    def put_blob(self, key: str, data: bytes, *, evictable: bool = False) -> None:
        if not key:
            raise InvalidArgument("PutBlob: the first message must name the key and total_size")
        with self._as_caller():
            check_writes([key])
        self.store.put(key, data, evictable=evictable)

    def get_blob(self, key: str) -> bytes:
        data = self.store.get(key)
        record_cache_lookup(kind_of(key), data is not None)
        if data is None:
            raise NotFound(f"no blob under {key!r}")
        return data

    # --- leases, history, purge ----------------------------------------------------------------

    def acquire_lease(self, key: str, owner: str, ttl_seconds: float) -> bool:
        return self.store.acquire_lease(key, owner, ttl_seconds)

    def release_lease(self, key: str, owner: str) -> None:
        self.store.release_lease(key, owner)

    def append_history(self, entry: bytes) -> int:
        parsed: Any = load_request_json(entry, "AppendHistory: the entry")
        if not isinstance(parsed, dict):
            raise InvalidArgument("AppendHistory: the entry must be a JSON object")
        return self.history.append(parsed)

    def purge(self) -> int:
        return purge(self.store)

    def generation(self) -> Hashable | None:
        return self.store.generation()


# --- what a record becomes on the wire ---------------------------------------------------------


def model_as_sent(record: ModelRecord) -> ModelRecord:
    """The model as the CacheService receives it from a `CacheClient` (`convert`'s defaults:
    an empty optional text is None, an empty modality, revision or pooling its default), so a
    registration means the same in-process and over gRPC."""
    return replace(
        record,
        modality=record.modality or "text",
        revision=record.revision or "main",
        pooling=record.pooling or "mean",
        tokenizer=record.tokenizer or None,
        parent=record.parent or None,
        date_added=record.date_added or now_stamp(),
        tags=dict(record.tags),
    )


def dataset_as_sent(record: DatasetRecord) -> DatasetRecord:
    """The dataset as the CacheService receives it from a `CacheClient` (see `model_as_sent`)."""
    return replace(
        record,
        input_column=record.input_column or None,
        label_column=record.label_column or None,
        split=record.split or None,
        slice=record.slice or None,
        modality=record.modality or "text",
        segments=tuple(_segment_as_sent(s) for s in record.segments),
        date_added=record.date_added or now_stamp(),
        tags=dict(record.tags),
        changes=tuple(
            ChangeRecord(
                tuple(c.indices), dataset_as_sent(c.source), tuple(c.source_indices or ()) or None
            )
            for c in record.changes
        ),
    )


def _segment_as_sent(segment: SegmentRecord) -> SegmentRecord:
    return replace(
        segment,
        split=segment.split or None,
        slice=segment.slice or None,
        input_column=segment.input_column or None,
        label_column=segment.label_column or None,
    )
