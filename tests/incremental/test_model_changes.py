"""A model re-registered under the same name with a field that changes its outputs (pooling,
uri, tokenizer) is scored afresh and equals the from-scratch score; a change to metadata only
(costs, sizes, tags) keeps every cached result."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from shift_search.cache.records import ModelRecord
from tests.incremental.support import Env, data, exact, model, run

CHUNKS = 5 + 2  # 300 training and 90 test rows in chunks of 64


def changes(world: Path) -> dict[str, dict[str, Any]]:
    return {
        "pooling": {"pooling": "first"},
        "uri": {"uri": str(world / "bert-b")},
        "tokenizer": {"tokenizer": str(world / "tokenizer-shuffled")},
    }


def registered(env: Env, record: ModelRecord) -> ModelRecord:
    """Register `record` (replacing its name) and read it back, as the planner binds it."""
    env.cache.register_model(record)
    return env.cache.get_model(record.name)


@pytest.mark.parametrize("proxy", ["euclidean_nn", "logme"])
@pytest.mark.parametrize("field", ["pooling", "uri", "tokenizer"])
def test_changed_outputs_are_recomputed_and_equal_from_scratch(
    envs: tuple[Env, Env], world: Path, field: str, proxy: str
) -> None:
    inc, scratch = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    base = registered(inc, model(world))
    before = run(inc, base, train, test, proxy)
    assert before.outcome.chunks_computed == CHUNKS

    changed = registered(inc, dataclasses.replace(model(world), **changes(world)[field]))
    assert inc.cache.get_model("bert-a") == changed  # one catalog entry per name
    after = run(inc, changed, train, test, proxy)
    assert not after.from_cache
    assert after.outcome.chunks_computed == CHUNKS and after.outcome.chunks_cached == 0

    cold = run(scratch, registered(scratch, changed), train, test, proxy)
    assert exact(after, cold)
    if proxy == "logme":  # a continuous score: the change shows
        assert after.outcome.error != before.outcome.error


def test_metadata_changes_keep_cached_results(envs: tuple[Env, Env], world: Path) -> None:
    inc, _ = envs
    train, test = data(world, "train.csv"), data(world, "test.csv")
    before = run(inc, registered(inc, model(world)), train, test, "logme")
    profiled = dataclasses.replace(
        model(world),
        num_params=40_000,
        upstream_accuracy=0.7,
        dimension=32,
        inference_cost=1.5,
        load_cost=0.2,
        finetuned=True,
        parent="bert-base",
        date_added="2020-01-01T00:00:00+00:00",
        tags={"profiled_on": "cpu"},
    )
    after = run(inc, registered(inc, profiled), train, test, "logme")
    assert after.from_cache and exact(after, before)
    other_proxy = run(inc, registered(inc, profiled), train, test, "euclidean_nn")
    assert other_proxy.outcome.chunks_computed == 0 and other_proxy.outcome.chunks_cached == CHUNKS
