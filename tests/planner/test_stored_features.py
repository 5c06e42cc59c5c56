"""The stored-work snapshot finds features segment by segment in a model's results on any data
(features are keyed by content): a test set embedded for another training set, a list member
embedded on its own, a test set used for training; and results stored before per-segment counts
were recorded still count where their layout is unambiguous."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from shift_search.cache import keys
from shift_search.cache.in_process import InProcessCache
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.stored import ProxyScore
from shift_search.planner.bound import BoundDataset, Proxy, SearchSpec
from shift_search.planner.cached import segment_features, stored_work

MODEL = ModelRecord("m", "huggingface", "/m", date_added="2026-01-01")
COSINE = Proxy("cosine_nn", {}, "Cosine NN")


def data(name: str, *sizes: int) -> DatasetRecord:
    segments = tuple(
        SegmentRecord(f"/{name}{j}.csv", "csv", size, f"fp-{name}{j}")
        for j, size in enumerate(sizes)
    )
    return DatasetRecord(
        name, f"/{name}.csv", "csv", size=sum(sizes), fingerprint=f"v-{name}", segments=segments
    )


A, B, T, T2 = data("a", 300), data("b", 200), data("t", 100), data("u", 50)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InProcessCache]:
    opened = SQLiteStore(tmp_path / "s.sqlite3")
    yield InProcessCache(opened)
    opened.close()


def stored(
    store: InProcessCache,
    train: Sequence[DatasetRecord],
    test: DatasetRecord,
    counts: Sequence[int],
    record_counts: bool = True,
) -> None:
    fps = [s.fingerprint for d in train for s in d.segments] + [
        s.fingerprint for s in test.segments
    ]
    key = keys.proxy_score(MODEL.key, fps, "cosine_nn", {}, counts, 1024)
    score = ProxyScore(
        0.5,
        "cosine_nn",
        {},
        MODEL.key,
        sum(counts),
        test.size or 0,
        train_counts=list(counts) if record_counts else (),
    )
    store.store.put(key, score.to_json())


def test_a_test_set_embedded_for_another_training_set_is_cached(store: InProcessCache) -> None:
    stored(store, [A], T, [300])
    assert segment_features(store, MODEL.key, B, T) == (0, 100)


def test_a_list_member_embedded_on_its_own_is_cached(store: InProcessCache) -> None:
    listed = DatasetRecord(
        "ab", "/ab", "csv", size=500, fingerprint="v-ab", segments=(*A.segments, *B.segments)
    )
    stored(store, [A], T2, [120])  # a prefix of A: 120 rows in chunk order
    assert segment_features(store, MODEL.key, listed, T) == (120, 0)
    stored(store, [B], T, [200], record_counts=False)  # old layout, one training segment
    assert segment_features(store, MODEL.key, listed, T) == (320, 100)


def test_a_test_set_used_for_training_is_cached_whole(store: InProcessCache) -> None:
    stored(store, [A, B], T, [300, 200])
    assert segment_features(store, MODEL.key, T, A) == (100, 300)


def test_old_results_of_several_training_segments_are_not_guessed(store: InProcessCache) -> None:
    stored(store, [A, B], T2, [300, 200], record_counts=False)  # which fps are training data?
    assert segment_features(store, MODEL.key, A, T) == (0, 0)


def test_the_snapshot_of_a_search_uses_them(store: InProcessCache) -> None:
    stored(store, [A], T, [300])
    spec = SearchSpec([MODEL], BoundDataset("b", B), BoundDataset("t", T), [COSINE], None, None)
    work = stored_work(store, spec)
    assert (list(work.train_samples), list(work.test_samples)) == ([0], [100])
    assert work.scored[0][0] == {}  # nothing scored on this data
