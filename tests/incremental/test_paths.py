"""Incremental execution: each re-run pays only for what changed, and its result equals the
from-scratch result bit for bit (1-NN error), on a real cache service and a tiny real model."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cache.client import CacheClient
from services.cache.records import ChangeRecord, DatasetRecord, ModelRecord, SegmentRecord
from services.cache.service import registration as cache_registration
from services.cache.stores import open_store
from services.executor.runner import EncoderPool, ScoreOutcome, TaskEnv, run_score
from services.executor.segments import SegmentReader
from services.runtime.server import ServiceServer
from tests.tiny_world import make_tiny_bert, write_reviews

CHUNK = 64


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    make_tiny_bert(root / "bert-a", seed=0)
    make_tiny_bert(root / "bert-b", seed=3)
    write_reviews(root / "train.csv", 300, seed=0)
    write_reviews(root / "extra.csv", 40, seed=5)
    write_reviews(root / "test.csv", 90, seed=1)
    write_reviews(root / "test-extra.csv", 30, seed=7)
    with (root / "relabel.csv").open("w", newline="") as f:  # labels only: a label-only CHANGE
        writer = csv.writer(f)
        writer.writerow(["label"])
        writer.writerows([["neg"] if i % 3 else ["pos"] for i in range(300)])
    return root


class Env:
    """A cache service on its own SQLite file, and task environments that use it."""

    def __init__(self, path: Path) -> None:
        self.server = ServiceServer().add(cache_registration(open_store(f"sqlite:///{path}")))
        self.server.start()
        self.cache = CacheClient(self.server.address)
        self.encoders = EncoderPool("cpu")

    def task(self) -> TaskEnv:
        return TaskEnv(self.cache, SegmentReader(), self.encoders)

    def close(self) -> None:
        self.cache.close()
        self.server.stop(grace=0.2)


@pytest.fixture
def envs(tmp_path: Path) -> Iterator[tuple[Env, Env]]:
    """(incremental, from scratch): two stores that share nothing."""
    pair = (Env(tmp_path / "incremental.sqlite3"), Env(tmp_path / "scratch.sqlite3"))
    yield pair
    for env in pair:
        env.close()


def model(world: Path, name: str = "bert-a") -> ModelRecord:
    return ModelRecord(name=name, source="huggingface", uri=str(world / name))


def data(world: Path, *files: str) -> DatasetRecord:
    segments = tuple(
        SegmentRecord(uri=str(world / f), format="csv", size=0, fingerprint="") for f in files
    )
    return DatasetRecord(
        name="+".join(files),
        uri=str(world / files[0]),
        format="csv",
        input_column="text",
        label_column="label",
        segments=segments,
    )


def score(
    env: Env,
    world: Path,
    train: DatasetRecord,
    test: DatasetRecord,
    proxy: str = "euclidean_nn",
    name: str = "bert-a",
    selection: list[int] | None = None,
) -> ScoreOutcome:
    return run_score(env.task(), model(world, name), train, test, proxy, {}, selection, CHUNK)


def test_rerun_is_served_from_the_cache(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    first = score(inc, world, train, test)
    again = score(inc, world, train, test)
    assert not first.from_cache and again.from_cache
    assert again.error == first.error


def test_new_model_runs_only_its_own_work(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    score(inc, world, train, test, name="bert-a")
    new = score(inc, world, train, test, name="bert-b")
    assert new.chunks_cached == 0 and new.chunks_computed == 5 + 2  # its own chunks only
    assert score(inc, world, train, test, name="bert-a").from_cache


def test_appended_data_embeds_only_the_new_segment(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    test = data(world, "test.csv")
    score(inc, world, data(world, "train.csv"), test)
    appended = data(world, "train.csv", "extra.csv")
    after = score(inc, world, appended, test)
    assert after.chunks_computed == 1  # the 40 new rows: one chunk; old chunks come cached
    assert after.pairs_searched == 2 and after.pairs_reused == 5 * 2
    assert after.error == score(scratch, world, appended, test).error


def test_label_change_is_a_relabel_without_work(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    before = score(inc, world, train, test)
    relabel = DatasetRecord(
        name="relabel", uri=str(world / "relabel.csv"), format="csv", label_column="label"
    )
    changed = DatasetRecord(
        **{**train.__dict__, "changes": (ChangeRecord(tuple(range(0, 300, 2)), relabel, None),)}
    )
    after = score(inc, world, changed, test)
    assert after.chunks_computed == 0 and after.pairs_searched == 0
    assert after.error != before.error
    assert after.error == score(scratch, world, changed, test).error


def test_new_proxy_on_cached_features_needs_no_forward_pass(
    envs: tuple[Env, Env], world: Path
) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    score(inc, world, train, test, proxy="euclidean_nn")
    for proxy in ("cosine_nn", "linear", "knn", "logme"):
        outcome = score(inc, world, train, test, proxy=proxy)
        assert outcome.chunks_computed == 0, proxy
        assert outcome.error >= 0.0 or proxy == "logme"


def test_changed_test_set_searches_only_new_points(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train = data(world, "train.csv")
    score(inc, world, train, data(world, "test.csv"))
    grown = data(world, "test.csv", "test-extra.csv")
    after = score(inc, world, train, grown)
    assert after.pairs_searched == 5  # 5 training blocks × the one new test block
    assert after.chunks_computed == 1
    assert after.error == score(scratch, world, train, grown).error


def test_partial_selections_equal_from_scratch(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv", "extra.csv"), data(world, "test.csv")
    for samples in ([50, 7], [150, 20], [300, 40]):
        warm = score(inc, world, train, test, selection=samples)
        cold = score(scratch, world, train, test, selection=samples)
        assert warm.error == cold.error and warm.train_samples == sum(samples)


def test_concurrent_tasks_compute_each_chunk_once(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    outcomes: list[ScoreOutcome] = []

    def go(proxy: str) -> None:
        outcomes.append(score(inc, world, train, test, proxy=proxy))

    threads = [threading.Thread(target=go, args=(p,)) for p in ("euclidean_nn", "cosine_nn")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o.chunks_computed for o in outcomes) == 5 + 2
