"""RANK's task: one model scored by one scorer on the training data (and the test data when the
query gave TESTED ON), from cached features or cached source predictions; and the proxies that
read the source model's predictions (LEEP and NCE as `ORDER BY LEEP`), with the same code.

A result is stored like a proxy's (`stored.ProxyScore`, error = −score; a scorer's under
`keys.scorer_score`, a proxy's under `keys.proxy_score`) and read back without work the next
time; a scorer that fails stores nothing."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from shift_search.cache import keys
from shift_search.cache.records import ModelRecord
from shift_search.cache.stored import ProxyScore
from shift_search.executor.features.store import Block, FeatureStats
from shift_search.executor.proxies.registry import ProxyInputs, get_proxy
from shift_search.executor.runner import TaskEnv, selected_blocks, selected_counts
from shift_search.executor.scorers.api import Scorer, ScorerInputs
from shift_search.executor.scorers.heads import source_predictions
from shift_search.executor.scorers.registry import get_scorer
from shift_search.runtime.errors import FailedPrecondition, ShiftError
from shift_search.tasks.results import ScoreResult, TaskResult
from shift_search.tasks.specs import RankTask, ScoreTask

Rows = tuple[np.ndarray, np.ndarray]


def run_rank(env: TaskEnv, task: RankTask) -> TaskResult[ScoreResult]:
    """Score `task.model` with `task.scorer`; from the cache when the result is stored."""
    model, chunk_size = task.model, task.chunk_size
    scorer = get_scorer(task.scorer)
    if scorer.needs_test and task.test is None:
        raise FailedPrecondition(f"scorer {scorer.name!r} needs TESTED ON data")
    env.progress("read", 0, 2, "reading data")
    with env.phases.timed("read"):
        train = env.reader.read(task.train)
        test = env.reader.read(task.test) if task.test is not None else None
    fingerprints = [s.record.fingerprint for s in [*train, *(train if test is None else test)]]
    key = keys.scorer_score(model.key, fingerprints, scorer.name, scorer.params, chunk_size)
    cached = env.cache.get_value(key)
    if cached is not None:
        stored = ProxyScore.from_json(cached)
        found = ScoreResult(
            scorer.name, stored.error, stored.train_samples, stored.test_samples, key
        )
        return TaskResult(found, from_cache=True)
    started = time.perf_counter()
    reader = _Rows(env, model, scorer, chunk_size)
    env.progress("embed", 0, sum(s.size for s in train), f"reading {scorer.inputs} of the rows")
    train_x, train_y = reader.rows(selected_blocks(train, None, chunk_size))
    test_rows = reader.rows(selected_blocks(test, None, chunk_size)) if test is not None else None
    test_x, test_y = test_rows if test_rows is not None else (None, None)
    inputs = ScorerInputs(
        train_x,
        train_y,
        test_x,
        test_y,
        identity=" ".join([model.key, *fingerprints]),
        should_stop=env.should_stop,
    )
    env.progress("proxy", 0, 1, f"computing {scorer.name}")
    with env.phases.timed("proxy"):
        score = _score(scorer, inputs, model)
    test_count = 0 if test_rows is None else len(test_rows[1])
    seconds = time.perf_counter() - started
    record = ProxyScore(
        -score, scorer.name, dict(scorer.params), model.key, len(train_y), test_count, seconds
    )
    env.cache.put_values({key: record.to_json()})
    stats = reader.stats
    result = ScoreResult(
        scorer.name, -score, len(train_y), test_count, key, stats.computed, stats.cached
    )
    return TaskResult(result)


def run_head_proxy(env: TaskEnv, task: ScoreTask) -> TaskResult[ScoreResult]:
    """A proxy that reads the model's own classifier (LEEP, NCE) on (a selection of) the
    training data; keyed and stored exactly as `runner.run_score` keys and stores proxies."""
    model, chunk_size = task.model, task.chunk_size
    proxy = get_proxy(task.proxy.name)
    resolved = proxy.resolve(task.proxy.params)
    env.progress("read", 0, 2, "reading data")
    with env.phases.timed("read"):
        train, test = env.reader.read(task.train), env.reader.read(task.test)
    counts = selected_counts(train, task.selection)
    fingerprints = [s.record.fingerprint for s in [*train, *test]]
    key = keys.proxy_score(model.key, fingerprints, proxy.name, resolved, counts, chunk_size)
    cached = env.cache.get_value(key)
    if cached is not None:
        stored = ProxyScore.from_json(cached)
        found = ScoreResult(proxy.name, stored.error, sum(counts), stored.test_samples, key)
        return TaskResult(found, from_cache=True)
    started = time.perf_counter()
    predictions = source_predictions(env, model, chunk_size)
    env.progress("embed", 0, sum(counts), "reading the source model's predictions")
    train_x, train_y = predictions.gather(selected_blocks(train, counts, chunk_size))
    env.progress("proxy", 0, 1, f"computing {proxy.name}")
    with env.phases.timed("proxy"):
        empty = (np.zeros((0, train_x.shape[1])), np.zeros(0, np.int64))
        data = ProxyInputs((train_x, train_y), empty, None, env.should_stop)
        error = float(proxy.compute_on(data, resolved).error)
    seconds = time.perf_counter() - started
    record = ProxyScore(error, proxy.name, resolved, model.key, len(train_y), 0, seconds)
    env.cache.put_values({key: record.to_json()})
    stats = predictions.stats
    result = ScoreResult(proxy.name, error, len(train_y), 0, key, stats.computed, stats.cached)
    return TaskResult(result)


class _Rows:
    """The rows a scorer reads: features, source predictions, or labels alone."""

    def __init__(self, env: TaskEnv, model: ModelRecord, scorer: Scorer, chunk_size: int) -> None:
        self.env, self.model, self.scorer, self.chunk_size = env, model, scorer, chunk_size
        self.stats = FeatureStats()

    def rows(self, blocks: Sequence[Block]) -> Rows:
        if not blocks:
            raise FailedPrecondition("the data holds no rows to score")
        match self.scorer.inputs:
            case "features":
                store = self.env.features(self.model, self.chunk_size)
                out = store.gather(blocks)
                self._count(store.stats)
            case "head":
                predictions = source_predictions(self.env, self.model, self.chunk_size)
                out = predictions.gather(blocks)
                self._count(predictions.stats)
            case "none":
                labels = np.concatenate([b.labels for b in blocks])
                out = (np.zeros((len(labels), 0), np.float32), labels)
        return out

    def _count(self, stats: FeatureStats) -> None:
        self.stats.computed += stats.computed
        self.stats.cached += stats.cached


def _score(scorer: Scorer, inputs: ScorerInputs, model: ModelRecord) -> float:
    """The scorer's value, finite; a plug-in's failure is reported as its own."""
    try:
        value = float(scorer.score(inputs))
    except ShiftError:
        raise
    except Exception as error:
        if not scorer.params.get("version"):
            raise
        raise FailedPrecondition(
            f"scorer plug-in {scorer.name!r} failed on model {model.name!r}: "
            f"{type(error).__name__}: {error}"
        ) from error
    if not math.isfinite(value):
        raise FailedPrecondition(f"scorer {scorer.name!r} gave {value} for model {model.name!r}")
    return value
