"""The only place the planner's events meet protobuf."""

from __future__ import annotations

from typing import assert_never

from shift_search.planner.events import (
    Eliminated,
    Event,
    Finished,
    Leaders,
    Note,
    PlanInfo,
    Planned,
    Table,
    TaskFinished,
)
from shift_search.proto.v1 import query_pb2
from shift_search.runtime.values import value_to_proto


def plan_to_proto(info: PlanInfo) -> query_pb2.Plan:
    msg = query_pb2.Plan(
        strategy=info.strategy,
        estimated_seconds=info.estimated_seconds,
        decisions=info.decisions,
        text=info.render(),
    )
    for step in info.steps:
        msg.steps.add(
            name=step.name,
            detail=step.detail,
            estimated_seconds=step.estimated_seconds,
            measured_seconds=step.measured_seconds or 0.0,
            tasks=step.tasks,
        )
    if info.measured_seconds is not None:
        msg.measured_seconds = info.measured_seconds
    return msg


def event_to_proto(statement: int, event: Event) -> query_pb2.QueryEvent:
    out = query_pb2.QueryEvent(statement=statement)
    match event:
        case Planned(plan=info):
            out.planned.CopyFrom(plan_to_proto(info))
        case TaskFinished():
            out.task_done.CopyFrom(
                query_pb2.TaskDone(
                    task_id=event.task_id,
                    model=event.model,
                    kind=event.kind,
                    error=event.error,
                    from_cache=event.from_cache,
                    done=event.done,
                    total=event.total,
                )
            )
        case Eliminated(model=model, round=rnd, error=error):
            out.eliminated.CopyFrom(query_pb2.ModelEliminated(model=model, round=rnd, error=error))
        case Leaders(models=models, errors=errors):
            out.top_k.CopyFrom(query_pb2.TopK(models=models, errors=errors))
        case Table():
            table = query_pb2.ResultTable(
                title=event.title, columns=event.columns, remaining_tasks=event.remaining_tasks
            )
            for row in event.rows:
                table.rows.add(cells=[value_to_proto(c) for c in row])
            out.result.CopyFrom(table)
        case Note(text=text):
            out.message.CopyFrom(query_pb2.Message(text=text))
        case Finished(remaining_tasks=remaining, seconds=seconds):
            out.finished.CopyFrom(
                query_pb2.StatementFinished(remaining_tasks=remaining, seconds=seconds)
            )
        case _:
            assert_never(event)
    return out
