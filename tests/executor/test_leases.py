"""Chunk leases, on a real cache service over both stores: a live computation renews its lease,
so it is never taken over however long it runs; an abandoned lease is taken over once it
expires; a lease left behind because Redis went away does not block the process that holds it.
Leases are short here (a parameter), never a minute of waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import from_float16_blob
from shift_search.executor.features.store import Block, FeatureStore, blocks
from shift_search.executor.loaders.registry import load_encoder
from shift_search.runtime.errors import Unavailable
from shift_search.runtime.server import ServiceServer
from tests.conftest import StartRedis
from tests.tiny_world import make_tiny_bert, write_reviews

LEASE = 1.0  # seconds: renewed every third of it
CHUNK = 64
MODEL = "models/huggingface/bert@main~test"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("leases")
    make_tiny_bert(root / "bert")
    write_reviews(root / "train.csv", 64, seed=0)
    return root


@pytest.fixture(scope="module")
def encoder(world: Path) -> Encoder:
    return load_encoder("huggingface", str(world / "bert"), device="cpu")


@pytest.fixture(scope="module")
def block(world: Path) -> Block:
    record = DatasetRecord(
        name="train", uri=str(world / "train.csv"), format="csv", input_column="text"
    )
    (first,) = blocks(SegmentReader().read(record), None, CHUNK)
    return first


@pytest.fixture(params=["sqlite", "redis"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CacheClient]:
    """A cache service on each store."""
    url = (
        f"sqlite:///{tmp_path / 'store.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    server = ServiceServer().add(cache_registration(open_store(url)))
    server.start()
    client = CacheClient(server.address)
    yield client
    client.close()
    server.stop(grace=0.2)


def store(cache: CacheClient, encoder: Callable[[], Encoder], owner: str) -> FeatureStore:
    """A task's feature store on one executor (`owner`), with a short lease."""
    return FeatureStore(cache, MODEL, encoder, CHUNK, lease_seconds=LEASE, owner=owner)


def feature_key(block: Block) -> str:
    return keys.features(MODEL, block.fingerprint)


def in_background(features: FeatureStore, block: Block, done: threading.Event) -> None:
    """Read (computing if need be) the block's features, then set `done`."""
    features.rows(block.segment, block.rows)
    done.set()


def test_a_live_computation_keeps_its_lease_past_expiry(
    cache: CacheClient, block: Block, encoder: Encoder
) -> None:
    loading, proceed = threading.Event(), threading.Event()

    def slow_to_load() -> Encoder:  # the model takes far longer to load than the lease lasts
        loading.set()
        proceed.wait(60)
        return encoder

    other_loads: list[str] = []

    def loads() -> Encoder:
        other_loads.append("loaded")
        return encoder

    first, second = store(cache, slow_to_load, "executor-a"), store(cache, loads, "executor-b")
    out: dict[str, np.ndarray] = {}
    a = threading.Thread(target=lambda: out.update(a=first.rows(block.segment, block.rows)))
    b = threading.Thread(target=lambda: out.update(b=second.rows(block.segment, block.rows)))
    a.start()
    try:
        assert loading.wait(60)
        b.start()
        time.sleep(3 * LEASE)  # long past the lease's expiry, had it not been renewed
        assert not cache.acquire_lease(keys.lease(feature_key(block)), "executor-c", LEASE)
        assert other_loads == [] and "b" not in out  # the other executor waits for the result
    finally:
        proceed.set()
        a.join(60)
        if b.ident is not None:  # started
            b.join(60)
    assert first.stats.computed == 1
    assert second.stats.computed == 0 and second.stats.cached == 1 and other_loads == []
    np.testing.assert_array_equal(out["a"], out["b"])
    assert cache.acquire_lease(keys.lease(feature_key(block)), "executor-c", LEASE)  # released


def test_an_abandoned_lease_is_taken_over_once_it_expires(
    cache: CacheClient, block: Block, encoder: Encoder
) -> None:
    lease = keys.lease(feature_key(block))
    assert cache.acquire_lease(lease, "dead-executor", 3.0)  # never renewed, never released
    taker = store(cache, lambda: encoder, "executor-b")
    done = threading.Event()
    worker = threading.Thread(target=in_background, args=(taker, block, done))
    worker.start()
    assert not done.wait(0.5)  # the lease holds while it lasts
    worker.join(60)
    assert done.is_set() and taker.stats.computed == 1
    stored = from_float16_blob(cache.get_blob(feature_key(block)))
    assert stored.shape == (len(block.rows), encoder.dimension)


def test_a_lease_left_by_a_redis_outage_does_not_block_this_process(
    start_redis: StartRedis, tmp_path: Path, block: Block, encoder: Encoder
) -> None:
    redis = start_redis(tmp_path / "redis", appendonly=True)
    server = ServiceServer().add(cache_registration(open_store(redis.url)))
    server.start()
    cache = CacheClient(server.address, timeout=10)
    try:
        loading, proceed = threading.Event(), threading.Event()

        def slow_to_load() -> Encoder:
            loading.set()
            proceed.wait(60)
            return encoder

        failed: list[BaseException] = []
        cut_off = FeatureStore(cache, MODEL, slow_to_load, CHUNK, lease_seconds=300.0)

        def compute() -> None:
            try:
                cut_off.rows(block.segment, block.rows)
            except Unavailable as err:
                failed.append(err)

        worker = threading.Thread(target=compute)
        worker.start()
        assert loading.wait(60)
        redis.stop()  # the task cannot store its features, nor release its lease
        proceed.set()
        worker.join(60)
        assert failed, "the task fails while Redis is down"
        redis.start()
        lease = keys.lease(feature_key(block))
        assert not cache.acquire_lease(lease, "another-executor", 1.0)  # persisted, still held
        done = threading.Event()
        later = FeatureStore(cache, MODEL, lambda: encoder, CHUNK, lease_seconds=300.0)
        threading.Thread(target=in_background, args=(later, block, done), daemon=True).start()
        assert done.wait(60), "this process's next task reclaims its own lease at once"
        assert later.stats.computed == 1
    finally:
        cache.close()
        server.stop(grace=0.2)
