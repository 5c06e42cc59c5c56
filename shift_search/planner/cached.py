"""The stored-work snapshot: what the cache already holds for the searches a bound statement
makes, read once before planning, so the optimizer prices it at zero and answers from it.

A stored proxy result is keyed by the model, the data versions (the training segments'
fingerprints, then the test segments') and the proxy, and holds the resolved parameters and the
sample counts. From the results on exactly this data:
- features: a result on `train_samples` training samples means the model's test features and
  the features of that slice were embedded (features are evictable: one evicted since is still
  priced as cached);
- results: a proxy counts as scored on a slice when a result on that many training samples
  holds exactly the query's parameters; its error is kept, so a plan can read it instead of
  computing it. Defaults are resolved by the executor, so a proxy written with fewer parameters
  than it has is never taken as scored, only its features are.
Datasets with CHANGE mutations and dataset lists carry the segment fingerprints the executor
gives them (`binder.changed_segments`, `cache.dataset_versions`), so their results are found too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, assert_never

from shift_search.cache import keys
from shift_search.cache.records import DatasetRecord
from shift_search.cache.stored import ProxyScore
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundRanking,
    BoundSetOperation,
    BoundStatement,
    BoundUnsupported,
    BoundVariable,
    Proxy,
    SearchSpec,
)
from shift_search.planner.search_cost import Stored

SearchKey = tuple[tuple[str, ...], str, str, tuple[str, ...]]


class ResultStore(Protocol):
    """The part of the cache client the snapshot reads."""

    def scan(self, prefix: str) -> list[str]: ...

    def get_values(self, keys: Sequence[str]) -> list[bytes | None]: ...


@dataclass(frozen=True)
class StoredWork:
    """What the cache holds for each search of a statement (a search not read: nothing)."""

    searches: Mapping[SearchKey, Stored] = field(default_factory=dict)

    def of(self, spec: SearchSpec) -> Stored:
        return self.searches.get(search_key(spec)) or empty(spec)


def search_key(spec: SearchSpec) -> SearchKey:
    proxies = tuple(f"{p.name}:{sorted(p.params.items())!r}" for p in spec.proxies)
    models = tuple(m.key for m in spec.models)
    return models, spec.train.record.fingerprint, spec.test.record.fingerprint, proxies


def empty(spec: SearchSpec) -> Stored:
    m = len(spec.models)
    return Stored([0] * m, [0] * m, [[{}] * m for _ in spec.proxies])


def searches_of(bound: BoundStatement) -> list[SearchSpec]:
    """The task-aware searches a statement runs (a benchmark: one per pair)."""
    match bound:
        case BoundRanking(spec=spec) | BoundCascade(spec=spec) | BoundAuto(spec=spec):
            return [spec]
        case BoundBenchmark(models=models, proxy=proxy, pairs=pairs):
            return [SearchSpec(models, train, test, [proxy], None, None) for train, test in pairs]
        case BoundSetOperation(left=left, right=right):
            return searches_of(left) + searches_of(right)
        case BoundVariable(query=query):
            return searches_of(query)
        case BoundMetadata() | BoundFinetuneRanking() | BoundFinetune() | BoundUnsupported():
            return []
        case _:
            assert_never(bound)


def read_stored_work(cache: ResultStore, bound: BoundStatement) -> StoredWork:
    """The snapshot for every search of `bound` (one scan per model and search, one read)."""
    return StoredWork({search_key(spec): stored_work(cache, spec) for spec in searches_of(bound)})


def _fingerprints(record: DatasetRecord) -> list[str]:
    return [s.fingerprint for s in record.segments] or [record.fingerprint]


def stored_work(cache: ResultStore, spec: SearchSpec) -> Stored:
    """Per model: cached features, and per proxy the slices it was scored on, with errors."""
    fingerprints = _fingerprints(spec.train.record) + _fingerprints(spec.test.record)
    if not spec.models or not all(fingerprints):
        return empty(spec)
    found = [cache.scan(keys.proxy_results(model.key, fingerprints)) for model in spec.models]
    values = cache.get_values([k for ks in found for k in ks])
    results: list[list[tuple[str, ProxyScore]]] = []
    for ks in found:
        results.append(
            [(k, ProxyScore.from_json(v)) for k, v in zip(ks, values, strict=False) if v]
        )
        values = values[len(ks) :]
    trains = [max((r.train_samples for _, r in rs), default=0) for rs in results]
    tests = [max((r.test_samples for _, r in rs), default=0) for rs in results]
    scored = [[_slices(rs, proxy) for rs in results] for proxy in spec.proxies]
    return Stored(trains, tests, scored)


def _slices(
    results: Sequence[tuple[str, ProxyScore]], proxy: Proxy
) -> Mapping[int, tuple[float, str]]:
    """(error, key) per training-sample count with a stored result of exactly this proxy and
    parameters."""
    return {
        int(r.train_samples): (float(r.error), key)
        for key, r in results
        if r.proxy == proxy.name and dict(r.params) == dict(proxy.params)
    }
