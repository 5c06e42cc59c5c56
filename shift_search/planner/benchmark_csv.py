"""Fine-tuning runs in the SHiFT authors' CSV format (their `data/ftrecords.csv`) as rows of
the table benchmark_results (`stored.BenchmarkResult`). Standard library only.

One row per run. Read by name (order and extra columns do not matter):
- required: `model_identifier` (or `model`), `train_dataset_name` (or `dataset`),
  `test_accuracy`;
- optional: `hash` (the run's id; without it, a digest of the row), `framework`
  (`HuggingFaceText` is text, `HuggingFace` images) or `modality`, `configs` (a Python dict
  literal with `lr`, `label_name`, `preprocess`), `epochs`, `batch_size`, `elapsed_time`,
  `train_accuracy`, `train_slice`, `test_split`, `category`.
Every problem names the file, the line and the column (1-based, as a spreadsheet counts them),
and nothing of a file with a bad row is used.
"""

from __future__ import annotations

import ast
import csv
import functools
import hashlib
import io
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from shift_search.cache.stored import BenchmarkResult
from shift_search.runtime.errors import InvalidArgument

REQUIRED = {
    "model": ("model_identifier", "model"),
    "dataset": ("train_dataset_name", "dataset"),
    "test_accuracy": ("test_accuracy",),
}

KNOWN_CATEGORIES: Mapping[str, str] = {
    **dict.fromkeys(
        ("caltech101", "cifar100", "dtd", "oxford_flowers102", "oxford_iiit_pet", "sun397",
         "svhn_cropped"), "image/natural"),
    **dict.fromkeys(
        ("eurosat", "resisc45", "patch_camelyon", "diabetic_retinopathy_detection"),
        "image/specialized"),
    **dict.fromkeys(("clevr", "dmlab", "dsprites", "kitti", "smallnorb"), "image/structured"),
    **dict.fromkeys(
        ("glue/sst2", "rotten_tomatoes", "amazon_polarity", "tweet_eval/sentiment"),
        "text/sentiment"),
    **dict.fromkeys(("ag_news", "dbpedia_14"), "text/topic"),
    **dict.fromkeys(
        ("tweet_eval/hate", "tweet_eval/offensive", "tweet_eval/irony", "tweet_eval/emotion"),
        "text/tweets"),
    "glue/cola": "text/acceptability",
}  # fmt: skip
"""The category of each dataset the authors fine-tuned on, where a file gives none: VTAB-1k's
three groups (Zhai et al., 2019) and the kind of each text task."""

MODALITY_OF_FRAMEWORK = {"huggingfacetext": "text", "huggingface": "image"}

T = TypeVar("T")


def read_benchmark_csv(path: Path) -> list[BenchmarkResult]:
    """The runs of a file; InvalidArgument at the first problem (file, line, column)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InvalidArgument(f"{path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InvalidArgument(f"{path}:{line}: not UTF-8 text") from None
    return parse_benchmark_csv(text, str(path))


def parse_benchmark_csv(text: str, origin: str) -> list[BenchmarkResult]:
    """The runs of a CSV text; `origin` names it in errors and in each run's `origin`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidArgument(f"{origin}: empty file: expected a header row") from None
    except csv.Error as err:
        raise InvalidArgument(f"{origin}:1: {err}") from None
    columns = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    wanted = {field: _find(columns, names) for field, names in REQUIRED.items()}
    missing = [REQUIRED[f][0] for f, i in wanted.items() if i is None]
    if missing:
        have = ", ".join(h for h in header if h.strip()) or "none"
        raise InvalidArgument(f"{origin}:1: no column {', '.join(missing)} (columns: {have})")
    name = Path(origin).name
    out = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                out.append(_Row(cells, columns, origin, name, start).result())
            start = reader.line_num + 1
    except csv.Error as err:
        raise InvalidArgument(f"{origin}:{reader.line_num}: {err}") from None
    return out


def _find(columns: Mapping[str, int], names: Sequence[str]) -> int | None:
    return next((columns[n] for n in names if n in columns), None)


