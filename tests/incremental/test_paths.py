"""Incremental execution: each re-run pays only for what changed, and its result equals the
from-scratch result bit for bit (1-NN error), on a real cache service and a tiny real model.
The data has noisy labels, so every 1-NN error checked is strictly between 0 and 1."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from shift_search.cache.records import ChangeRecord, DatasetRecord
from shift_search.tasks.results import ScoreResult, TaskResult
from tests.incremental.support import Env, data, exact, informative, model, run

PROXIES = ("euclidean_nn", "cosine_nn", "linear", "knn", "logme")


def score(
    env: Env,
    world: Path,
    train: DatasetRecord,
    test: DatasetRecord,
    proxy: str = "euclidean_nn",
    name: str = "bert-a",
    selection: tuple[int, ...] | None = None,
) -> TaskResult[ScoreResult]:
    return run(env, model(world, name), train, test, proxy, selection)


def test_rerun_is_served_from_the_cache(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    first = score(inc, world, train, test)
    again = score(inc, world, train, test)
    assert not first.from_cache and again.from_cache
    assert again.outcome.error == first.outcome.error


def test_new_model_runs_only_its_own_work(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    score(inc, world, train, test, name="bert-a")
    new = score(inc, world, train, test, name="bert-b")
    assert (
        new.outcome.chunks_cached == 0 and new.outcome.chunks_computed == 5 + 2
    )  # its own chunks only
    assert score(inc, world, train, test, name="bert-a").from_cache
    assert informative(new)
    assert exact(new, score(scratch, world, train, test, name="bert-b"))


def test_appended_data_embeds_only_the_new_segment(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    test = data(world, "test.csv")
    score(inc, world, data(world, "train.csv"), test)
    appended = data(world, "train.csv", "extra.csv")
    after = score(inc, world, appended, test)
    assert after.outcome.chunks_computed == 1  # the 40 new rows: one chunk; old chunks come cached
    assert after.outcome.pairs_searched == 2 and after.outcome.pairs_reused == 5 * 2
    assert informative(after)
    assert exact(after, score(scratch, world, appended, test))


def test_label_change_is_a_relabel_without_work(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    before = score(inc, world, train, test)
    relabel = DatasetRecord(
        name="relabel", uri=str(world / "relabel.csv"), format="csv", label_column="label"
    )
    changed = DatasetRecord(
        **{**train.__dict__, "changes": (ChangeRecord(tuple(range(0, 300, 2)), relabel, None),)}
    )
    after = score(inc, world, changed, test)
    assert after.outcome.chunks_computed == 0 and after.outcome.pairs_searched == 0
    assert after.outcome.error != before.outcome.error
    assert informative(after)
    assert exact(after, score(scratch, world, changed, test))


def test_reregistered_label_column_is_a_relabel_without_work(
    envs: tuple[Env, Env], world: Path
) -> None:
    inc, scratch = envs
    test = data(world, "test.csv")
    original = replace(data(world, "train-fixed.csv"), label_column="label")
    before = score(inc, world, original, test)
    fixed = replace(original, label_column="fixed")  # the same file, another label column
    after = score(inc, world, fixed, test)
    assert not after.from_cache
    assert (
        after.outcome.chunks_computed == 0 and after.outcome.pairs_searched == 0
    )  # no forward pass, no search
    assert after.outcome.pairs_reused == 5 * 2  # every stored search, relabelled
    assert after.outcome.error != before.outcome.error
    assert informative(after)
    assert exact(after, score(scratch, world, fixed, test))


def test_new_proxy_on_cached_features_needs_no_forward_pass(
    envs: tuple[Env, Env], world: Path
) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    score(inc, world, train, test, proxy="euclidean_nn")
    for proxy in PROXIES[1:]:
        result = score(inc, world, train, test, proxy=proxy)
        assert not result.from_cache and result.outcome.chunks_computed == 0, proxy
        scratch.cache.purge()  # each from-scratch run embeds everything itself
        cold = score(scratch, world, train, test, proxy=proxy)
        assert cold.outcome.chunks_computed == 5 + 2, proxy
        assert exact(result, cold), proxy


def test_changed_test_set_searches_only_new_points(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train = data(world, "train.csv")
    score(inc, world, train, data(world, "test.csv"))
    grown = data(world, "test.csv", "test-extra.csv")
    after = score(inc, world, train, grown)
    assert after.outcome.pairs_searched == 5  # 5 training blocks × the one new test block
    assert after.outcome.chunks_computed == 1
    assert informative(after)
    assert exact(after, score(scratch, world, train, grown))


def test_partial_selections_equal_from_scratch(envs: tuple[Env, Env], world: Path) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv", "extra.csv"), data(world, "test.csv")
    for samples in ((50, 7), (150, 20), (300, 40)):
        warm = score(inc, world, train, test, selection=samples)
        cold = score(scratch, world, train, test, selection=samples)
        assert informative(warm), samples
        assert exact(warm, cold) and warm.outcome.train_samples == sum(samples)


def test_concurrent_tasks_compute_each_chunk_once(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    outcomes: list[TaskResult[ScoreResult]] = []

    def go(proxy: str) -> None:
        outcomes.append(score(inc, world, train, test, proxy=proxy))

    threads = [threading.Thread(target=go, args=(p,)) for p in ("euclidean_nn", "cosine_nn")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o.outcome.chunks_computed for o in outcomes) == 5 + 2
