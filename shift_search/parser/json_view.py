"""One JSON object per statement, with a `type` field per node (what `shift parse` prints).

Fields left at their default (None, empty, false) are omitted; `pos` is `[line, column]`.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from shift_search.parser import ast

JsonValue = Any


def statement_to_json(stmt: ast.Statement) -> dict[str, JsonValue]:
    """The statement as a JSON-ready dict."""
    encoded = to_json(stmt)
    assert isinstance(encoded, dict)
    return encoded


def script_to_json(script: ast.Script) -> list[dict[str, JsonValue]]:
    return [statement_to_json(s) for s in script.statements]


def to_json(node: object) -> JsonValue:
    """Any AST node or value as JSON-ready data."""
    if isinstance(node, ast.Pos):
        return [node.line, node.column]
    if is_dataclass(node) and not isinstance(node, type):
        out: dict[str, JsonValue] = {"type": type(node).__name__}
        for f in fields(node):
            value = getattr(node, f.name)
            if f.name not in ("pos", "index") and f.default is not MISSING and value == f.default:
                continue
            if f.name == "params":
                out[f.name] = {key: to_json(v) for key, v in value}
            else:
                out[f.name] = to_json(value)
        return out
    if isinstance(node, tuple):
        return [to_json(item) for item in node]
    return node
