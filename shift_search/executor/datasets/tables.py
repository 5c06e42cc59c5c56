"""Tabular readers (csv, jsonl, parquet) through pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, assert_never

import pandas as pd

from shift_search.executor.datasets.read_errors import reason
from shift_search.executor.datasets.rows import RawRows, as_inputs, check_no_missing, pick_column
from shift_search.runtime.confinement import inside_data_roots
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

TableFormat = Literal["csv", "jsonl", "parquet"]


def read_table(
    format: TableFormat,
    uri: str,
    *,
    input_column: str | None,
    label_column: str | None,
    split: str | None,
) -> RawRows:
    """Rows of a table file; a folder holds one file per split (`train.csv`, `test.csv`...)."""
    path = _table_path(format, Path(uri), split)
    frame = _read_frame(format, path)
    return rows_from_frame(frame, str(path), path.parent, input_column, label_column)


def rows_from_frame(
    frame: pd.DataFrame,
    origin: str,
    folder: Path,
    input_column: str | None,
    label_column: str | None,
) -> RawRows:
    """Pick the two columns of a frame and check neither has empty cells."""
    columns = [str(name) for name in frame.columns]
    text = pick_column(input_column, columns, origin, "input")
    label = pick_column(label_column, columns, origin, "label")
    raw_inputs = frame[text].tolist()
    labels = frame[label].tolist()
    check_no_missing(raw_inputs, origin, text)
    check_no_missing(labels, origin, label)
    return RawRows(as_inputs(raw_inputs, folder), labels, origin, text, label)


def _table_path(format: TableFormat, path: Path, split: str | None) -> Path:
    if path.is_dir():
        path = inside_data_roots(path / f"{split or 'train'}.{format}")
    elif split is not None:
        raise InvalidArgument(f"{format} file {path} has no named splits; drop split {split!r}")
    if not path.is_file():
        raise NotFound(f"dataset file {path} does not exist")
    return path


def _read_frame(format: TableFormat, path: Path) -> pd.DataFrame:
    try:
        match format:
            case "csv":
                return _read_csv(path)
            case "jsonl":
                return pd.read_json(path, lines=True)
            case "parquet":
                return _read_parquet(path)
            case _:
                assert_never(format)
    except (ValueError, pd.errors.ParserError) as error:
        raise InvalidArgument(f"cannot read {format} file {path}: {reason(error)}") from None


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="latin-1")


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError as error:
        raise FailedPrecondition(
            f"reading parquet file {path} needs pyarrow, which is not installed"
        ) from error
