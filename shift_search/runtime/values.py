"""shift.v1.Value <-> Python values, for every service that carries typed values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shift_search.proto.v1 import common_pb2


def value_from_proto(value: common_pb2.Value) -> Any:
    match value.WhichOneof("kind"):
        case "string_value":
            return value.string_value
        case "int_value":
            return value.int_value
        case "double_value":
            return value.double_value
        case "bool_value":
            return value.bool_value
        case "list_value":
            return [value_from_proto(v) for v in value.list_value.values]
        case _:
            return None


def value_to_proto(value: Any) -> common_pb2.Value:
    match value:
        case None:
            return common_pb2.Value(null_value=True)
        case bool():
            return common_pb2.Value(bool_value=value)
        case int():
            return common_pb2.Value(int_value=value)
        case float():
            return common_pb2.Value(double_value=value)
        case list() | tuple():
            return common_pb2.Value(
                list_value=common_pb2.ValueList(values=[value_to_proto(v) for v in value])
            )
        case _:
            return common_pb2.Value(string_value=str(value))


def params_from_proto(params: Mapping[str, common_pb2.Value]) -> dict[str, Any]:
    return {k: value_from_proto(v) for k, v in params.items()}


def params_to_proto(params: Mapping[str, Any]) -> dict[str, common_pb2.Value]:
    return {k: value_to_proto(v) for k, v in params.items()}
