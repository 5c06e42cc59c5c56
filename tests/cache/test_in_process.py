"""The in-process cache behaves as the CacheService does over gRPC: the same calls on the same
store give the same results and the same errors, write permissions included; and a catalog
listing kept between calls follows every change, whoever made it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from shift_search.cache import keys
from shift_search.cache.calls import CacheCalls
from shift_search.cache.catalog import Catalog
from shift_search.cache.client import CacheClient
from shift_search.cache.codec import dump_json
from shift_search.cache.convert import (
    dataset_from_proto,
    dataset_to_proto,
    model_from_proto,
    model_to_proto,
)
from shift_search.cache.in_process import InProcessCache, dataset_as_sent, model_as_sent
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.service import registration
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.store import Store
from shift_search.runtime.callers import Local, Role, User, calling_as
from shift_search.runtime.errors import PermissionDenied, ShiftError
from shift_search.runtime.server import ServiceServer

DATE = "2026-01-01T00:00:00+00:00"
MODEL = ModelRecord("bert", "huggingface", "/models/bert", date_added=DATE, inference_cost=1.5)
SEGMENT = SegmentRecord(uri="/data/r.csv", format="csv", size=10, fingerprint="fp-seg")
DATASET = DatasetRecord(
    name="reviews",
    uri="/data/r.csv",
    format="csv",
    size=10,
    fingerprint="fp",
    segments=(SEGMENT,),
    date_added=DATE,
)


@dataclass
class Both:
    remote: CacheClient
    local: InProcessCache


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Both]:
    """A CacheClient of a served store, and an in-process cache on a second store."""
    served = SQLiteStore(tmp_path / "served.sqlite3")
    server = ServiceServer().add(registration(served)).start()
    remote = CacheClient(server.address)
    local_store = SQLiteStore(tmp_path / "local.sqlite3")
    try:
        yield Both(remote, InProcessCache(local_store, caller=Local()))
    finally:
        remote.close()
        server.stop(grace=0)
        local_store.close()


def outcome(step: Callable[[CacheCalls], Any], cache: CacheCalls) -> Any:
    """A call's result, or its error's class and message."""
    try:
        return step(cache)
    except ShiftError as err:
        return (type(err).__name__, err.message)


def test_the_same_calls_give_the_same_results_and_errors(both: Both) -> None:
    script: list[Callable[[CacheCalls], Any]] = [
        lambda c: c.register_model(MODEL),
        lambda c: c.register_model(ModelRecord("bad", "nowhere", "/x")),
        lambda c: c.register_dataset(DATASET),
        lambda c: c.get_model("bert"),
        lambda c: c.get_model("bart"),
        lambda c: c.get_dataset("reviews"),
        lambda c: c.get_dataset(DATASET.key),
        lambda c: c.list_models(),
        lambda c: c.list_models(modality="image"),
        lambda c: c.list_models(name_prefix="be", finetuned=False),
        lambda c: c.list_datasets("rev"),
        lambda c: c.put_values({keys.sh_state("run"): b"{}", keys.session("s"): b"[]"}),
        lambda c: c.get_values([keys.sh_state("run"), keys.sh_state("none")]),
        lambda c: c.get_value(keys.session("s")),
        lambda c: c.scan(keys.SH_STATES),
        lambda c: c.put_blob(keys.features("m", "rows"), b"x" * 3000, evictable=True),
        lambda c: c.get_blob(keys.features("m", "rows")),
        lambda c: c.get_blob(keys.features("m", "none")),
        lambda c: c.acquire_lease("task", "me", 30.0),
        lambda c: c.acquire_lease("task", "you", 30.0),
        lambda c: c.release_lease("task", "me"),
        lambda c: c.append_history(b'{"statement": "SELECT 1;"}'),
        lambda c: c.append_history(b"[1, 2]"),
        lambda c: c.append_history(b"not json"),
        lambda c: c.purge(),
        lambda c: c.delete_model("bert"),
        lambda c: c.delete_model("bert"),
        lambda c: c.list_models(),
    ]
    for step in script:
        assert outcome(step, both.remote) == outcome(step, both.local)


def test_a_registration_means_the_same_as_over_the_wire() -> None:
    sparse_model = ModelRecord(
        "m",
        "onnx",
        "/m",
        modality="",
        revision="",
        pooling="",
        tokenizer="",
        parent="",
        date_added=DATE,
    )
    assert model_as_sent(sparse_model) == model_from_proto(model_to_proto(sparse_model))
    segment = SegmentRecord("/d", "csv", 3, "f", split="", slice="", input_column="")
    sparse = DatasetRecord(
        "d",
        "/d",
        "csv",
        input_column="",
        split="",
        slice="",
        modality="",
        segments=(segment,),
        date_added=DATE,
    )
    assert dataset_as_sent(sparse) == dataset_from_proto(dataset_to_proto(sparse))


def test_writes_are_checked_as_the_caller_it_calls_as(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    with calling_as(User("ann", Role.ADMIN)):
        # the planner of `shift serve` calls as the trusted local caller, as on its socket
        InProcessCache(store, caller=Local()).put_values({keys.sh_state("r"): b"{}"})
        # the CacheService's handlers: as whoever called them; users never write directly
        with pytest.raises(PermissionDenied, match="never write the cache directly"):
            InProcessCache(store).put_values({keys.sh_state("r"): b"{}"})
        with pytest.raises(PermissionDenied):
            InProcessCache(store).put_blob(keys.features("m", "r"), b"x")
    store.close()


def test_a_kept_listing_follows_changes_made_through_another_catalog(store: Store) -> None:
    reader, writer = Catalog(store), Catalog(store)
    assert reader.list_models() == []
    writer.register_model(MODEL)
    assert reader.list_models() == [MODEL]
    assert reader.list_models() == [MODEL]  # kept: the version has not moved
    tuned = writer.register_model(replace(MODEL, inference_cost=2.0))
    assert reader.list_models() == [tuned]
    writer.register_dataset(DATASET)
    assert reader.list_datasets() == [DATASET]
    writer.delete_model("bert")
    assert reader.list_models() == []
    writer.delete_dataset("reviews")
    assert reader.list_datasets() == []


def test_a_store_without_a_version_is_always_read(store: Store) -> None:
    """Records written before versions existed (here: directly) are listed, never kept."""
    catalog = Catalog(store)
    assert catalog.list_models() == []
    store.put_many(
        {
            keys.model(MODEL.key): dump_json(MODEL.to_dict()),
            keys.model_name(MODEL.name): MODEL.key.encode(),
        }
    )
    assert store.get(keys.CATALOG_VERSION) is None
    assert catalog.list_models() == [MODEL]
