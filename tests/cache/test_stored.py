"""Every stored JSON value has one typed layout: what a writer stores, its readers read back,
and values stored by earlier releases (the same field names, other spacing) still read."""

from __future__ import annotations

import hashlib
import json
import math

from shift_search.cache import keys
from shift_search.cache.codec import dump_json
from shift_search.cache.stored import (
    FinetuneScore,
    HalvingState,
    ProxyScore,
    QueryLogEntry,
    StoredVariable,
)

OLD_PROXY_SCORE = {
    "error": 0.25,
    "proxy": "linear",
    "params": {"lr": 0.1, "epochs": 100, "optimizer": "sgd", "seed": 0},
    "model": "models/huggingface/bert@main~0123",
    "train_samples": 40,
    "test_samples": 12,
    "seconds": 1.5,
}


def test_a_proxy_score_is_stored_byte_for_byte_as_before_and_reads_back() -> None:
    score = ProxyScore.from_json(dump_json(OLD_PROXY_SCORE))
    assert (score.error, score.train_samples, score.params["lr"]) == (0.25, 40, 0.1)
    assert score.to_json() == dump_json(OLD_PROXY_SCORE)
    assert ProxyScore.from_json(score.to_json()) == score


def test_a_reader_ignores_fields_it_does_not_know_and_defaults_missing_ones() -> None:
    score = ProxyScore.from_json(b'{"error": 0.5, "written_by": "a later release"}')
    assert score == ProxyScore(0.5)


def test_a_finetune_score_reads_as_stored_with_or_without_a_model() -> None:
    old = {
        "model": None,
        "test_accuracy": 0.9,
        "head_accuracy_before": 0.5,
        "train_loss": 0.1,
        "steps": 20,
        "seconds": 3.0,
    }
    score = FinetuneScore.from_json(json.dumps(old).encode())
    assert score == FinetuneScore(0.9, 0.5, 0.1, 20, None, 3.0)
    assert score.to_json() == dump_json(old)
    assert FinetuneScore.from_json(FinetuneScore(0.9, 0.5, 0.1, 20, "tuned").to_json()).model


def test_a_halving_state_keeps_errors_that_are_not_numbers() -> None:
    state = HalvingState("Cosine NN", 1, 3, 60, ["a"], ["b", "c"], {"a": 0.1, "b": math.nan})
    again = HalvingState.from_json(state.to_json())
    assert again.survivors == ["a"] and math.isnan(again.scores["b"])
    old = json.dumps(state.to_dict()).encode()  # as the planner wrote it before
    assert HalvingState.from_json(old).eliminated == ["b", "c"]


def test_session_variables_read_from_both_layouts() -> None:
    one = {"name": "best", "kind": "models", "members": ["a", "b"], "query": "SELECT * FROM m"}
    legacy = json.dumps([one, {**one, "name": "other"}]).encode()  # one value per session
    assert [v.name for v in StoredVariable.all_from_json(legacy)] == ["best", "other"]
    per_variable = json.dumps(one).encode()  # one value per variable
    assert StoredVariable.all_from_json(per_variable) == [StoredVariable.from_dict(one)]
    assert StoredVariable.from_json(StoredVariable.from_dict(one).to_json()).members == ["a", "b"]


def test_a_query_log_entry_leaves_out_what_did_not_happen() -> None:
    done = QueryLogEntry("2024-01-01T00:00:00+00:00", "s", "PURGE;", "Purge", 0.1, 0)
    assert json.loads(done.to_json())["remaining_tasks"] == 0
    assert "error" not in json.loads(done.to_json())
    failed = QueryLogEntry.from_dict({**done.to_dict(), "remaining_tasks": None, "error": "X"})
    assert "remaining_tasks" not in json.loads(failed.to_json())
    assert QueryLogEntry.from_json(failed.to_json()) == failed


def test_keys_of_stored_results_are_those_built_before() -> None:
    params, samples = {"lr": 0.1}, [40, 0]
    digest = keys.params_hash({"params": params, "samples": samples, "chunk_size": 1024})
    key = keys.proxy_score("m", ["tr", "te"], "linear", params, samples, 1024)
    assert key == keys.proxy_result("m", ["tr", "te"], "linear", digest)
    assert key.startswith(keys.proxy_results("m", ["tr", "te"]))
    assert not key.startswith(keys.proxy_results("m", ["tr"]))
    hyper = {"epochs": 1}
    assert keys.finetune_score("m", ["d"], hyper) == keys.finetune_result(
        "m", ["d"], keys.params_hash(hyper)
    )


def test_a_halving_run_id_is_the_hash_it_always_was() -> None:
    body = {
        "models": ["a", "b"],
        "train": "tr",
        "test": "te",
        "proxies": [("knn", sorted({"k": 3}.items()))],
        "chunk": None,
        "budget": 8,
    }
    before = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    assert keys.sh_run_id(["b", "a"], "tr", "te", [("knn", {"k": 3})], None, 8) == before[:32]
