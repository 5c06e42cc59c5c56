"""Catalog records seen as table rows: the columns SHiFT-QL can name, and their values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.stored import BenchmarkResult

Row = Mapping[str, Any]

MODEL_COLUMNS = (
    "name",
    "source",
    "uri",
    "modality",
    "num_params",
    "upstream_accuracy",
    "dimension",
    "inference_cost",
    "load_cost",
    "finetuned",
    "date_added",
    "revision",
    "pooling",
    "tokenizer",
    "parent",
    "key",
)
DATASET_COLUMNS = (
    "name",
    "uri",
    "format",
    "input_column",
    "label_column",
    "split",
    "slice",
    "size",
    "modality",
    "num_classes",
    "fingerprint",
    "date_added",
    "key",
)
BENCHMARK_COLUMNS = (
    "model",
    "dataset",
    "label",
    "modality",
    "category",
    "train_slice",
    "test_split",
    "learning_rate",
    "epochs",
    "batch_size",
    "seconds",
    "train_accuracy",
    "test_accuracy",
    "origin",
    "run",
)
"""The columns of benchmark_results: one row per fine-tuning run (`stored.BenchmarkResult`)."""
# What `SELECT *` shows: the columns people read, not every field.
MODEL_STAR = (
    "name",
    "source",
    "modality",
    "num_params",
    "upstream_accuracy",
    "dimension",
    "finetuned",
    "date_added",
)
DATASET_STAR = ("name", "format", "modality", "size", "num_classes", "uri")
BENCHMARK_STAR = (
    "model",
    "dataset",
    "label",
    "train_slice",
    "epochs",
    "learning_rate",
    "test_accuracy",
    "seconds",
)
STAR = {"models": MODEL_STAR, "datasets": DATASET_STAR, "benchmark_results": BENCHMARK_STAR}
NAME_COLUMN = {"models": "name", "datasets": "name", "benchmark_results": "model"}
"""What a row of each kind of table is named by: a result's names (what DECLARE keeps)."""

MODEL_TABLES = {"models": None, "text_models": "text", "image_models": "image"}
"""Model tables and the modality each one restricts to."""

MODALITY_ALIASES = {"vision": "image", "images": "image", "nlp": "text", "language": "text"}


def model_row(record: ModelRecord) -> dict[str, Any]:
    """A model as a row: its fields, then its free tags (fields win on a clash)."""
    row: dict[str, Any] = dict(record.tags)
    row.update({c: getattr(record, c) for c in MODEL_COLUMNS})
    return row


def dataset_row(record: DatasetRecord) -> dict[str, Any]:
    row: dict[str, Any] = dict(record.tags)
    row.update({c: getattr(record, c) for c in DATASET_COLUMNS})
    return row


def benchmark_row(result: BenchmarkResult) -> dict[str, Any]:
    return {c: getattr(result, c) for c in BENCHMARK_COLUMNS}


def known_columns(schema: Sequence[str], rows: Sequence[Row]) -> list[str]:
    """Every column a query may name: the schema plus any tag some row carries."""
    extra = sorted({k for row in rows for k in row} - set(schema))
    return [*schema, *extra]
