"""REGISTER DATASET / MODEL: column-value pairs (either dialect) into catalog records."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.parser import ast
from shift_search.planner.predicates import literal
from shift_search.planner.tables import MODALITY_ALIASES
from shift_search.runtime.confinement import check_dataset_uri, check_model_uri
from shift_search.runtime.errors import InvalidArgument

DATASET_ALIASES = {
    "uri": "uri",
    "path": "uri",
    "file": "uri",
    "tf_dataset_name": "uri",
    "hf_dataset": "uri",
    "format": "format",
    "input_column": "input_column",
    "text_column": "input_column",
    "image_column": "input_column",
    "embed_feature_path": "input_column",
    "label_column": "label_column",
    "label": "label_column",
    "label_feature_path": "label_column",
    "split": "split",
    "slice": "slice",
    "size": "size",
    "modality": "modality",
    "input": "modality",
    "num_classes": "num_classes",
}
MODEL_ALIASES = {
    "source": "source",
    "uri": "uri",
    "path": "uri",
    "hub": "uri",
    "modality": "modality",
    "input": "modality",
    "num_params": "num_params",
    "params": "num_params",
    "numparams": "num_params",
    "upstream_accuracy": "upstream_accuracy",
    "up_acc": "upstream_accuracy",
    "upstreamaccuracy": "upstream_accuracy",
    "dimension": "dimension",
    "inference_cost": "inference_cost",
    "load_cost": "load_cost",
    "finetuned": "finetuned",
    "pooling": "pooling",
    "tokenizer": "tokenizer",
    "revision": "revision",
    "parent": "parent",
}
FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".npz": "numpy",
}
INTEGER_FIELDS = {"size", "num_classes", "num_params", "dimension"}
FLOAT_FIELDS = {"upstream_accuracy", "inference_cost", "load_cost"}


def _pairs(stmt: ast.RegisterDataset | ast.RegisterModel) -> list[tuple[str, Any]]:
    if len(stmt.columns) != len(stmt.values):
        raise InvalidArgument(
            f"REGISTER {stmt.name!r}: {len(stmt.columns)} columns but {len(stmt.values)} values"
        )
    return [(c.lower(), literal(v)) for c, v in zip(stmt.columns, stmt.values, strict=True)]


def _fields(
    stmt: ast.RegisterDataset | ast.RegisterModel, aliases: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    fields: dict[str, Any] = {}
    tags: dict[str, str] = {}
    for column, value in _pairs(stmt):
        target = aliases.get(column)
        if target is None:
            tags[column] = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
            continue
        if isinstance(value, tuple):  # the reference dialect writes ["sentence"]
            value = value[0] if len(value) == 1 else ",".join(map(str, value))
        fields[target] = _typed(target, value, stmt.name)
    return fields, tags


def _typed(field: str, value: Any, owner: str) -> Any:
    try:
        if field in INTEGER_FIELDS and value is not None:
            return int(value)
        if field in FLOAT_FIELDS and value is not None:
            return float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"REGISTER {owner!r}: {field} must be a number, not {value!r}"
        ) from None
    if field == "finetuned":
        return str(value).lower() in ("1", "true", "yes")
    if field == "modality":
        text = str(value).lower()
        return MODALITY_ALIASES.get(text, text)
    return value if value is None else str(value) if not isinstance(value, int | float) else value


def dataset_record(stmt: ast.RegisterDataset) -> DatasetRecord:
    fields, tags = _fields(stmt, DATASET_ALIASES)
    uri = fields.get("uri")
    if not uri:
        raise InvalidArgument(f"REGISTER DATASET {stmt.name!r} needs a uri (or path)")
    fields.setdefault("format", guess_format(str(uri)))
    check_dataset_uri(str(uri), str(fields["format"]))
    return DatasetRecord(name=stmt.name, tags=tags, **fields)


def model_record(stmt: ast.RegisterModel) -> ModelRecord:
    fields, tags = _fields(stmt, MODEL_ALIASES)
    if not fields.get("uri"):
        raise InvalidArgument(f"REGISTER MODEL {stmt.name!r} needs a uri (or path)")
    fields.setdefault("source", "huggingface")
    check_model_uri(str(fields["uri"]))
    if fields.get("tokenizer"):
        check_model_uri(str(fields["tokenizer"]))
    return ModelRecord(name=stmt.name, tags=tags, **fields)


def guess_format(uri: str) -> str:
    """The format a URI implies: its suffix, a folder of images, or a builtin name."""
    suffix = PurePath(uri).suffix.lower()
    if suffix in FORMAT_BY_SUFFIX:
        return FORMAT_BY_SUFFIX[suffix]
    if "/" in uri:
        return "imagefolder"
    return "builtin"
