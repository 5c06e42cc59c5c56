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
Features are also found segment by segment in the model's results on any data
(`segment_features`): a test set or a list member embedded for another query is cached here too.
Datasets with CHANGE mutations and dataset lists carry the segment fingerprints the executor
gives them (`binder.changed_segments`, `cache.dataset_versions`), so their results are found too.

RANK's scorers keep their results apart (`keys.scorer_results`), read the same way; SELECT vec's
Task2Vec embeddings are found by their keys (`keys.task_embedding`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, assert_never

from shift_search.cache import keys
from shift_search.cache.records import DatasetRecord
from shift_search.cache.stored import ProxyScore
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundDataset,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundMetaLearned,
    BoundRanking,
    BoundScorerRanking,
    BoundSetOperation,
    BoundSimilarity,
    BoundStatement,
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
    rankings: Mapping[SearchKey, Stored] = field(default_factory=dict)
    """RANK's scorer searches (their results are kept apart from proxies')."""
    embeddings: frozenset[str] = frozenset()
    """Keys of the Task2Vec embeddings SELECT vec needs that the cache holds."""

    def of(self, spec: SearchSpec) -> Stored:
        return self.searches.get(search_key(spec)) or empty(spec)

    def of_scorer(self, spec: SearchSpec) -> Stored:
        return self.rankings.get(search_key(spec)) or empty(spec)


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
        case (
            BoundRanking(spec=spec)
            | BoundMetaLearned(spec=spec)
            | BoundCascade(spec=spec)
            | BoundAuto(spec=spec)
        ):
            return [spec]
        case BoundBenchmark(models=models, proxy=proxy, pairs=pairs):
            return [SearchSpec(models, train, test, [proxy], None, None) for train, test in pairs]
        case BoundSetOperation(left=left, right=right):
            return searches_of(left) + searches_of(right)
        case BoundVariable(query=query):
            return searches_of(query)
        case (
            BoundMetadata()
            | BoundFinetuneRanking()
            | BoundFinetune()
            | BoundScorerRanking()
            | BoundSimilarity()
        ):
            return []
        case _:
            assert_never(bound)


def scorer_rankings_of(bound: BoundStatement) -> list[SearchSpec]:
    """The scorer searches (RANK) a statement runs."""
    match bound:
        case BoundScorerRanking(spec=spec):
            return [spec]
        case BoundSetOperation(left=left, right=right):
            return scorer_rankings_of(left) + scorer_rankings_of(right)
        case BoundVariable(query=query):
            return scorer_rankings_of(query)
        case _:
            return []


def similarities_of(bound: BoundStatement) -> list[BoundSimilarity]:
    """The SELECT vec a statement runs."""
    match bound:
        case BoundSimilarity():
            return [bound]
        case BoundVariable(query=query):
            return similarities_of(query)
        case _:
            return []


def embedding_key(similarity: BoundSimilarity, dataset: BoundDataset) -> str:
    """Where the Task2Vec embedding of one dataset of a SELECT vec is stored."""
    return keys.task_embedding(similarity.probe.key, dataset.record.fingerprint, similarity.params)


def read_stored_work(cache: ResultStore, bound: BoundStatement) -> StoredWork:
    """The snapshot for every search of `bound` (one scan per model and search, one read)."""
    searches = {search_key(spec): stored_work(cache, spec) for spec in searches_of(bound)}
    rankings = {
        search_key(spec): stored_work(cache, spec, keys.scorer_results)
        for spec in scorer_rankings_of(bound)
    }
    wanted = [embedding_key(s, d) for s in similarities_of(bound) for d in s.datasets]
    found = frozenset(k for k in wanted if k in cache.scan(k))
    return StoredWork(searches, rankings, found)


def _fingerprints(record: DatasetRecord) -> list[str]:
    return [s.fingerprint for s in record.segments] or [record.fingerprint]


def stored_work(
    cache: ResultStore,
    spec: SearchSpec,
    prefix: Callable[[str, Sequence[str]], str] = keys.proxy_results,
) -> Stored:
    """Per model: cached features, and per proxy the slices it was scored on, with errors
    (results under `prefix`: proxies', or RANK scorers')."""
    fingerprints = _fingerprints(spec.train.record) + _fingerprints(spec.test.record)
    if not spec.models or not all(fingerprints):
        return empty(spec)
    found = [cache.scan(prefix(model.key, fingerprints)) for model in spec.models]
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
    for i, model in enumerate(spec.models):
        answered = all(spec.train.size in s[i] for s in scored)
        if answered or (trains[i] >= spec.train.size and tests[i] >= spec.test.size):
            continue
        train, test = segment_features(cache, model.key, spec.train.record, spec.test.record)
        trains[i], tests[i] = max(trains[i], train), max(tests[i], test)
    return Stored(trains, tests, scored)


def segment_features(
    cache: ResultStore, model_key: str, train: DatasetRecord, test: DatasetRecord
) -> tuple[int, int]:
    """Training and test samples of this data whose features the model's results on any data
    show embedded, segment by segment (features are keyed by content, so a segment embedded
    for another query, as a list's member or as a test set, is cached for this one): a
    segment's prefix in chunk order as a result's training data, all of it as its test data.
    Counts per segment come from the result (`ProxyScore.train_counts`), or, for results
    stored before they were recorded, from one training segment's total."""
    result_keys = cache.scan(keys.model_proxy_results(model_key))
    seen: dict[str, int] = {}
    whole = -1  # a test segment: embedded whole, whatever its size
    test_fps = _fingerprints(test)
    for key, raw in zip(result_keys, cache.get_values(result_keys), strict=True):
        if raw is None:
            continue
        result = ProxyScore.from_json(raw)
        fps = keys.result_fingerprints(model_key, key)
        counts = list(result.train_counts)
        if not counts:  # stored before counts were: one training segment, or nothing known
            tail = len(fps) - len(test_fps)
            ends_with_test = tail > 0 and fps[tail:] == test_fps
            if (tail if ends_with_test else len(fps) - 1) != 1:
                continue
            counts = [result.train_samples]
        for fp, count in zip(fps, counts, strict=False):
            seen[fp] = whole if seen.get(fp) == whole else max(seen.get(fp, 0), count)
        for fp in fps[len(counts) :]:
            seen[fp] = whole
    return _covered(train, seen, whole), _covered(test, seen, whole)


def _covered(data: DatasetRecord, seen: Mapping[str, int], whole: int) -> int:
    """Samples of `data` whose features are cached: per segment, its cached prefix."""
    segments = [(s.fingerprint, s.size) for s in data.segments] or [
        (data.fingerprint, data.size or 0)
    ]
    total = 0
    for fp, size in segments:
        count = seen.get(fp, 0)
        total += size if count == whole else min(count, size)
    return total


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