class _Row:
    """One row's cells, read by column name, with errors at their line and column."""

    def __init__(
        self, cells: list[str], columns: Mapping[str, int], origin: str, name: str, line: int
    ) -> None:
        self.cells, self.columns, self.line = cells, columns, line
        self.origin, self.name = origin, name

    def result(self) -> BenchmarkResult:
        model = self.required("model")
        dataset = self.required("dataset")
        accuracy = self.typed("test_accuracy", _accuracy, required=True)
        assert accuracy is not None
        configs = self.typed("configs", _configs) or {}
        label = str(configs.get("label_name", "label"))
        prep = str(configs.get("preprocess", "empty"))
        if prep not in ("empty", label, ""):
            label = f"{label}:{prep}"
        framework = (self.text("framework") or "").lower()
        modality = self.text("modality") or MODALITY_OF_FRAMEWORK.get(framework, "")
        train_slice = self.text("train_slice")
        run_hash = self.text("hash")
        return BenchmarkResult(
            run=f"csv:{run_hash}" if run_hash else f"csv:{_digest(self.cells)}",
            model=model,
            dataset=dataset,
            test_accuracy=accuracy,
            label=label,
            modality=modality,
            category=self.text("category") or KNOWN_CATEGORIES.get(dataset),
            train_slice=train_slice if train_slice and train_slice != "nan" else "all",
            test_split=self.text("test_split") or "",
            learning_rate=self.config_number(configs, "lr"),
            epochs=self.typed("epochs", _count),
            batch_size=self.typed("batch_size", _count),
            seconds=self.typed("elapsed_time", _seconds),
            train_accuracy=self.typed("train_accuracy", _accuracy),
            origin=self.name,
        )

    def text(self, column: str) -> str | None:
        """The stripped cell of a column; None when the file has no such column or it is
        empty."""
        i = self.columns.get(column)
        if i is None or i >= len(self.cells):
            return None
        return self.cells[i].strip() or None

    def required(self, field: str) -> str:
        i = _find(self.columns, REQUIRED[field])
        assert i is not None  # the header was checked
        value = self.cells[i].strip() if i < len(self.cells) else ""
        if not value:
            raise self.error(i, f"{REQUIRED[field][0]} is empty")
        return value

    def typed(self, column: str, convert: Callable[[str], T], required: bool = False) -> T | None:
        i = _find(self.columns, REQUIRED.get(column, (column,)))
        value = self.cells[i].strip() if i is not None and i < len(self.cells) else ""
        if not value or value.lower() == "nan":
            if required:
                raise self.error(i, f"{column} is empty")
            return None
        assert i is not None
        try:
            return convert(value)
        except ValueError as err:
            raise self.error(i, f"{column} {_quoted(value)}: {err}") from None

    def config_number(self, configs: Mapping[str, Any], key: str) -> float | None:
        value = configs.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        where = self.columns.get("configs")
        raise self.error(where, f"configs: {key} must be a number, not {value!r}")

    def error(self, index: int | None, what: str) -> InvalidArgument:
        """A problem of this row, at a column (1-based) when it has one."""
        column = f":{index + 1}" if index is not None else ""
        return InvalidArgument(f"{self.origin}:{self.line}{column}: {what}")


def _accuracy(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:  # NaN fails too
        raise ValueError("an accuracy must lie between 0 and 1")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError("seconds must be a finite number, at least 0")
    return number


def _count(value: str) -> int:
    number = float(value)
    if not (number.is_integer() and number > 0):
        raise ValueError("expected a whole number above 0")
    return int(number)


def _configs(value: str) -> dict[str, Any]:
    return dict(_parsed_configs(value))


@functools.lru_cache(maxsize=256)
def _parsed_configs(value: str) -> tuple[tuple[str, Any], ...]:
    """A configs cell, parsed once however many rows repeat it (a file has a few kinds)."""
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError("expected a dict literal like {'lr': 0.01}") from None
    if not isinstance(parsed, dict):
        raise ValueError("expected a dict literal like {'lr': 0.01}")
    return tuple((str(k), v) for k, v in parsed.items())


def _quoted(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _digest(cells: Sequence[str]) -> str:
    text = "\x1f".join(cell.strip() for cell in cells)
    return hashlib.sha256(text.encode()).hexdigest()[:24]
