"""Typed access to everything derived from the catalog: features, 1-NN summaries, proxy and
fine-tune results, successive-halving state, query history; and PURGE."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.cache import keys
from services.cache.codec import dump_json, load_json
from services.cache.store import Store


@dataclass(frozen=True)
class ChunkRef:
    """One chunk of a dataset segment as seen through one model."""

    model: str  # ModelRecord.key
    segment: str  # SegmentRecord.fingerprint
    chunk_size: int
    index: int

    def feature_key(self) -> str:
        return keys.feature_chunk(self.model, self.segment, self.chunk_size, self.index)

    def nn_key(self, test_fingerprint: str, metric: str) -> str:
        return keys.nn_summary(
            self.model, self.segment, self.chunk_size, self.index, test_fingerprint, metric
        )


@dataclass(frozen=True)
class ProxyResult:
    """A proxy score of a model on dataset versions (fingerprints in order, e.g. train, test)."""

    model: str
    datasets: tuple[str, ...]
    proxy: str
    error: float
    cost_seconds: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        return proxy_key(self.model, self.datasets, self.proxy, self.params)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProxyResult:
        return cls(**{**data, "datasets": tuple(data["datasets"])})


@dataclass(frozen=True)
class FinetuneResult:
    """Accuracy of a model fine-tuned on dataset versions; ``output_model`` is the new model key."""

    model: str
    datasets: tuple[str, ...]
    accuracy: float
    cost_seconds: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)
    output_model: str | None = None

    def key(self) -> str:
        return keys.finetune_result(self.model, self.datasets, keys.params_hash(self.params))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FinetuneResult:
        return cls(**{**data, "datasets": tuple(data["datasets"])})


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    entry: Mapping[str, Any]


def proxy_key(model: str, datasets: Sequence[str], proxy: str, params: Mapping[str, Any]) -> str:
    return keys.proxy_result(model, datasets, proxy, keys.params_hash(params))


def _as_dict(result: ProxyResult | FinetuneResult) -> dict[str, Any]:
    return {**dataclasses.asdict(result), "datasets": list(result.datasets)}


class Results:
    """Reads and writes of derived data; feature chunks are the only evictable values."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def put_features(self, chunk: ChunkRef, data: bytes) -> None:
        self._store.put(chunk.feature_key(), data, evictable=True)

    def put_features_many(self, chunks: Mapping[ChunkRef, bytes]) -> None:
        self._store.put_many({c.feature_key(): d for c, d in chunks.items()}, evictable=True)

    def get_features(self, chunks: Sequence[ChunkRef]) -> list[bytes | None]:
        return self._store.get_many([c.feature_key() for c in chunks])

    def put_nn_summary(self, chunk: ChunkRef, test: str, metric: str, data: bytes) -> None:
        self._store.put(chunk.nn_key(test, metric), data)

    def get_nn_summaries(
        self, chunks: Sequence[ChunkRef], test: str, metric: str
    ) -> list[bytes | None]:
        return self._store.get_many([c.nn_key(test, metric) for c in chunks])

    def put_proxy(self, result: ProxyResult) -> None:
        self._store.put(result.key(), dump_json(_as_dict(result)))

    def put_proxies(self, results: Sequence[ProxyResult]) -> None:
        self._store.put_many({r.key(): dump_json(_as_dict(r)) for r in results})

    def get_proxies(self, wanted: Sequence[str]) -> list[ProxyResult | None]:
        """Results for keys built with ``proxy_key``, in order (None where not computed)."""
        raws = self._store.get_many(wanted)
        return [None if r is None else ProxyResult.from_dict(load_json(r)) for r in raws]

    def get_proxy(
        self, model: str, datasets: Sequence[str], proxy: str, params: Mapping[str, Any]
    ) -> ProxyResult | None:
        return self.get_proxies([proxy_key(model, datasets, proxy, params)])[0]

    def put_finetune(self, result: FinetuneResult) -> None:
        self._store.put(result.key(), dump_json(_as_dict(result)))

    def get_finetune(
        self, model: str, datasets: Sequence[str], params: Mapping[str, Any]
    ) -> FinetuneResult | None:
        raw = self._store.get(keys.finetune_result(model, datasets, keys.params_hash(params)))
        return None if raw is None else FinetuneResult.from_dict(load_json(raw))

    def put_sh_state(self, run_id: str, state: Mapping[str, Any]) -> None:
        self._store.put(keys.sh_state(run_id), dump_json(state))

    def get_sh_state(self, run_id: str) -> dict[str, Any] | None:
        raw = self._store.get(keys.sh_state(run_id))
        return None if raw is None else dict(load_json(raw))

    def delete_sh_state(self, run_id: str) -> bool:
        return self._store.delete(keys.sh_state(run_id))

    def append_history(self, entry: Mapping[str, Any]) -> int:
        """Append an entry and return its sequence number (1, 2, …; unique across writers)."""
        seq = self._store.incr(keys.history_seq())
        self._store.put(keys.history_entry(seq), dump_json(entry))
        return seq

    def list_history(self, *, after: int = 0, limit: int | None = None) -> list[HistoryEntry]:
        """Entries with seq > ``after``, oldest first, at most ``limit`` of them."""
        names = [k for k in self._store.scan(keys.HISTORY_ENTRIES) if _seq(k) > after]
        names = names[:limit] if limit is not None else names
        raws = self._store.get_many(names)
        return [
            HistoryEntry(_seq(k), load_json(r))
            for k, r in zip(names, raws, strict=True)
            if r is not None
        ]


def _seq(history_key: str) -> int:
    return int(history_key.removeprefix(keys.HISTORY_ENTRIES))


def purge(store: Store) -> int:
    """Drop features, 1-NN summaries, results and SH state; keep the catalog and history.
    Returns the number of keys deleted."""
    return sum(store.delete_prefix(prefix) for prefix in keys.PURGE_PREFIXES)
