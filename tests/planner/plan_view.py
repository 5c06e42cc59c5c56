"""Reading a Plan message in tests: its steps as a tree."""

from __future__ import annotations

from collections.abc import Iterator

from shift_search.proto.v1 import query_pb2


def walk(plan: query_pb2.Plan) -> Iterator[query_pb2.PlanStep]:
    """Every step, in pre-order (the order of their ids)."""

    def visit(step: query_pb2.PlanStep) -> Iterator[query_pb2.PlanStep]:
        yield step
        for child in step.children:
            yield from visit(child)

    for step in plan.steps:
        yield from visit(step)


def of_kind(plan: query_pb2.Plan, kind: str) -> list[query_pb2.PlanStep]:
    return [s for s in walk(plan) if s.kind == kind]
