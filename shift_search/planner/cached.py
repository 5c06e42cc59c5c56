"""What the cache already holds for a task-aware search, so that EXPLAIN prices it at zero.

A stored proxy result is keyed by the model, the data versions (the training segments'
fingerprints, then the test segments') and the proxy, and holds the resolved parameters and the
sample counts. From the results on exactly this data:
- features: a result on `train_samples` training samples means the model's test features and
  the features of that slice were embedded (features are evictable: one evicted since is still
  priced as cached);
- results: a proxy counts as scored on a slice when a result on that many training samples
  holds exactly the query's parameters. Defaults are resolved by the executor, so a proxy
  written with fewer parameters than it has is never taken as scored, only its features are.
Datasets with CHANGE mutations are fingerprinted afresh by the executor when it reads them, so
their results are not found here and the search is priced as uncached.
"""

from __future__ import annotations

from collections.abc import Sequence

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord
from shift_search.cache.stored import ProxyScore
from shift_search.planner.search_cost import Stored
from shift_search.planner.task_aware import Proxy, SearchSpec


def _fingerprints(record: DatasetRecord) -> list[str]:
    return [s.fingerprint for s in record.segments] or [record.fingerprint]


def stored_work(cache: CacheClient, spec: SearchSpec) -> Stored:
    """Per model: cached features, and per proxy the slices it was scored on."""
    m = len(spec.models)
    fingerprints = _fingerprints(spec.train.record) + _fingerprints(spec.test.record)
    empty = Stored([0] * m, [0] * m, [[frozenset()] * m for _ in spec.proxies])
    if spec.train.record.changes or spec.test.record.changes or not all(fingerprints):
        return empty
    found = [cache.scan(keys.proxy_results(model.key, fingerprints)) for model in spec.models]
    values = cache.get_values([k for ks in found for k in ks])
    results: list[list[ProxyScore]] = []
    for ks in found:
        results.append([ProxyScore.from_json(v) for v in values[: len(ks)] if v])
        values = values[len(ks) :]
    trains = [max((r.train_samples for r in rs), default=0) for rs in results]
    tests = [max((r.test_samples for r in rs), default=0) for rs in results]
    scored = [[_slices(rs, proxy) for rs in results] for proxy in spec.proxies]
    return Stored(trains, tests, scored)


def _slices(results: Sequence[ProxyScore], proxy: Proxy) -> frozenset[int]:
    """Training-sample counts with a stored result of exactly this proxy and parameters."""
    return frozenset(
        int(r.train_samples)
        for r in results
        if r.proxy == proxy.name and dict(r.params) == dict(proxy.params)
    )
