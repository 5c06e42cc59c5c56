"""Derived data on both stores: features, 1-NN summaries, results, SH state, history, PURGE."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from services.cache import keys
from services.cache.catalog import Catalog
from services.cache.records import ModelRecord
from services.cache.results import ChunkRef, FinetuneResult, ProxyResult, Results, proxy_key, purge
from services.cache.store import Store

MODEL = "models/huggingface/bert@main"


def test_proxy_results_round_trip_and_batch(store: Store) -> None:
    results = Results(store)
    result = ProxyResult(
        model=MODEL,
        datasets=("train-fp", "test-fp"),
        proxy="knn",
        error=0.25,
        cost_seconds=1.5,
        params={"metric": "cosine", "k": 1},
    )
    results.put_proxy(result)
    assert (
        results.get_proxy(MODEL, ["train-fp", "test-fp"], "knn", {"k": 1.0, "metric": "cosine"})
        == result
    )
    assert results.get_proxy(MODEL, ["train-fp", "test-fp"], "knn", {"k": 3}) is None
    assert results.get_proxy(MODEL, ["test-fp", "train-fp"], "knn", result.params) is None
    other = ProxyResult(model="models/onnx/m@main", datasets=("t",), proxy="linear", error=0.5)
    results.put_proxies([other])
    wanted = [other.key(), proxy_key(MODEL, ["x"], "knn", {}), result.key()]
    assert results.get_proxies(wanted) == [other, None, result]


def test_finetune_results(store: Store) -> None:
    results = Results(store)
    done = FinetuneResult(
        model=MODEL,
        datasets=("train",),
        accuracy=0.91,
        cost_seconds=3600.0,
        params={"lr": 2e-5, "epochs": 3},
        output_model="models/local/bert-ft@main",
    )
    results.put_finetune(done)
    assert results.get_finetune(MODEL, ["train"], {"epochs": 3, "lr": 2e-5}) == done
    assert results.get_finetune(MODEL, ["train"], {"epochs": 4, "lr": 2e-5}) is None


def test_features_and_nn_summaries(store: Store) -> None:
    results = Results(store)
    chunks = [ChunkRef(MODEL, "seg", 1024, i) for i in range(3)]
    results.put_features(chunks[0], b"f0")
    results.put_features_many({chunks[2]: b"f2"})
    assert results.get_features(chunks) == [b"f0", None, b"f2"]
    results.put_nn_summary(chunks[1], "test-fp", "l2", b"nn1")
    assert results.get_nn_summaries(chunks, "test-fp", "l2") == [None, b"nn1", None]
    assert results.get_nn_summaries(chunks, "test-fp", "cosine") == [None, None, None]


def test_sh_state(store: Store) -> None:
    results = Results(store)
    assert results.get_sh_state("run1") is None
    results.put_sh_state("run1", {"round": 2, "alive": ["a", "b"]})
    assert results.get_sh_state("run1") == {"round": 2, "alive": ["a", "b"]}
    assert results.delete_sh_state("run1") is True
    assert results.get_sh_state("run1") is None


def test_history_is_append_only_and_ordered(store: Store) -> None:
    results = Results(store)
    seqs = [results.append_history({"query": f"q{i}"}) for i in range(12)]
    assert seqs == list(range(1, 13))
    entries = results.list_history()
    assert [e.seq for e in entries] == seqs
    assert entries[9].entry == {"query": "q9"}
    assert [e.seq for e in results.list_history(after=10)] == [11, 12]
    assert [e.seq for e in results.list_history(limit=2)] == [1, 2]


def test_history_from_many_threads_has_unique_sequence_numbers(store: Store) -> None:
    results = Results(store)
    with ThreadPoolExecutor(max_workers=4) as pool:
        seqs = list(pool.map(lambda i: results.append_history({"i": i}), range(40)))
    assert sorted(seqs) == list(range(1, 41))
    assert len(results.list_history()) == 40


def test_purge_drops_derived_data_and_keeps_catalog(store: Store) -> None:
    catalog, results = Catalog(store), Results(store)
    record = catalog.register_model(ModelRecord(name="bert", source="huggingface", uri="bert"))
    chunk = ChunkRef(record.key, "seg", 8, 0)
    results.put_features(chunk, b"f")
    results.put_nn_summary(chunk, "test", "l2", b"nn")
    results.put_proxy(ProxyResult(model=record.key, datasets=("d",), proxy="knn", error=0.1))
    results.put_finetune(FinetuneResult(model=record.key, datasets=("d",), accuracy=0.9))
    results.put_sh_state("run", {"round": 1})
    results.append_history({"query": "SELECT"})
    assert store.acquire_lease(keys.lease("task"), "me", 30)

    assert purge(store) == 5
    assert results.get_features([chunk]) == [None]
    assert results.get_proxy(record.key, ["d"], "knn", {}) is None
    assert results.get_sh_state("run") is None
    assert catalog.get_model("bert") == record
    assert len(results.list_history()) == 1
    assert store.acquire_lease(keys.lease("task"), "other", 30) is False
    assert purge(store) == 0
