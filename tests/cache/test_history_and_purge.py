"""The query history and PURGE, on both stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shift_search.cache import keys
from shift_search.cache.catalog import Catalog
from shift_search.cache.history import History
from shift_search.cache.purge import purge
from shift_search.cache.records import ModelRecord
from shift_search.cache.store import Store


def test_history_is_append_only_and_ordered(store: Store) -> None:
    history = History(store)
    seqs = [history.append({"query": f"q{i}"}) for i in range(12)]
    assert seqs == list(range(1, 13))
    entries = history.entries()
    assert [e.seq for e in entries] == seqs
    assert entries[9].entry == {"query": "q9"}
    assert [e.seq for e in history.entries(after=10)] == [11, 12]
    assert [e.seq for e in history.entries(limit=2)] == [1, 2]


def test_history_from_many_threads_has_unique_sequence_numbers(store: Store) -> None:
    history = History(store)
    with ThreadPoolExecutor(max_workers=4) as pool:
        seqs = list(pool.map(lambda i: history.append({"i": i}), range(40)))
    assert sorted(seqs) == list(range(1, 41))
    assert len(history.entries()) == 40


def test_purge_drops_derived_data_and_keeps_catalog(store: Store) -> None:
    catalog, history = Catalog(store), History(store)
    record = catalog.register_model(ModelRecord(name="bert", source="huggingface", uri="bert"))
    derived = [
        keys.features(record.key, "rows"),
        keys.nn_pair(record.key, "train-rows", "test-rows", "l2"),
        keys.proxy_result(record.key, ["d"], "knn", keys.params_hash({})),
        keys.finetune_result(record.key, ["d"], keys.params_hash({})),
        keys.sh_state("run"),
    ]
    store.put_many([(k, b"x") for k in derived])
    history.append({"query": "SELECT"})
    assert store.acquire_lease(keys.lease("task"), "me", 30)

    assert purge(store) == 5
    assert store.get_many(derived) == [None] * 5
    assert catalog.get_model("bert") == record
    assert len(history.entries()) == 1
    assert store.acquire_lease(keys.lease("task"), "other", 30) is False
    assert purge(store) == 0
