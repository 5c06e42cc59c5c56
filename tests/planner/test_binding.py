"""Binding reads a catalog snapshot and nothing else; the fingerprints it gives datasets with
CHANGE mutations and dataset lists are the ones the executor computes from the data, so their
stored work is found before anything runs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shift_search.cache.records import DatasetRecord
from shift_search.executor.datasets.segments import SegmentReader, describe
from shift_search.parser import ast, parse
from shift_search.planner.binder import Binder
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.session import Session, Variable
from shift_search.runtime.errors import FailedPrecondition, NotFound
from tests.tiny_world import reviews_dataset, write_reviews


def described(record: DatasetRecord) -> DatasetRecord:
    """What registration stores: the record described from its content by the executor."""
    return describe(record, SegmentReader().read(record))


@pytest.fixture
def catalog(tmp_path: Path) -> CatalogSnapshot:
    write_reviews(tmp_path / "train.csv", 50, seed=0)
    write_reviews(tmp_path / "other.csv", 30, seed=1)
    with (tmp_path / "three.csv").open("w", newline="") as f:  # a class the others lack
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows([["good bad", "mixed"], ["fine", "pos"], ["awful", "neg"]])
    with (tmp_path / "labels.csv").open("w", newline="") as f:  # labels only
        csv.writer(f).writerows([["label"], *[["neg"]] * 20, *[["meh"]] * 5])
    records = [
        reviews_dataset("train", tmp_path / "train.csv"),
        reviews_dataset("other", tmp_path / "other.csv"),
        reviews_dataset("three", tmp_path / "three.csv"),
        DatasetRecord(
            name="labels", uri=str(tmp_path / "labels.csv"), format="csv", label_column="label"
        ),
    ]
    return CatalogSnapshot((), tuple(described(r) for r in records))


def bound_training_set(catalog: CatalogSnapshot, datasets: str) -> DatasetRecord:
    """The training set of a query, with variable `both` holding datasets train and other."""
    (stmt,) = parse(
        f'SELECT name FROM models ORDER BY err TRAINED ON {datasets} TESTED ON "other" '
        'CLASSIFIED BY ["Euclidean NN"];'
    ).statements
    assert isinstance(stmt, ast.Select) and stmt.trained_on is not None
    session = Session("s")
    session.declare(Variable("both", "datasets", ("train", "other"), stmt))
    return Binder(catalog, session).dataset(stmt.trained_on).record


def executor_fingerprints(record: DatasetRecord) -> list[str]:
    return [s.record.fingerprint for s in SegmentReader().read(record)]


@pytest.mark.parametrize(
    "datasets",
    [
        '("train" CHANGE [0, 3, 49] TO "other" [1, 2, 3])',
        '("train" CHANGE [0, 1, 2, 3, 4] TO "labels")',  # labels only, and a new class
        '["train", "other"]',
        '["train", "three"]',  # classes re-encoded over the union
        '["three", "train", "other"]',
    ],
)
def test_planner_fingerprints_equal_the_executors(catalog: CatalogSnapshot, datasets: str) -> None:
    record = bound_training_set(catalog, datasets)
    assert [s.fingerprint for s in record.segments] == executor_fingerprints(record)
    assert record.fingerprint == describe(record, SegmentReader().read(record)).fingerprint


def test_a_change_gives_new_fingerprints_only_to_the_segments_it_touches(
    catalog: CatalogSnapshot,
) -> None:
    plain = bound_training_set(catalog, '"both"')
    changed = bound_training_set(catalog, '("both" CHANGE [55] TO "three" [0])')
    assert changed.segments[0].fingerprint == plain.segments[0].fingerprint
    assert changed.segments[1].fingerprint != plain.segments[1].fingerprint
    assert [s.fingerprint for s in changed.segments] == executor_fingerprints(changed)


def test_an_undescribed_dataset_says_how_to_describe_it(tmp_path: Path) -> None:
    raw = reviews_dataset("raw", tmp_path / "raw.csv")
    binder = Binder(CatalogSnapshot((), (raw,)), Session("s"))
    with pytest.raises(FailedPrecondition) as err:
        binder.dataset(ast.DatasetName("raw"))
    assert 'dataset "raw" is not described' in err.value.message
    assert "REGISTER DATASET" in err.value.message and "shift register" in err.value.message


def test_unknown_names_are_not_found_with_the_catalogs_suggestions(
    catalog: CatalogSnapshot,
) -> None:
    binder = Binder(catalog, Session("s"))
    with pytest.raises(NotFound) as err:
        binder.dataset(ast.DatasetName("trian"))
    assert err.value.message.startswith('unknown dataset "trian"')
    assert err.value.suggestions == ("train",)
