"""Features of (model, segment chunk) through the cache: computed once, reused by every query.

Chunks are fixed-size pieces of a segment in its seeded shuffled order. A missing chunk is
computed under a lease, so two tasks that need it at once compute it once; the features are
stored as compressed float16 only when complete.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from services.cache import keys
from services.cache.client import CacheClient
from services.executor.chunks import chunk_indices, num_chunks
from services.executor.encoders import Encoder
from services.executor.features import extract_features, from_float16_blob, to_float16_blob
from services.executor.segments import Segment
from services.runtime.errors import Cancelled, NotFound

SHUFFLE_SEED = 0
LEASE_SECONDS = 600.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ChunkFeatures:
    """Features of one chunk, the rows of the segment they belong to, and their labels."""

    index: int
    rows: np.ndarray  # int64 positions in the segment
    features: np.ndarray  # float32 [len(rows), D]
    labels: np.ndarray  # int64

    def global_rows(self, segment: Segment) -> np.ndarray:
        return segment.offset + self.rows


@dataclass
class FeatureStats:
    computed: int = 0
    cached: int = 0
    samples_embedded: int = 0
    embed_seconds: float = 0.0


def chunks_for(segment_size: int, samples: int | None, chunk_size: int) -> int:
    """How many leading chunks cover the first `samples` rows of the shuffled order."""
    if segment_size == 0:
        return 0
    if samples is None or samples >= segment_size:
        return num_chunks(segment_size, chunk_size)
    return max(1, -(-samples // chunk_size))


class FeatureStore:
    """Reads and fills the feature cache for one task."""

    def __init__(
        self,
        cache: CacheClient,
        model_key: str,
        encoder: Callable[[], Encoder],
        chunk_size: int,
        should_stop: Callable[[], bool] = lambda: False,
        batch_size: int = 64,
    ) -> None:
        self._cache = cache
        self._model_key = model_key
        self._encoder = encoder
        self.chunk_size = chunk_size
        self._should_stop = should_stop
        self._batch_size = batch_size
        self._owner = uuid.uuid4().hex
        self.stats = FeatureStats()

    def chunk(self, segment: Segment, index: int) -> ChunkFeatures:
        if self._should_stop():
            raise Cancelled("task cancelled")
        rows = chunk_indices(segment.size, self.chunk_size, SHUFFLE_SEED, index)
        key = keys.feature_chunk(
            self._model_key, segment.record.fingerprint, self.chunk_size, index
        )
        features = self._cached(key)
        if features is None:
            features = self._compute(key, segment, rows)
        else:
            self.stats.cached += 1
        return ChunkFeatures(index, rows, features, segment.data.labels[rows])

    def chunks(self, segment: Segment, count: int) -> list[ChunkFeatures]:
        return [self.chunk(segment, i) for i in range(count)]

    def all_features(self, segments: Sequence[Segment]) -> tuple[np.ndarray, np.ndarray]:
        """Features and labels of every sample, in the original (global) order."""
        parts = [c for seg in segments for c in self._with_order(seg)]
        if not parts:
            return np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
        order = np.concatenate([rows for rows, _, _ in parts])
        feats = np.concatenate([f for _, f, _ in parts])
        labels = np.concatenate([lab for _, _, lab in parts])
        inverse = np.argsort(order, kind="stable")
        return feats[inverse], labels[inverse]

    def _with_order(self, segment: Segment) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        count = chunks_for(segment.size, None, self.chunk_size)
        return [(c.global_rows(segment), c.features, c.labels) for c in self.chunks(segment, count)]

    def _cached(self, key: str) -> np.ndarray | None:
        try:
            return from_float16_blob(self._cache.get_blob(key))
        except NotFound:
            return None

    def _compute(self, key: str, segment: Segment, rows: np.ndarray) -> np.ndarray:
        lease = keys.lease(key)
        while not self._cache.acquire_lease(lease, self._owner, LEASE_SECONDS):
            time.sleep(POLL_SECONDS)  # another task computes it; wait for its result
            found = self._cached(key)
            if found is not None:
                self.stats.cached += 1
                return found
        try:
            found = self._cached(key)
            if found is not None:
                self.stats.cached += 1
                return found
            started = time.perf_counter()
            inputs = [segment.data.inputs[i] for i in rows]
            features = extract_features(self._encoder(), inputs, batch_size=self._batch_size)
            blob = to_float16_blob(features)
            self._cache.put_blob(key, blob, evictable=True)
            self.stats.computed += 1
            self.stats.samples_embedded += len(rows)
            self.stats.embed_seconds += time.perf_counter() - started
            return from_float16_blob(blob)  # exactly what later readers will see
        finally:
            self._cache.release_lease(lease, self._owner)
