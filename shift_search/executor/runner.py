"""The executor's tasks, transport-free: embed, score (proxy), profile, describe.

Each task is idempotent and keyed by content: a result already in the cache is returned without
work, and every stored value is complete before it becomes visible.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.stored import ProxyScore
from shift_search.executor.datasets.segments import Segment, SegmentReader, describe
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import extract_features
from shift_search.executor.features.store import Block, FeatureStore, blocks
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.registry import load_encoder
from shift_search.executor.nearest_neighbour.task import PairStats, nn_error
from shift_search.executor.phases import Phases
from shift_search.executor.proxies.registry import ProxyInputs, get_proxy
from shift_search.runtime.errors import Cancelled, InvalidArgument
from shift_search.runtime.profile_inputs import PROFILE_BATCH, profile_texts
from shift_search.runtime.proxy_names import COSINE_NN, EUCLIDEAN_NN
from shift_search.tasks.results import EmbedResult, ProfileResult, ScoreResult, TaskResult
from shift_search.tasks.specs import EmbedTask, ProfileTask, ScoreTask

PACKAGED = "pypi:"
"""URI scheme of models that ship inside a PyPI package (see known_models.py)."""
NN_METRICS = {EUCLIDEAN_NN: "euclidean", COSINE_NN: "cosine"}

Progress = Callable[[str, int, int, str], None]


class EncoderPool:
    """Recently loaded encoders (loading dominates small tasks), keyed by model key."""

    def __init__(self, device: str | None, capacity: int = 2) -> None:
        self.device = device
        self._loaded: OrderedDict[str, Encoder] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def loaded_keys(self) -> tuple[str, ...]:
        """Keys of the models whose weights are loaded now (the work queue prefers their
        tasks for this executor)."""
        with self._lock:
            return tuple(self._loaded)

    def get(self, model: ModelRecord) -> Encoder:
        with self._lock:
            if model.key in self._loaded:
                self._loaded.move_to_end(model.key)
                return self._loaded[model.key]
        encoder = open_encoder(model, self.device)
        with self._lock:
            self._loaded[model.key] = encoder
            while len(self._loaded) > self._capacity:
                self._loaded.popitem(last=False)
        return encoder


def open_encoder(model: ModelRecord, device: str | None) -> Encoder:
    """Load a catalog model; `pypi:NAME` URIs resolve to the packaged models."""
    if model.uri.startswith(PACKAGED):
        known = resolve_known_model(model.uri.removeprefix(PACKAGED))
        return load_encoder(
            known.source,
            known.uri,
            modality=known.modality,
            pooling=known.pooling,
            tokenizer=known.tokenizer,
            device=device,
        )
    return load_encoder(
        model.source,
        model.uri,
        modality=model.modality,
        pooling=model.pooling,
        tokenizer=model.tokenizer,
        device=device,
    )


@dataclass
class TaskEnv:
    """What every task runs with."""

    cache: CacheClient
    reader: SegmentReader
    encoders: EncoderPool
    progress: Progress = lambda stage, done, total, message: None
    should_stop: Callable[[], bool] = lambda: False
    phases: Phases = field(default_factory=Phases)

    def check(self) -> None:
        if self.should_stop():
            raise Cancelled("task cancelled")

    def features(self, model: ModelRecord, chunk_size: int, total: int = 0) -> FeatureStore:
        """The feature store of one task; with `total`, each block of rows ready is reported
        as progress ("embed": rows so far of `total`)."""
        done: dict[str, int] = {}

        def ready(key: str, count: int) -> None:
            if total and key not in done:  # a block read again (1-NN pairs) counts once
                done[key] = count
                embedded = sum(done.values())
                self.progress("embed", embedded, total, f"{embedded} of {total} samples")

        return FeatureStore(
            self.cache,
            model.key,
            lambda: self.encoders.get(model),
            chunk_size,
            self.should_stop,
            phases=self.phases,
            on_rows=ready,
        )


def selected_counts(segments: Sequence[Segment], selection: Sequence[int] | None) -> list[int]:
    """Samples used per segment: all of every segment without a selection; with one, exactly the
    count it gives each segment (0 takes none of that segment; more than it holds takes all)."""
    if not selection:
        return [s.size for s in segments]
    if len(selection) != len(segments):
        raise InvalidArgument(
            f"selection names {len(selection)} segments but the dataset has {len(segments)}"
        )
    if any(n < 0 for n in selection):
        raise InvalidArgument(f"a selection cannot take a negative number of samples: {selection}")
    return [min(n, s.size) for n, s in zip(selection, segments, strict=True)]


def selected_blocks(
    segments: Sequence[Segment], counts: Sequence[int] | None, chunk_size: int
) -> list[Block]:
    """The blocks holding the selected rows (a segment that gives none gives no block)."""
    return [b for b in blocks(segments, counts, chunk_size) if len(b.rows)]


def run_score(env: TaskEnv, task: ScoreTask) -> TaskResult[ScoreResult]:
    """Score a model with a proxy trained on (a selection of) `train`, tested on `test`."""
    model, train, test, chunk_size = task.model, task.train, task.test, task.chunk_size
    proxy = get_proxy(task.proxy.name)
    if proxy.inputs != "features":  # dispatch sends these to scorers.task.run_head_proxy
        raise InvalidArgument(f"proxy {proxy.name} reads the model's classifier, not features")
    resolved = proxy.resolve(task.proxy.params)
    env.progress("read", 0, 2, "reading data")
    with env.phases.timed("read"):
        train_segments, test_segments = env.reader.read(train), env.reader.read(test)
    counts = selected_counts(train_segments, task.selection)
    fingerprints = [s.record.fingerprint for s in [*train_segments, *test_segments]]
    key = keys.proxy_score(model.key, fingerprints, proxy.name, resolved, counts, chunk_size)
    cached = env.cache.get_value(key)
    if cached is not None:
        stored = ProxyScore.from_json(cached)
        score = ScoreResult(proxy.name, stored.error, sum(counts), stored.test_samples, key)
        return TaskResult(score, from_cache=True)
    total = sum(counts) + sum(s.size for s in test_segments)
    store = env.features(model, chunk_size, total)
    env.progress("embed", 0, total, "embedding training and test data")
    started = time.perf_counter()
    pairs = PairStats()
    if proxy.name in NN_METRICS:
        summary = nn_error(
            model.key,
            selected_blocks(train_segments, counts, chunk_size),
            selected_blocks(test_segments, None, chunk_size),
            NN_METRICS[proxy.name],
            store.rows,
            env.cache.get_values,
            env.cache.put_values,
            pairs,
        )
        error, test_count = summary.error(), len(summary)
    else:
        test_x, test_y = store.gather(selected_blocks(test_segments, None, chunk_size))
        train_x, train_y = store.gather(selected_blocks(train_segments, counts, chunk_size))
        env.progress("proxy", 0, 1, f"computing {proxy.name}")
        with env.phases.timed("proxy"):
            data = ProxyInputs((train_x, train_y), (test_x, test_y), None, env.should_stop)
            error = proxy.compute_on(data, resolved).error
        test_count = len(test_y)
    seconds = time.perf_counter() - started
    stored = ProxyScore(
        float(error),
        proxy.name,
        resolved,
        model.key,
        int(sum(counts)),
        test_count,
        seconds,
        [int(c) for c in counts],
    )
    env.cache.put_values({key: stored.to_json()})
    score = ScoreResult(
        proxy.name,
        float(error),
        int(sum(counts)),
        test_count,
        key,
        store.stats.computed,
        store.stats.cached,
        pairs.searched,
        pairs.reused,
    )
    return TaskResult(score)


def run_embed(env: TaskEnv, task: EmbedTask) -> TaskResult[EmbedResult]:
    """Embed (a selection of) a dataset with a model into the feature cache."""
    with env.phases.timed("read"):
        segments = env.reader.read(task.dataset)
    counts = selected_counts(segments, task.selection)
    chunk_size = task.chunk_size
    store = env.features(task.model, chunk_size)
    total, dimension, done = sum(counts), 0, 0
    for block in selected_blocks(segments, counts, chunk_size):
        dimension = store.rows(block.segment, block.rows).shape[1]
        done += len(block.rows)
        env.progress("embed", done, total, f"{done} of {total} samples")
    embedded = EmbedResult(store.stats.computed, store.stats.cached, total, dimension)
    return TaskResult(embedded, from_cache=store.stats.computed == 0)


def run_profile(env: TaskEnv, task: ProfileTask) -> TaskResult[ProfileResult]:
    """Measure load time and inference time per sample on this executor's device."""
    model, samples = task.model, task.samples
    started = time.perf_counter()
    encoder = open_encoder(model, env.encoders.device)
    load_seconds = time.perf_counter() - started
    env.check()
    inputs = _profile_inputs(encoder.modality, max(samples, 8))
    extract_features(encoder, inputs[:PROFILE_BATCH], batch_size=PROFILE_BATCH)  # warm-up
    env.check()
    started = time.perf_counter()  # timed as feature extraction runs: its batches, its order
    extract_features(encoder, inputs, batch_size=PROFILE_BATCH)
    per_sample = (time.perf_counter() - started) / len(inputs)
    try:
        num_params = sum(p.numel() for p in encoder.trainable().parameters())
    except Exception:  # ONNX models cannot expose parameters
        num_params = model.num_params or 0
    measured = ProfileResult(
        load_seconds, per_sample, encoder.dimension, num_params, str(encoder.device)
    )
    return TaskResult(measured)


def _profile_inputs(modality: str, count: int) -> list[Any]:
    if modality == "image":
        rng = np.random.default_rng(0)
        return [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(count)]
    return profile_texts(count)


def run_describe(env: TaskEnv, dataset: DatasetRecord) -> DatasetRecord:
    """Fill in sizes, fingerprints and the class count from the dataset's content."""
    return describe(dataset, env.reader.read(dataset))
