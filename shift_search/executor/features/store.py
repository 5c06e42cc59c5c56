"""Features of (model, segment chunk) through the cache: computed once, reused by every query.

Chunks are fixed-size pieces of a segment in its seeded shuffled order. A chunk is embedded on
its own (its batches are a function of its content alone), so a cached value depends only on
its key, never on which other chunks happened to be missing at the time. A missing chunk is
computed under a lease, so two tasks that need it at once compute it once; the features are
stored as compressed float16 only when complete.

The lease lasts `LEASE_SECONDS` and the task computing renews it every third of that, so a
computation that outlasts the lease is never duplicated, while a dead executor's lease expires
within a minute and another task takes the chunk over. Every task of a process leases under the
process's owner id and takes turns with the others through local per-chunk locks, so a lease the
process could not release (the store was unreachable) does not block its own later tasks.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.executor.datasets.chunks import chunk_indices, num_chunks
from shift_search.executor.datasets.fingerprint import rows_fingerprint
from shift_search.executor.datasets.segments import Segment
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import (
    as_stored,
    extract_features,
    from_float16_blob,
    to_float16_blob,
)
from shift_search.executor.phases import Phases
from shift_search.runtime.errors import Cancelled, InvalidArgument, NotFound, ShiftError

log = logging.getLogger("shift.executor.features")

SHUFFLE_SEED = 0
LEASE_SECONDS = 60.0
POLL_SECONDS = 0.2
PROCESS_OWNER = uuid.uuid4().hex
"""The lease owner of every task in this process."""


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


def chunks_for(segment_size: int, samples: int | None, chunk_size: int) -> int:
    """How many leading chunks cover the first `samples` rows of the shuffled order."""
    if segment_size == 0:
        return 0
    if samples is None or samples >= segment_size:
        return num_chunks(segment_size, chunk_size)
    return max(1, -(-samples // chunk_size))


@dataclass
class _Turn:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class _Turns:
    """Per-(owner, chunk) locks: the tasks of one process share a lease owner, so the store's
    lease cannot tell them apart; they take turns here instead."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._turns: dict[tuple[str, str], _Turn] = {}

    @contextmanager
    def take(self, name: tuple[str, str], should_stop: Callable[[], bool]) -> Iterator[None]:
        with self._guard:
            turn = self._turns.setdefault(name, _Turn())
            turn.users += 1
        try:
            while not turn.lock.acquire(timeout=POLL_SECONDS):
                if should_stop():
                    raise Cancelled("task cancelled")
            try:
                yield
            finally:
                turn.lock.release()
        finally:
            with self._guard:
                turn.users -= 1
                if not turn.users:
                    del self._turns[name]


_TURNS = _Turns()


class _Renewal:
    """Renews a held lease every third of its length until stopped (a heartbeat)."""

    def __init__(self, cache: CacheClient, lease: str, owner: str, seconds: float) -> None:
        self._cache = cache
        self._lease = lease
        self._owner = owner
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-renewal", daemon=True)

    def __enter__(self) -> _Renewal:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds)  # a renewal in flight ends before the release

    def _run(self) -> None:
        while not self._stop.wait(self._seconds / 3):
            try:
                if not self._cache.acquire_lease(self._lease, self._owner, self._seconds):
                    log.warning("lease %s expired and was taken over; computing on", self._lease)
            except ShiftError as err:  # the next beat tries again; the lease lasts 3 beats
                log.warning("lease %s not renewed: %s", self._lease, err.message)


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
        lease_seconds: float = LEASE_SECONDS,
        owner: str = PROCESS_OWNER,
        on_rows: Callable[[str, int], None] = lambda key, count: None,
    ) -> None:
        """`on_rows(key, count)`: after each block of rows is ready (computed or read), for
        progress. `lease_seconds` and `owner` are for tests: a short lease, another executor."""
        self._cache = cache
        self._model_key = model_key
        self._encoder = encoder
        self.chunk_size = chunk_size
        self._should_stop = should_stop
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._owner = owner
        self.stats = FeatureStats()
        self.phases = phases or Phases()
        self._on_rows = on_rows

    def rows(self, segment: Segment, rows: np.ndarray) -> np.ndarray:
        """Features of some rows of a segment, cached by their content (never by labels)."""
        if self._should_stop():
            raise Cancelled("task cancelled")
        key = keys.features(self._model_key, rows_fingerprint(segment.digests, rows))
        features = self._cached(key)
        if features is None:
            features = self._compute(key, segment, rows)
        else:
            self.stats.cached += 1
        self._on_rows(key, len(rows))
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
        with _TURNS.take((self._owner, key), self._should_stop):
            lease = keys.lease(key)
            while not self._lease(lease):
                if self._should_stop():
                    raise Cancelled("task cancelled")
                time.sleep(POLL_SECONDS)  # another executor computes it; wait for its result
                found = self._cached(key)
                if found is not None:
                    self.stats.cached += 1
                    return found
            try:
                with _Renewal(self._cache, lease, self._owner, self._lease_seconds):
                    return self._compute_leased(key, segment, rows)
            finally:
                with self.phases.timed("lookup"):
                    self._cache.release_lease(lease, self._owner)

    def _compute_leased(self, key: str, segment: Segment, rows: np.ndarray) -> np.ndarray:
        found = self._cached(key)  # stored while this task waited for its turn or the lease
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
        return as_stored(features)  # exactly what later readers will see

    def _lease(self, lease: str) -> bool:
        with self.phases.timed("lookup"):
            return self._cache.acquire_lease(lease, self._owner, self._lease_seconds)
