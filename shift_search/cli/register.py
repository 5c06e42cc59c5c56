"""`shift register`: add models or datasets from the command line or a YAML file.

Records go through the SHiFT server as REGISTER statements, so a dataset is read once and
described (sizes, fingerprints, classes, text length) when it is registered, exactly as
`REGISTER DATASET` in a script does; a dataset that cannot be read is refused there and then.
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.client import ShiftClient
from shift_search.cli.query import add_server_argument
from shift_search.parser import ast, format_statement
from shift_search.planner.registration import DATASET_ALIASES, MODEL_ALIASES
from shift_search.runtime.errors import InvalidArgument

MODEL_FIELDS = (
    "source",
    "uri",
    "modality",
    "num_params",
    "upstream_accuracy",
    "dimension",
    "inference_cost",
    "load_cost",
    "finetuned",
    "revision",
    "pooling",
    "tokenizer",
    "parent",
)
DATASET_FIELDS = (
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
        "kind", nargs="?", choices=("model", "dataset"), help="what to register (or use -f FILE)"
    )
    parser.add_argument("name", nargs="?")
    parser.add_argument("-f", "--file", help="YAML file with `models:` and `datasets:` lists")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field of the record (repeatable), e.g. --set uri=/models/bert",
    )
    add_server_argument(parser)


def records_from_yaml(text: str, origin: str) -> list[ModelRecord | DatasetRecord]:
    data = yaml.safe_load(text) or {}
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
    try:
        return ModelRecord.from_dict(values) if kind == "model" else DatasetRecord.from_dict(values)
    except (TypeError, ValueError) as err:
        raise InvalidArgument(f"{kind} {name!r}: {err}") from None


def register_statement(record: ModelRecord | DatasetRecord) -> str:
    """The REGISTER statement that registers `record` (its tags as extra columns)."""
    is_model = isinstance(record, ModelRecord)
    fields = MODEL_FIELDS if is_model else DATASET_FIELDS
    aliases = MODEL_ALIASES if is_model else DATASET_ALIASES
    if isinstance(record, DatasetRecord) and len(record.segments) > 1:
        raise InvalidArgument(
            f'dataset "{record.name}": a dataset is registered from one source; register each '
            "part and query them as a list [a, b]"
        )
    values = {f: getattr(record, f) for f in fields if getattr(record, f) is not None}
    for tag, value in record.tags.items():
        if tag.lower() in aliases or tag.lower() == "name":
            raise InvalidArgument(
                f'{"model" if is_model else "dataset"} "{record.name}": tag {tag!r} has the name '
                "of a field; rename the tag"
            )
        values[tag] = value
    columns, cells = tuple(values), tuple(values.values())
    statement = (
        ast.RegisterModel(record.name, columns, cells)
        if is_model
        else ast.RegisterDataset(record.name, columns, cells)
    )
    return format_statement(statement) + ";"


def register(client: ShiftClient, records: list[ModelRecord | DatasetRecord]) -> list[str]:
    """Register `records` through the server, one statement each; what it said of each."""
    said = []
    for record in records:
        for event in client.execute(register_statement(record), source="shift register"):
            if event.WhichOneof("event") == "message":
                said.append(event.message.text)
    return said


def run(args: argparse.Namespace) -> int:
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            records = records_from_yaml(f.read(), args.file)
    elif args.kind and args.name:
        records = [record_from_fields(args.kind, args.name, args.set)]
    else:
        raise SystemExit("shift register: give KIND NAME --set FIELD=VALUE…, or -f FILE")
    client = ShiftClient(args.server)
    try:
        for record in records:  # one at a time: what was registered before an error stays
            for line in register(client, [record]):
                print(line)
    finally:
        client.close()
    return 0
