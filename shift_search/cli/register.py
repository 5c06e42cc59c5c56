"""`shift register`: add models or datasets from the command line or a YAML file.

Records travel as REGISTER statements through the QueryService, like any other change of the
catalog: the server checks the caller's role (writer) and that files lie under its roots, reads
a dataset once to describe it (sizes, fingerprints, classes, text length) and loads a model once
to profile it, exactly as `REGISTER DATASET` / `REGISTER MODEL` in a script do; what cannot be
read or loaded is refused there and then.

`shift register benchmark-results FILE` reads a CSV of fine-tuning runs here (the SHiFT
authors' format, `planner/benchmark_csv.py`: a bad row stops it with its line and column) and
sends the runs to the table benchmark_results (QueryService.AddBenchmarkResults).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from shift_search.cache.records import (
    DATASET_FORMATS,
    MODEL_SOURCES,
    DatasetRecord,
    ModelRecord,
)
from shift_search.cli.query import add_server_argument, client_of
from shift_search.client import Client
from shift_search.client.events import Message
from shift_search.parser import ast, format_statement
from shift_search.planner.benchmark_csv import read_benchmark_csv
from shift_search.planner.registration import DATASET_ALIASES, MODEL_ALIASES
from shift_search.runtime.errors import InvalidArgument

MODEL_COLUMNS = (
    "source",
    "uri",
    "modality",
    "num_params",
    "upstream_accuracy",
    "dimension",
    "inference_cost",
    "load_cost",
    "finetuned",
    "pooling",
    "tokenizer",
    "revision",
    "parent",
)
DATASET_COLUMNS = (
    "uri",
    "format",
    "input_column",
    "label_column",
    "split",
    "slice",
    "size",
    "modality",
    "num_classes",
)
"""The record fields a REGISTER statement carries; the others are set when it is registered
(date_added) or read from the data (a dataset's segments, fingerprint and text length)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        nargs="?",
        choices=("model", "dataset", "benchmark-results"),
        help="what to register (or use -f FILE); benchmark-results loads fine-tuning runs "
        "from a CSV in the SHiFT authors' format",
    )
    parser.add_argument("name", nargs="?", help="the name (for benchmark-results: the CSV file)")
    parser.add_argument("-f", "--file", help="YAML file with `models:` and `datasets:` lists")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field of the record (repeatable), e.g. --set uri=/models/bert",
    )
    add_server_argument(parser)


REQUIRED_FIELDS = {"model": ("source", "uri"), "dataset": ("uri", "format")}
"""What `--set` must give (the catalog knows no default for them)."""

FILE_FORMATS = frozenset({"csv", "jsonl", "parquet", "imagefolder", "numpy", "hf_disk"})
"""Dataset formats whose `uri` is a path (the others name a builtin dataset)."""


def with_absolute_paths(
    record: ModelRecord | DatasetRecord, base: Path
) -> ModelRecord | DatasetRecord:
    """Relative paths read from `base` (the YAML file's folder, or the current one for --set):
    the server reads them from wherever it runs. A dataset of a file format has a path for
    `uri`; a model has one when its `uri` starts with `./` or `../` (else it may be a hub id or
    a packaged model)."""
    uri = record.uri
    if uri.startswith("~") or Path(uri).is_absolute():
        return record
    if isinstance(record, DatasetRecord) and record.format in FILE_FORMATS:
        return replace(record, uri=str((base / uri).resolve()))
    if isinstance(record, ModelRecord) and uri.startswith(("./", "../")):
        return replace(record, uri=str((base / uri).resolve()))
    return record


