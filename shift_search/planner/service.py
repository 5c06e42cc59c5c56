"""The QueryService gRPC handler: the public entry of SHiFT."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

import grpc

from shift_search.cache.convert import benchmark_result_from_proto
from shift_search.planner.convert import event_to_proto, plan_to_proto, status_to_proto
from shift_search.planner.coordinator import HAND_OFF, Coordinator, EventBatch
from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.aio import iterate_in_thread
from shift_search.runtime.server import Registration


class QueryServicer(query_pb2_grpc.QueryServiceServicer):
    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator

    async def Execute(
        self, request: query_pb2.ExecuteRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[query_pb2.QueryEvents]:
        """Statements answered at once from in-process state run here, on the event loop (a
        hand-off to a thread for each would cost more than they do); from the coordinator's
        first `HAND_OFF` on, it runs on a thread of the server's pool, and the loop gets each
        message once its events are ready together."""
        cancelled = threading.Event()
        run = self.coordinator.execute(
            request.script, request.session_id, request.source_name or "<query>", cancelled
        )
        try:
            for ready in run:
                if ready is HAND_OFF:
                    break
                yield _message(ready)
            else:
                return
            rest = (_message(r) for r in run if r is not HAND_OFF)
            async with aclosing(iterate_in_thread(rest)) as stream:
                async for message in stream:
                    yield message
        finally:
            cancelled.set()  # client gone or cancelled (or the query over): stop the work

    def GetStatus(
        self, request: query_pb2.GetStatusRequest, context: grpc.ServicerContext
    ) -> query_pb2.GetStatusResponse:
        return status_to_proto(self.coordinator.status(), time.time())

    def Explain(
        self, request: query_pb2.ExplainRequest, context: grpc.ServicerContext
    ) -> query_pb2.ExplainResponse:
        plans = self.coordinator.explain(request.script, request.session_id)
        return query_pb2.ExplainResponse(plans=[plan_to_proto(p) for p in plans])

    def AddBenchmarkResults(
        self, request: query_pb2.AddBenchmarkResultsRequest, context: grpc.ServicerContext
    ) -> query_pb2.AddBenchmarkResultsResponse:
        results = [benchmark_result_from_proto(r) for r in request.results]
        added = self.coordinator.add_benchmark_results(results, request.source_name)
        return query_pb2.AddBenchmarkResultsResponse(
            added=added.added, replaced=added.replaced, unchanged=added.unchanged
        )


def _message(ready: EventBatch) -> query_pb2.QueryEvents:
    return query_pb2.QueryEvents(events=[event_to_proto(i, e) for i, e in ready])


def registration(coordinator: Coordinator) -> Registration:
    servicer = QueryServicer(coordinator)
    return Registration(
        name=query_pb2.DESCRIPTOR.services_by_name["QueryService"].full_name,
        add=lambda server: query_pb2_grpc.add_QueryServiceServicer_to_server(servicer, server),
    )
