"""Features of (model, segment chunk) through the cache: computed once, reused by every query.

Chunks are fixed-size pieces of a segment in its seeded shuffled order. A chunk is embedded on
its own (its batches are a function of its content alone), so a cached value depends only on
its key, never on which other chunks happened to be missing at the time. A missing chunk is
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
from services.executor.datasets_fingerprint import rows_fingerprint
from services.executor.encoders import Encoder
from services.executor.features import (
    as_stored,
    extract_features,
    from_float16_blob,
    to_float16_blob,
)
from services.executor.phases import Phases
from services.executor.segments import Segment
from services.runtime.errors import Cancelled, InvalidArgument, NotFound

SHUFFLE_SEED = 0
LEASE_SECONDS = 600.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Block:
    """Some rows of a segment, in ascending order: the unit of feature caching and of 1-NN
    searches, keyed by content (row positions and input digests, never labels)."""

    segment: Segment
    rows: np.ndarray

    @property
    def fingerprint(self) -> str:
        return rows_fingerprint(self.segment.digests, self.rows)

    @property
    def labels(self) -> np.ndarray:
        return self.segment.data.labels[self.rows]


def blocks(segments: Sequence[Segment], counts: Sequence[int] | None, chunk: int) -> list[Block]:
    """The blocks covering the first `counts[i]` shuffled rows of each segment (all if None):
    whole chunks, and the leading part of the last one."""
    out = []
    for i, segment in enumerate(segments):
        remaining = segment.size if counts is None else counts[i]
        for index in range(chunks_for(segment.size, remaining, chunk)):
            rows = chunk_indices(segment.size, chunk, SHUFFLE_SEED, index)[:remaining]
            remaining -= len(rows)
            out.append(Block(segment, np.sort(rows)))
    return out


@dataclass
class FeatureStats:
    computed: int = 0
    cached: int = 0
    samples_embedded: int = 0


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
        phases: Phases | None = None,
    ) -> None:
        self._cache = cache
        self._model_key = model_key
        self._encoder = encoder
        self.chunk_size = chunk_size
        self._should_stop = should_stop
        self._batch_size = batch_size
        self._owner = uuid.uuid4().hex
        self.stats = FeatureStats()
        self.phases = phases or Phases()

    def rows(self, segment: Segment, rows: np.ndarray) -> np.ndarray:
        """Features of some rows of a segment, cached by their content (never by labels)."""
        if self._should_stop():
            raise Cancelled("task cancelled")
        key = keys.features(self._model_key, rows_fingerprint(segment.digests, rows))
        features = self._cached(key)
        if features is None:
            return self._compute(key, segment, rows)
        self.stats.cached += 1
        return features

    def gather(self, chosen: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
        """Features and labels of the given blocks, concatenated in block order."""
        if not chosen:
            raise InvalidArgument("no samples selected")
        feats = [self.rows(b.segment, b.rows) for b in chosen]
        return np.concatenate(feats), np.concatenate([b.labels for b in chosen])

    def _cached(self, key: str) -> np.ndarray | None:
        with self.phases.timed("lookup"):
            try:
                return from_float16_blob(self._cache.get_blob(key))
            except NotFound:
                return None

    def _compute(self, key: str, segment: Segment, rows: np.ndarray) -> np.ndarray:
        lease = keys.lease(key)
        while not self._lease(lease):
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
            with self.phases.timed("extract"):
                inputs = [segment.data.inputs[i] for i in rows]
                features = extract_features(
                    self._encoder(),
                    inputs,
                    batch_size=self._batch_size,
                    should_stop=self._should_stop,
                )
            with self.phases.timed("store"):
                blob = to_float16_blob(features)
                self._cache.put_blob(key, blob, evictable=True)
            self.stats.computed += 1
            self.stats.samples_embedded += len(rows)
            return as_stored(features)  # exactly what later readers will see
        finally:
            with self.phases.timed("lookup"):
                self._cache.release_lease(lease, self._owner)

    def _lease(self, lease: str) -> bool:
        with self.phases.timed("lookup"):
            return self._cache.acquire_lease(lease, self._owner, LEASE_SECONDS)
