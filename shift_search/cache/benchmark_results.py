"""The table benchmark_results in the cache: one value per fine-tuning run
(`keys.benchmark_result`, a `stored.BenchmarkResult`), durable (PURGE keeps them).

Runs are keyed by their run id, so adding the same runs again changes nothing and adding a run
again with other figures replaces it. A batch is written in one PutValues call: all of it or
none of it is stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from shift_search.cache import keys
from shift_search.cache.stored import BenchmarkResult
from shift_search.runtime.errors import InvalidArgument

READ_BATCH = 4096
"""Values read per GetValues call (about 1.5 MB of JSON)."""


class ValueStore(Protocol):
    """The part of the cache client the table needs."""

    def get_values(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def put_values(self, items: Mapping[str, bytes], *, evictable: bool = False) -> None: ...

    def scan(self, prefix: str) -> list[str]: ...


@dataclass(frozen=True)
class Added:
    """What adding runs did: new runs, runs stored again with other figures, runs already
    stored exactly so."""

    added: int
    replaced: int
    unchanged: int


def add_results(store: ValueStore, results: Iterable[BenchmarkResult]) -> Added:
    """Store runs (the last of repeated run ids wins); unchanged runs are not written again."""
    values = {keys.benchmark_result(r.run): r.to_json() for r in results}
    names = list(values)
    old = dict(zip(names, _get(store, names), strict=True))
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        store.put_values(changed)
    replaced = sum(old[k] is not None for k in changed)
    return Added(len(changed) - replaced, replaced, len(values) - len(changed))


def list_results(store: ValueStore) -> list[BenchmarkResult]:
    """Every stored run, in key order."""
    names = store.scan(keys.BENCHMARK_RESULTS)
    return [BenchmarkResult.from_json(raw) for raw in _get(store, names) if raw is not None]


def _get(store: ValueStore, names: Sequence[str]) -> list[bytes | None]:
    out: list[bytes | None] = []
    for start in range(0, len(names), READ_BATCH):
        out += store.get_values(names[start : start + READ_BATCH])
    return out


def check_results(results: Sequence[BenchmarkResult], origin: str) -> None:
    """InvalidArgument for the first run that cannot be a row of the table (runs sent by any
    client, not only read by `benchmark_csv`): which run, of what, and why."""
    for index, r in enumerate(results):
        problem = _problem(r)
        if problem:
            what = f"run {index + 1} ({r.run or 'no id'})"
            raise InvalidArgument(f"{origin or '<request>'}: {what}: {problem}")


def _problem(r: BenchmarkResult) -> str:
    for name in ("run", "model", "dataset"):
        if not getattr(r, name).strip():
            return f"{name} is empty"
    for name in ("test_accuracy", "train_accuracy"):
        value = getattr(r, name)
        if value is not None and not 0.0 <= value <= 1.0:
            return f"{name} {value} does not lie between 0 and 1"
    for name in ("epochs", "batch_size"):
        value = getattr(r, name)
        if value is not None and value <= 0:
            return f"{name} {value} is not above 0"
    if r.seconds is not None and not (math.isfinite(r.seconds) and r.seconds >= 0):
        return f"seconds {r.seconds} is not a finite number of at least 0"
    if r.learning_rate is not None and not math.isfinite(r.learning_rate):
        return f"learning_rate {r.learning_rate} is not finite"
    return ""
