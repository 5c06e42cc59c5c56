"""The only place the executor meets protobuf besides shift.v1.Value (runtime/values.py)."""

from __future__ import annotations

from shift_search.proto.v1 import executor_pb2


def selection_of(selection: executor_pb2.SampleSelection) -> list[int] | None:
    return list(selection.samples_per_segment) or None
