"""An interrupted task leaves no partial entry, on both stores: a task cancelled in the middle
of a forward pass, and a feature upload broken after its first piece, store nothing for it
(no feat:, nn: or res: key) and free the chunk's lease; the re-run computes, stores, and
equals the from-scratch result bit for bit."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from shift_search.cache import keys
from shift_search.cache.client import BLOB_PIECE_BYTES
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.features.extract import from_float16_blob
from shift_search.executor.features.store import blocks
from shift_search.executor.runner import run_score
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc
from shift_search.runtime.errors import Cancelled
from shift_search.tasks.specs import ProxySpec, ScoreTask
from tests.incremental.support import Env, data, exact, informative, model, run

NN = ProxySpec("euclidean_nn")
BIG_CHUNK = 256  # so a chunk takes several batches of 64: one batch runs, then the cancel
DERIVED = (keys.FEATURES, keys.NN_SUMMARIES, keys.RESULTS)


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    """The cache service whose store is interrupted, on each store."""
    url = (
        f"sqlite:///{tmp_path / 'store.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    opened = Env(url)
    yield opened
    opened.close()


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Env]:
    opened = Env(f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    yield opened
    opened.close()


def derived_keys(env: Env) -> list[str]:
    return [k for prefix in DERIVED for k in env.cache.scan(prefix)]


class CancelAfterOneBatch:
    """`should_stop` that cancels the task between the first and second batch of its first
    forward pass (the checks that extract_features makes between batches)."""

    def __init__(self) -> None:
        self.batches_started = 0

    def __call__(self) -> bool:
        if sys._getframe(1).f_code.co_name == "extract_features":
            self.batches_started += 1
        return self.batches_started > 1


def test_cancelled_mid_extraction_leaves_nothing(env: Env, scratch: Env, world: Path) -> None:
    record = model(world)
    train, test = data(world, "train.csv"), data(world, "test.csv")
    stop = CancelAfterOneBatch()
    with pytest.raises(Cancelled):
        run_score(env.task(stop), ScoreTask(record, train, test, NN, chunk_size=BIG_CHUNK))
    assert stop.batches_started == 2  # one batch ran; cancelled before the next
    assert derived_keys(env) == []
    (first,) = blocks(SegmentReader().read(test), None, BIG_CHUNK)  # the chunk it was embedding
    lease = keys.lease(keys.features(record.key, first.fingerprint))
    assert env.cache.acquire_lease(lease, "another-executor", 5.0)  # released on the way out
    env.cache.release_lease(lease, "another-executor")

    again = run_score(env.task(), ScoreTask(record, train, test, NN, chunk_size=BIG_CHUNK))
    cold = run_score(scratch.task(), ScoreTask(record, train, test, NN, chunk_size=BIG_CHUNK))
    assert (
        not again.from_cache
        and again.outcome.chunks_computed == 2 + 1 == cold.outcome.chunks_computed
    )
    assert informative(again) and exact(again, cold)
    assert len(env.cache.scan(keys.FEATURES)) == 3 and len(env.cache.scan(keys.RESULTS)) == 1


def uploads(
    key: str, sent: threading.Event, go_on: threading.Event, fail: bool
) -> Iterator[cache_pb2.PutBlobRequest]:
    """A two-piece PutBlob stream that stops after its first piece: it fails, or it waits to be
    cancelled."""
    first = cache_pb2.PutBlobRequest(key=key, data=b"\0" * BLOB_PIECE_BYTES, evictable=True)
    first.total_size = 2 * BLOB_PIECE_BYTES
    yield first
    sent.set()
    if fail:
        raise RuntimeError("the executor died mid-upload")
    go_on.wait(30)
    yield cache_pb2.PutBlobRequest(data=b"\0" * BLOB_PIECE_BYTES)


@pytest.mark.parametrize("how", ["error", "cancel", "short"])
def test_broken_feature_upload_leaves_nothing(
    env: Env, scratch: Env, world: Path, how: str
) -> None:
    record = model(world)
    train, test = data(world, "train.csv"), data(world, "test.csv")
    (first, *_) = blocks(SegmentReader().read(test), None, 64)
    key = keys.features(record.key, first.fingerprint)  # a chunk the task below needs
    sent, go_on = threading.Event(), threading.Event()
    with grpc.insecure_channel(env.server.address) as channel:
        stub = cache_pb2_grpc.CacheServiceStub(channel)
        pieces = uploads(key, sent, go_on, fail=how == "error")
        if how == "short":  # what a broken stream may look like to the server: a normal end
            pieces = iter([next(pieces)])
            sent.set()
        call = stub.PutBlob.future(pieces, timeout=30)
        assert sent.wait(30)
        if how == "cancel":
            assert call.cancel()
        go_on.set()
        with pytest.raises((grpc.RpcError, grpc.FutureCancelledError)):
            call.result()
    assert derived_keys(env) == []

    again = run(env, record, train, test)
    assert (
        not again.from_cache
        and again.outcome.chunks_computed == 5 + 2
        and again.outcome.chunks_cached == 0
    )
    assert informative(again) and exact(again, run(scratch, record, train, test))
    stored = from_float16_blob(env.cache.get_blob(key))
    assert stored.shape == (len(first.rows), 32)
