"""The only place the client meets protobuf: requests out, events, plans and errors in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from shift_search.cache.benchmark_results import Added
from shift_search.cache.convert import benchmark_result_to_proto
from shift_search.cache.stored import BenchmarkResult
from shift_search.client.errors import ErrorLocation, ErrorPart, QueryError
from shift_search.client.events import (
    Eliminated,
    Event,
    Finished,
    Leaders,
    Message,
    Planned,
    Table,
    TaskDone,
    TaskProgress,
    Unknown,
)
from shift_search.client.plans import Plan, PlanStep, StepMeasurement
from shift_search.client.status import ExecutorState, ServerStatus
from shift_search.proto.v1 import common_pb2, query_pb2, query_pb2_grpc
from shift_search.runtime.values import value_from_proto

STATUS_DETAILS_KEY = "grpc-status-details-bin"
_STEP_FIELDS = {
    "name",
    "detail",
    "estimated_seconds",
    "measured_seconds",
    "tasks",
    "id",
    "kind",
    "fields",
    "estimated_parts",
    "cached",
    "measured",
}
"""The PlanStep fields this client reads into attributes (the rest go to `extra`)."""


def query_stub(channel: Any) -> Any:
    """The QueryService stub (for a blocking or an asyncio channel alike)."""
    return query_pb2_grpc.QueryServiceStub(channel)


def execute_request(script: str, session_id: str, source: str) -> query_pb2.ExecuteRequest:
    return query_pb2.ExecuteRequest(script=script, session_id=session_id, source_name=source)


def explain_request(script: str, session_id: str) -> query_pb2.ExplainRequest:
    return query_pb2.ExplainRequest(script=script, session_id=session_id)


def status_request() -> query_pb2.GetStatusRequest:
    return query_pb2.GetStatusRequest()


def status_from_proto(msg: query_pb2.GetStatusResponse) -> ServerStatus:
    q = msg.queue
    executors = tuple(
        ExecutorState(
            e.executor_id,
            e.device,
            e.slots,
            tuple(e.models),
            tuple(e.running_tasks),
            e.heartbeat_age_seconds,
        )
        for e in msg.executors
    )
    return ServerStatus(q.address, q.waiting, q.running, q.active_queries, executors)


def add_results_request(
    results: Sequence[BenchmarkResult], source: str
) -> query_pb2.AddBenchmarkResultsRequest:
    return query_pb2.AddBenchmarkResultsRequest(
        results=[benchmark_result_to_proto(r) for r in results], source_name=source
    )


def added_from_proto(response: query_pb2.AddBenchmarkResultsResponse) -> Added:
    return Added(response.added, response.replaced, response.unchanged)


def plans_from_proto(response: query_pb2.ExplainResponse) -> list[Plan]:
    return [plan_from_proto(p) for p in response.plans]


def event_from_proto(msg: query_pb2.QueryEvent) -> Event:
    statement = msg.statement
    kind = msg.WhichOneof("event")
    match kind:
        case "planned":
            return Planned(statement, plan_from_proto(msg.planned))
        case "task_done":
            t = msg.task_done
            return TaskDone(
                statement, t.task_id, t.model, t.kind, t.error, t.from_cache, t.done, t.total
            )
        case "progress":
            p = msg.progress
            return TaskProgress(
                statement, p.task_id, p.model, p.stage, p.done, p.total, p.message, p.executor
            )
        case "eliminated":
            e = msg.eliminated
            return Eliminated(statement, e.model, e.round, e.error)
        case "top_k":
            return Leaders(statement, tuple(msg.top_k.models), tuple(msg.top_k.errors))
        case "result":
            r = msg.result
            rows = tuple(tuple(value_from_proto(c) for c in row.cells) for row in r.rows)
            return Table(statement, r.title, tuple(r.columns), rows, r.remaining_tasks)
        case "message":
            return Message(statement, msg.message.text)
        case "finished":
            f = msg.finished
            return Finished(statement, f.remaining_tasks, f.seconds, tuple(f.executed_steps))
        case None:
            return Unknown(statement, "")
        case _:
            return Unknown(statement, kind, MessageToDict(getattr(msg, kind)))


def plan_from_proto(msg: Any) -> Plan:
    return Plan(
        strategy=msg.strategy,
        steps=tuple(step_from_proto(s) for s in msg.steps),
        decisions=dict(msg.decisions),
        estimated_seconds=msg.estimated_seconds,
        measured_seconds=msg.measured_seconds or None,
        text=msg.text,
    )


def step_from_proto(msg: Any) -> PlanStep:
    """A step, generically: known fields, nested steps of the same type, the rest as extra."""
    extra: dict[str, Any] = {}
    children: list[PlanStep] = []
    for field, value in msg.ListFields():
        if field.name in _STEP_FIELDS:
            continue
        if field.message_type is msg.DESCRIPTOR and _repeated(field):
            children.extend(step_from_proto(v) for v in value)
        elif field.message_type is not None:
            extra[field.name] = MessageToDict(msg, preserving_proto_field_name=True)[field.name]
        else:
            extra[field.name] = list(value) if _repeated(field) else value
    known = msg.DESCRIPTOR.fields_by_name
    measured = None
    if "measured" in known and msg.HasField("measured"):
        m = msg.measured
        measured = StepMeasurement(m.seconds, m.rows, m.cache_hits, m.tasks)
    return PlanStep(
        name=msg.name,
        detail=msg.detail,
        estimated_seconds=msg.estimated_seconds,
        measured_seconds=measured.seconds if measured else (msg.measured_seconds or None),
        tasks=msg.tasks,
        id=msg.id if "id" in known else "",
        kind=msg.kind if "kind" in known else "",
        fields={k: value_from_proto(v) for k, v in msg.fields.items()} if "fields" in known else {},
        estimated_parts=dict(msg.estimated_parts) if "estimated_parts" in known else {},
        cached=msg.cached if "cached" in known else False,
        measured=measured,
        extra=extra,
        children=tuple(children),
    )


def _repeated(field: Any) -> bool:
    return bool(field.is_repeated)


def error_from_rpc(err: grpc.RpcError, address: str) -> QueryError:
    """A QueryError for a failed call, with the ErrorDetails the server attached (works for
    the blocking and the asyncio API alike). A transport failure (UNAVAILABLE without details)
    names the address that could not be reached."""
    code_of = getattr(err, "code", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details_of = getattr(err, "details", None)
    message = (details_of() if callable(details_of) else None) or str(err)
    parts = tuple(_part(d) for d in _error_details(err))
    if code is grpc.StatusCode.UNAVAILABLE and not parts:
        reason = message.split("last error:")[-1].split(": ")[-1].strip()
        message = f"cannot reach the SHiFT service at {address} ({reason or 'no answer'})"
    return QueryError(code, message, parts)


def _error_details(err: grpc.RpcError) -> list[common_pb2.ErrorDetail]:
    trailing = getattr(err, "trailing_metadata", None)
    metadata: Sequence[tuple[str, Any]] = (trailing() if callable(trailing) else None) or ()
    out: list[common_pb2.ErrorDetail] = []
    for key, value in metadata:
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except DecodeError:
            continue
        for packed in status.details:
            detail = common_pb2.ErrorDetail()
            if packed.Unpack(detail):
                out.append(detail)
    return out


def _part(detail: common_pb2.ErrorDetail) -> ErrorPart:
    return ErrorPart(
        message=detail.message,
        locations=tuple(
            ErrorLocation(loc.statement, loc.line, loc.column, loc.source or "<query>")
            for loc in detail.locations
        ),
        expected=tuple(detail.expected),
        suggestions=tuple(detail.suggestions),
    )
