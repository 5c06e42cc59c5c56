"""What the incremental tests share: a cache service on a store of its own, task environments
that use it, the tiny world's datasets, and exact comparisons of scores."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.executor.datasets.segments import SegmentReader
from shift_search.executor.runner import EncoderPool, TaskEnv, run_score
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.results import ScoreResult, TaskResult
from shift_search.tasks.specs import ProxySpec, ScoreTask, Selection

CHUNK = 64
NOISE = 0.3  # classes share words, so 1-NN errors are strictly between 0 and 1


class Env:
    """A cache service on its own store, and task environments that use it."""

    def __init__(self, store_url: str) -> None:
        self.server = ServiceServer().add(cache_registration(open_store(store_url)))
        self.server.start()
        self.cache = CacheClient(self.server.address)
        self.encoders = EncoderPool("cpu")

    def task(self, should_stop: Callable[[], bool] = lambda: False) -> TaskEnv:
        return TaskEnv(self.cache, SegmentReader(), self.encoders, should_stop=should_stop)

    def close(self) -> None:
        self.cache.close()
        self.server.stop(grace=0.2)


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


def run(
    env: Env,
    record: ModelRecord,
    train: DatasetRecord,
    test: DatasetRecord,
    proxy: str = "euclidean_nn",
    selection: Selection = None,
) -> TaskResult[ScoreResult]:
    """Score one model record with a proxy, through the cache service of `env`."""
    return run_score(env.task(), ScoreTask(record, train, test, ProxySpec(proxy), selection, CHUNK))


def exact(warm: TaskResult[ScoreResult], cold: TaskResult[ScoreResult]) -> bool:
    """The same float, bit for bit."""
    return struct.pack("<d", warm.outcome.error) == struct.pack("<d", cold.outcome.error)


def informative(result: TaskResult[ScoreResult]) -> bool:
    """An error that a wrong merge or relabel would change: neither 0 nor 1."""
    return 0.0 < result.outcome.error < 1.0