def records_from_yaml(text: str, origin: str) -> list[ModelRecord | DatasetRecord]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise InvalidArgument(f"{origin}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"{origin}: expected a mapping with `models:` and/or `datasets:`")
    unknown = sorted(set(data) - {"models", "datasets"})
    if unknown:
        raise InvalidArgument(f"{origin}: unknown section(s) {', '.join(unknown)}")
    out: list[ModelRecord | DatasetRecord] = []
    for kind, cls in (("models", ModelRecord), ("datasets", DatasetRecord)):
        for index, entry in enumerate(data.get(kind) or []):
            try:
                out.append(cls.from_dict(entry))
            except (TypeError, ValueError) as err:
                raise InvalidArgument(f"{origin}: {kind}[{index}]: {err}") from None
    return out


def record_from_fields(kind: str, name: str, fields: list[str]) -> ModelRecord | DatasetRecord:
    values: dict[str, Any] = {"name": name}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidArgument(f"--set {item!r}: expected FIELD=VALUE")
        values[key.strip()] = yaml.safe_load(value)  # numbers, booleans, null as YAML reads them
    required = REQUIRED_FIELDS[kind]
    missing = [f for f in required if f not in values]
    if missing:
        choices = ", ".join(MODEL_SOURCES if kind == "model" else DATASET_FORMATS)
        hint = f" ({'source' if kind == 'model' else 'format'}: one of {choices})"
        raise InvalidArgument(
            f"{kind} {name!r}: give {' and '.join(f'--set {f}=…' for f in missing)}{hint}"
        )
    try:
        return ModelRecord.from_dict(values) if kind == "model" else DatasetRecord.from_dict(values)
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f"{kind} {name!r}: {err}") from None


def register_statement(record: ModelRecord | DatasetRecord) -> str:
    """The REGISTER statement that adds `record` (its tags as extra columns). What a statement
    cannot carry is refused, not dropped: a dataset of several parts, a tag named like a field."""
    is_model = isinstance(record, ModelRecord)
    if isinstance(record, DatasetRecord) and len(record.segments) > 1:
        raise InvalidArgument(
            f'dataset "{record.name}": a dataset is registered from one source; register each '
            "part and query them as a list [a, b]"
        )
    known = MODEL_COLUMNS if is_model else DATASET_COLUMNS
    aliases = MODEL_ALIASES if is_model else DATASET_ALIASES
    for tag in record.tags:
        if tag.lower() in aliases or tag.lower() == "name":
            raise InvalidArgument(
                f'{"model" if is_model else "dataset"} "{record.name}": tag {tag!r} has the name '
                "of a field; rename the tag"
            )
    fields = record.to_dict()
    pairs = [(c, fields[c]) for c in known if fields.get(c) is not None]
    pairs += sorted(record.tags.items())
    columns = tuple(c for c, _ in pairs)
    values = tuple(v for _, v in pairs)
    stmt: ast.Statement = (
        ast.RegisterModel(record.name, columns, values)
        if is_model
        else ast.RegisterDataset(record.name, columns, values)
    )
    return format_statement(stmt) + ";"


def register_all(client: Client, records: list[ModelRecord | DatasetRecord]) -> list[str]:
    """Register every record in one script, in order (what was registered before an error
    stays); returns the server's notes."""
    script = "\n".join(register_statement(r) for r in records)
    return [e.text for e in client.events(script, source="register") if isinstance(e, Message)]


def register_benchmark_results(args: argparse.Namespace) -> int:
    """Read the whole CSV here (any bad row stops everything, nothing is sent), then send it."""
    if args.set:
        raise InvalidArgument("benchmark-results takes a CSV file, not --set")
    results = read_benchmark_csv(Path(args.name))
    with client_of(args) as client:
        added = client.add_benchmark_results(results, source=Path(args.name).name)
    print(
        f"benchmark results from {args.name}: {len(results):,} runs; {added.added:,} added, "
        f"{added.replaced:,} replaced, {added.unchanged:,} already stored"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.kind == "benchmark-results" and args.name and not args.file:
        return register_benchmark_results(args)
    if args.file:
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise InvalidArgument(f"{args.file}: {err.strerror or err}") from None
        except UnicodeDecodeError:
            raise InvalidArgument(f"{args.file}: not UTF-8 text") from None
        base = path.resolve().parent
        records = [with_absolute_paths(r, base) for r in records_from_yaml(text, args.file)]
    elif args.kind and args.name:
        record = record_from_fields(args.kind, args.name, args.set)
        records = [with_absolute_paths(record, Path.cwd())]
    else:
        raise SystemExit(
            "shift register: give KIND NAME --set FIELD=VALUE…, benchmark-results FILE, or -f FILE"
        )
    with client_of(args) as client:
        for note in register_all(client, records):
            print(note)
    return 0
