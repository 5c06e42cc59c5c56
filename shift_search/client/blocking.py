"""`Client`: SHiFT from Python, blocking (notebooks, scripts, the `shift` command)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import grpc

from shift_search.cache.benchmark_results import Added
from shift_search.cache.stored import BenchmarkResult
from shift_search.client import convert
from shift_search.client.connection import CA, blocking_channel, tls_credentials
from shift_search.client.events import Event
from shift_search.client.plans import Plan
from shift_search.client.progress import Choice, display
from shift_search.client.result import QueryResult
from shift_search.client.status import ServerStatus

DEFAULT_SERVER = "localhost:50051"
SERVER_ENV = "SHIFT_SERVER"
RESULTS_PER_CALL = 5000
"""Benchmark results per AddBenchmarkResults call: about 1 MB, under the public port's 4 MiB
request limit."""


def default_address() -> str:
    """$SHIFT_SERVER, else localhost:50051."""
    return os.environ.get(SERVER_ENV) or DEFAULT_SERVER


def new_session_id() -> str:
    return uuid.uuid4().hex


class Client:
    """A connection to a SHiFT server.

    >>> client = Client("localhost:50051")
    >>> client.query("SELECT name FROM models LIMIT 3;").to_pandas()

    `token` is sent as `authorization: Bearer …` on every call; `ca` (a PEM file or bytes),
    or `credentials` (`runtime.tls.channel_credentials`, with a client certificate if needed),
    make the channel TLS. Queries share one session, so a variable DECLAREd by one query is
    known to the next (`session_id=""` gives each query a fresh session instead). Failures raise
    `QueryError` with the gRPC code and, for errors in the script, its line and column.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        token: str | None = None,
        ca: CA | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        session_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.address = address or default_address()
        self.session_id = new_session_id() if session_id is None else session_id
        self.timeout = timeout
        self._channel = blocking_channel(self.address, tls_credentials(ca, credentials), token)
        self._stub = convert.query_stub(self._channel)

    def events(self, script: str, *, source: str = "<query>") -> Iterator[Event]:
        """The events of a script as they happen. Leaving the loop early cancels the query."""
        request = convert.execute_request(script, self.session_id, source)
        call: Any = None
        try:
            call = self._stub.Execute(request, timeout=self.timeout)
            for message in call:  # the events that were ready together
                for event in message.events:
                    yield convert.event_from_proto(event)
        except grpc.RpcError as err:
            raise convert.error_from_rpc(err, self.address) from None
        finally:
            if call is not None:
                call.cancel()  # a no-op once the stream has ended

    def query(
        self,
        script: str,
        *,
        progress: bool | Choice | None = None,
        source: str = "<query>",
    ) -> QueryResult:
        """Run a script to the end and return everything it produced. `progress`: None (show
        a bar where a person is watching), True (always), False (never)."""
        bar = display(progress)
        collected: list[Event] = []
        try:
            for event in self.events(script, source=source):
                bar.update(event)
                collected.append(event)
        finally:
            bar.close()
        return QueryResult(tuple(collected))

    def explain(self, script: str) -> list[Plan]:
        """The plan of each statement of `script`, without running it."""
        try:
            response = self._stub.Explain(
                convert.explain_request(script, self.session_id),
                timeout=self.timeout,
            )
        except grpc.RpcError as err:
            raise convert.error_from_rpc(err, self.address) from None
        return convert.plans_from_proto(response)

    def status(self) -> ServerStatus:
        """The work queue's length and the executors pulling from it (`shift status`)."""
        try:
            response = self._stub.GetStatus(convert.status_request(), timeout=self.timeout)
        except grpc.RpcError as err:
            raise convert.error_from_rpc(err, self.address) from None
        return convert.status_from_proto(response)

    def add_benchmark_results(
        self, results: Sequence[BenchmarkResult], *, source: str = ""
    ) -> Added:
        """Store fine-tuning runs in the table benchmark_results (the writer role), sent in
        batches of `RESULTS_PER_CALL`, each stored all or none; a run already stored (the same
        `run` id) is not added again. `shift register benchmark-results FILE` reads them from
        a CSV (`planner.benchmark_csv.read_benchmark_csv`)."""
        total = Added(0, 0, 0)
        for start in range(0, len(results), RESULTS_PER_CALL):
            batch = results[start : start + RESULTS_PER_CALL]
            try:
                response = self._stub.AddBenchmarkResults(
                    convert.add_results_request(batch, source), timeout=self.timeout
                )
            except grpc.RpcError as err:
                raise convert.error_from_rpc(err, self.address) from None
            added = convert.added_from_proto(response)
            total = Added(
                total.added + added.added,
                total.replaced + added.replaced,
                total.unchanged + added.unchanged,
            )
        return total

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
