"""Raw rows as readers return them, and choosing input / label columns with clear errors."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shift_search.runtime.confinement import inside_data_roots
from shift_search.runtime.errors import InvalidArgument, NotFound

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
_INPUT_DEFAULTS = ("text", "sentence", "review", "image", "img", "image_path", "path", "x")
_LABEL_DEFAULTS = ("label", "labels", "y", "target", "class", "score")
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]{0,63}")
_MAX_NAMED_COLUMNS = 20


@dataclass(frozen=True)
class RawRows:
    """Inputs and original label values, before slicing and label encoding."""

    inputs: list[Any]
    labels: list[Any]
    origin: str  # the file or name read, for error messages
    input_column: str
    label_column: str


def pick_column(requested: str | None, columns: Sequence[str], origin: str, role: str) -> str:
    """The requested column, else the first conventional name present; errors name file + column."""
    if requested is not None:
        if requested in columns:
            return requested
        named = plain_column_names(columns)
        close = tuple(difflib.get_close_matches(requested, named or [], n=3))
        raise NotFound(
            f"{origin} has no {role} column {requested!r} ({describe_columns(columns)})", close
        )
    defaults = _INPUT_DEFAULTS if role == "input" else _LABEL_DEFAULTS
    for name in defaults:
        if name in columns:
            return name
    raise InvalidArgument(
        f"{origin}: name the {role} column; none of the usual names is present "
        f"({describe_columns(columns)})"
    )


def plain_column_names(columns: Sequence[str]) -> list[str] | None:
    """The column names when every one looks like a column name; None when any does not (a
    file that is not a table: its first line must not end up in an error message)."""
    if all(_COLUMN_NAME.fullmatch(c) for c in columns):
        return list(columns)
    return None


def describe_columns(columns: Sequence[str]) -> str:
    """Column names for an error message, never anything else from the file."""
    named = plain_column_names(columns)
    if named is None:
        return f"{len(columns)} columns whose names do not look like column names: is it a table?"
    shown = ", ".join(named[:_MAX_NAMED_COLUMNS])
    more = len(named) - _MAX_NAMED_COLUMNS
    return f"columns: {shown}" + (f" and {more} more" if more > 0 else "")


def is_missing(value: Any) -> bool:
    """None or a float NaN (how pandas marks an empty cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_no_missing(values: Sequence[Any], origin: str, column: str) -> None:
    for row, value in enumerate(values):
        if is_missing(value):
            raise InvalidArgument(f"{origin}: column {column!r} is empty at row {row}")


def as_inputs(values: Sequence[Any], folder: Path) -> list[Any]:
    """Texts as str; strings naming image files become Paths (relative to `folder`)."""
    if values and all(_looks_like_image_path(value) for value in values):
        return [_resolve(folder, str(value)) for value in values]
    return [value if isinstance(value, (bytes, dict)) else str(value) for value in values]


def _looks_like_image_path(value: Any) -> bool:
    return isinstance(value, str) and Path(value).suffix.lower() in IMAGE_SUFFIXES


def _resolve(folder: Path, name: str) -> Path:
    """An image a table lists, which must lie under the data roots like the table itself."""
    path = Path(name).expanduser()
    return inside_data_roots(path if path.is_absolute() else folder / path)
