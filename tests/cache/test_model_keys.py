"""A model's key (under which everything derived from it is stored) changes with every field
that changes its outputs and with no other; the catalog keeps one record per name either way,
including records written under the keys of an earlier release."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shift_search.cache import keys
from shift_search.cache.catalog import Catalog
from shift_search.cache.codec import dump_json
from shift_search.cache.records import MODEL_METADATA_FIELDS, MODEL_OUTPUT_FIELDS, ModelRecord
from shift_search.cache.store import Store

BASE = ModelRecord(name="bert", source="huggingface", uri="/models/bert")
OTHER_OUTPUTS: dict[str, Any] = {
    "source": "onnx",
    "uri": "/models/bert-v2",
    "revision": "v2",
    "modality": "image",
    "pooling": "first",
    "tokenizer": "/tokenizers/other",
}
OTHER_METADATA: dict[str, Any] = {
    "name": "bert",  # the name is the catalog identity: kept, so nothing to vary here
    "num_params": 110_000_000,
    "upstream_accuracy": 0.91,
    "dimension": 768,
    "inference_cost": 4.2,
    "load_cost": 1.5,
    "finetuned": True,
    "date_added": "2020-01-01T00:00:00+00:00",
    "parent": "bert-base",
    "tags": {"profiled_on": "cpu"},
}


def test_every_field_is_classified() -> None:
    fields = {f.name for f in dataclasses.fields(ModelRecord)}
    assert set(MODEL_OUTPUT_FIELDS).isdisjoint(MODEL_METADATA_FIELDS)
    assert fields == set(MODEL_OUTPUT_FIELDS) | set(MODEL_METADATA_FIELDS)
    assert OTHER_OUTPUTS.keys() == set(MODEL_OUTPUT_FIELDS)
    assert OTHER_METADATA.keys() == set(MODEL_METADATA_FIELDS)


@pytest.mark.parametrize("field", MODEL_OUTPUT_FIELDS)
def test_a_field_that_changes_outputs_changes_the_key(field: str) -> None:
    changed = dataclasses.replace(BASE, **{field: OTHER_OUTPUTS[field]})
    assert changed.key != BASE.key
    assert keys.features(changed.key, "rows") != keys.features(BASE.key, "rows")


@pytest.mark.parametrize("field", MODEL_METADATA_FIELDS)
def test_a_metadata_field_keeps_the_key(field: str) -> None:
    assert dataclasses.replace(BASE, **{field: OTHER_METADATA[field]}).key == BASE.key


def test_the_key_stays_readable() -> None:
    assert BASE.key.startswith("models/huggingface/bert@main~")


def test_reregistering_with_new_outputs_replaces_the_record(store: Store) -> None:
    catalog = Catalog(store)
    catalog.register_model(BASE)
    moved = catalog.register_model(dataclasses.replace(BASE, uri="/models/bert-v2"))
    assert catalog.get_model("bert") == moved
    assert [r.key for r in catalog.list_models()] == [moved.key]
    assert store.scan(keys.MODELS) == [keys.model(moved.key)]


def test_records_under_an_older_key_stay_in_the_catalog(store: Store) -> None:
    legacy = "models/huggingface/bert@main"  # how keys were built before the outputs digest
    store.put_many(
        {keys.model(legacy): dump_json(BASE.to_dict()), keys.model_name("bert"): legacy.encode()}
    )
    catalog = Catalog(store)
    assert catalog.list_models() == [BASE]
    assert catalog.get_model("bert") == BASE
    assert catalog.get_model(legacy) == BASE
    tuned = catalog.register_model(dataclasses.replace(BASE, inference_cost=4.2))
    assert catalog.list_models() == [tuned]
    assert store.scan(keys.MODELS) == [keys.model(tuned.key)]  # the old record is gone
    assert catalog.delete_model("bert") is True
    assert catalog.list_models() == [] and store.scan(keys.MODELS) == []


def test_deleting_a_record_under_an_older_key(store: Store) -> None:
    legacy = "models/huggingface/bert@main"
    store.put_many(
        {keys.model(legacy): dump_json(BASE.to_dict()), keys.model_name("bert"): legacy.encode()}
    )
    assert Catalog(store).delete_model(legacy) is True
    assert store.scan(keys.MODELS) == [] and store.get(keys.model_name("bert")) is None
