"""The key layout: one prefix, no collisions, canonical parameter hashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shift_search.cache import keys
from shift_search.runtime.errors import InvalidArgument

parts = st.text(min_size=1, max_size=12)


def test_every_key_has_the_versioned_prefix() -> None:
    built = [
        keys.model("models/huggingface/bert@main"),
        keys.model_name("bert"),
        keys.dataset("datasets/sst2@abc"),
        keys.dataset_name("sst2"),
        keys.features("m", "rows"),
        keys.nn_pair("m", "train-rows", "test-rows", "l2"),
        keys.proxy_result("m", ["tr", "te"], "knn", keys.params_hash({})),
        keys.finetune_result("m", ["tr"], keys.params_hash({})),
        keys.sh_state("run"),
        keys.history_seq(),
        keys.history_entry(1),
        keys.lease("task"),
    ]
    assert all(k.startswith("shift:v1:") for k in built)
    assert len(set(built)) == len(built)


def test_purge_prefixes_never_cover_the_catalog_history_or_leases() -> None:
    kept = [keys.model("m"), keys.dataset_name("d"), keys.history_entry(1), keys.lease("t")]
    for key in kept:
        assert not any(key.startswith(p) for p in keys.PURGE_PREFIXES)
    derived = [
        keys.features("m", "r"),
        keys.nn_pair("m", "r", "t", "l2"),
        keys.proxy_result("m", ["d"], "knn", "h"),
        keys.finetune_result("m", ["d"], "h"),
        keys.sh_state("r"),
    ]
    for key in derived:
        assert any(key.startswith(p) for p in keys.PURGE_PREFIXES)


def test_separators_inside_components_cannot_collide() -> None:
    assert keys.features("a:b", "c") != keys.features("a", "b:c")
    assert keys.proxy_result("m", ["a+b"], "p", "h") != keys.proxy_result("m", ["a", "b"], "p", "h")
    assert keys.model("models/x/y@main") == "shift:v1:catalog:model:models/x/y@main"


@settings(max_examples=200, deadline=None)
@given(st.tuples(parts, parts, parts), st.tuples(parts, parts, parts))
def test_feature_keys_are_injective(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    key_a = keys.nn_pair(a[0], a[1], a[2], "l2")
    key_b = keys.nn_pair(b[0], b[1], b[2], "l2")
    assert (key_a == key_b) == (a == b)


def test_history_keys_sort_in_sequence_order() -> None:
    assert sorted([keys.history_entry(10), keys.history_entry(9)]) == [
        keys.history_entry(9),
        keys.history_entry(10),
    ]


def test_params_hash_is_canonical() -> None:
    assert keys.params_hash({"lr": 0.1, "epochs": 100}) == keys.params_hash(
        {"epochs": 100.0, "lr": 0.1}
    )
    assert keys.params_hash({"lr": 0.1}) != keys.params_hash({"lr": 0.01})
    assert keys.params_hash({"dims": (1, 2)}) == keys.params_hash({"dims": [1, 2]})
    assert len(keys.params_hash({})) == 64


@pytest.mark.parametrize(
    "build",
    [
        lambda: keys.params_hash({"lr": float("nan")}),
        lambda: keys.params_hash({"f": object()}),
        lambda: keys.features("", "rows"),
        lambda: keys.history_entry(-1),
        lambda: keys.proxy_result("m", [], "p", "h"),
        lambda: keys.proxy_result("m", "fp", "p", "h"),
    ],
)
def test_bad_components_are_refused(build: object) -> None:
    with pytest.raises(InvalidArgument):
        build()  # type: ignore[operator]


def test_session_variables_have_a_key_each_under_their_session() -> None:
    key = keys.session_variable("s1", "Q1")
    assert key == keys.session_variable("s1", "q1")  # names ignore case
    assert key.startswith(keys.session_variables("s1"))
    assert not key.startswith(keys.session_variables("s2"))
    assert keys.session_variable("s1", "a/b") != keys.session_variable("s1", "a")
