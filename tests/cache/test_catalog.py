"""The catalog on both stores: upsert by name, lookups, filters, suggestions, validation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shift_search.cache.catalog import Catalog, DatasetFilter, ModelFilter
from shift_search.cache.convert import dataset_from_proto, dataset_to_proto
from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.store import Store
from shift_search.runtime.errors import AlreadyExists, InvalidArgument, NotFound


def model(name: str, **fields: Any) -> ModelRecord:
    return ModelRecord(name=name, source=fields.pop("source", "huggingface"), uri=name, **fields)


def dataset(name: str, **fields: Any) -> DatasetRecord:
    return DatasetRecord(
        name=name, uri=f"/data/{name}", format=fields.pop("format", "csv"), **fields
    )


@pytest.fixture
def catalog(store: Store) -> Catalog:
    return Catalog(store)


@pytest.fixture
def pool(catalog: Catalog) -> list[ModelRecord]:
    records = [
        model("bert-base-uncased", num_params=110_000_000, upstream_accuracy=0.9),
        model("distilbert-base", num_params=66_000_000),
        model("vit-small", modality="image", num_params=22_000_000),
        model("minilm-onnx", source="onnx"),
        model("bert-base-uncased-sst2", finetuned=True, parent="bert-base-uncased"),
    ]
    for record in records:
        catalog.register_model(record)
    return records


def test_register_and_get_by_name_or_key(catalog: Catalog) -> None:
    record = model("bert", tags={"family": "bert"}, dimension=768)
    assert catalog.register_model(record) == record
    assert catalog.get_model("bert") == record
    assert catalog.get_model(record.key) == record
    with pytest.raises(NotFound):
        catalog.get_model("nothing")


def test_list_is_sorted_by_name(catalog: Catalog, pool: list[ModelRecord]) -> None:
    names = [r.name for r in catalog.list_models()]
    assert names == sorted(r.name for r in pool)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (ModelFilter(modality="image"), ["vit-small"]),
        (ModelFilter(source="onnx"), ["minilm-onnx"]),
        (ModelFilter(finetuned=True), ["bert-base-uncased-sst2"]),
        (ModelFilter(finetuned=False, name_prefix="bert"), ["bert-base-uncased"]),
        (ModelFilter(max_params=70_000_000), ["distilbert-base", "vit-small"]),
        (ModelFilter(modality="text", max_params=10), []),
    ],
)
def test_filters(
    catalog: Catalog, pool: list[ModelRecord], flt: ModelFilter, expected: list[str]
) -> None:
    assert [r.name for r in catalog.list_models(flt)] == expected


def test_registering_a_name_again_replaces_it(catalog: Catalog) -> None:
    old = catalog.register_model(model("m", revision="v1"))
    new = catalog.register_model(model("m", revision="v2", dimension=32))
    assert catalog.get_model("m") == new
    assert [r.key for r in catalog.list_models()] == [new.key]
    with pytest.raises(NotFound):
        catalog.get_model(old.key)


def test_replace_false_refuses_an_existing_name(catalog: Catalog) -> None:
    catalog.register_model(model("m"))
    with pytest.raises(AlreadyExists, match='"m"'):
        catalog.register_model(model("m", source="local"), replace=False)
    assert catalog.get_model("m").source == "huggingface"


def test_unknown_name_suggests_close_ones(catalog: Catalog, pool: list[ModelRecord]) -> None:
    with pytest.raises(NotFound) as caught:
        catalog.get_model("bert-base-uncasd")
    assert "bert-base-uncased" in caught.value.suggestions
    assert "did you mean" in caught.value.message
    with pytest.raises(NotFound) as nothing_close:
        catalog.get_model("zzzzzz")
    assert nothing_close.value.suggestions == ()


def test_delete(catalog: Catalog, pool: list[ModelRecord]) -> None:
    assert catalog.delete_model("vit-small") is True
    assert catalog.delete_model("vit-small") is False
    assert catalog.delete_model(pool[0].key) is True
    assert "vit-small" not in [r.name for r in catalog.list_models()]
    with pytest.raises(NotFound):
        catalog.get_model(pool[0].name)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"uri": ""}, "uri"),
        ({"source": "tfhub"}, "source"),
        ({"modality": "audio"}, "modality"),
        ({"pooling": "max"}, "pooling"),
        ({"num_params": -1}, "num_params"),
        ({"dimension": 0}, "dimension"),
        ({"upstream_accuracy": float("nan")}, "upstream_accuracy"),
        ({"inference_cost": -0.5}, "inference_cost"),
    ],
)
def test_model_validation_names_the_field(
    catalog: Catalog, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgument, match=field):
        catalog.register_model(dataclasses.replace(model("m"), **changes))
    assert catalog.list_models() == []


def test_dataset_round_trip_with_segments(catalog: Catalog) -> None:
    segments = (
        SegmentRecord(uri="/d/a.csv", format="csv", size=100, fingerprint="fa"),
        SegmentRecord(uri="/d/b.csv", format="csv", size=10, fingerprint="fb", slice="0:10"),
    )
    record = dataset(
        "sst2", size=110, num_classes=2, fingerprint="v2", segments=segments, mean_input_chars=61.5
    )
    catalog.register_dataset(record)
    assert catalog.get_dataset("sst2") == record
    assert catalog.get_dataset("datasets/sst2@v2") == record


def test_dataset_new_version_replaces_old(catalog: Catalog) -> None:
    catalog.register_dataset(dataset("d", fingerprint="v1"))
    catalog.register_dataset(dataset("d", fingerprint="v2"))
    assert [r.fingerprint for r in catalog.list_datasets()] == ["v2"]
    with pytest.raises(NotFound):
        catalog.get_dataset("datasets/d@v1")


def test_dataset_filters_and_suggestions(catalog: Catalog) -> None:
    catalog.register_dataset(dataset("cola"))
    catalog.register_dataset(dataset("cifar", modality="image", format="imagefolder"))
    assert [r.name for r in catalog.list_datasets(DatasetFilter(modality="image"))] == ["cifar"]
    assert [r.name for r in catalog.list_datasets(DatasetFilter(name_prefix="co"))] == ["cola"]
    with pytest.raises(NotFound) as caught:
        catalog.get_dataset("colaa")
    assert caught.value.suggestions == ("cola",)
    assert catalog.delete_dataset("cola") is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"format": "xlsx"}, "format"),
        ({"modality": "video"}, "modality"),
        ({"size": -3}, "size"),
        ({"num_classes": 0}, "num_classes"),
        ({"slice": "1-2"}, "slice"),
        ({"segments": (SegmentRecord(uri="u", format="csv", size=-1, fingerprint="f"),)}, "size"),
        ({"segments": (SegmentRecord(uri="u", format="csv", size=1, fingerprint=""),)}, "finger"),
    ],
)
def test_dataset_validation_names_the_field(
    catalog: Catalog, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgument, match=field):
        catalog.register_dataset(dataclasses.replace(dataset("d"), **changes))
    assert catalog.list_datasets() == []


def test_models_and_datasets_are_separate_namespaces(catalog: Catalog) -> None:
    catalog.register_model(model("same"))
    catalog.register_dataset(dataset("same"))
    assert catalog.get_model("same").uri == "same"
    assert catalog.get_dataset("same").uri == "/data/same"


def test_dataset_survives_the_protobuf_round_trip() -> None:
    segments = (SegmentRecord(uri="/d/a.csv", format="csv", size=100, fingerprint="fa"),)
    record = dataset(
        "d",
        size=100,
        num_classes=3,
        segments=segments,
        mean_input_chars=42.25,
        mean_input_tokens=11.5,
    )
    assert dataset_from_proto(dataset_to_proto(record)) == record
    bare = dataset_from_proto(dataset_to_proto(dataset("e")))
    assert bare.mean_input_chars is None and bare.mean_input_tokens is None
