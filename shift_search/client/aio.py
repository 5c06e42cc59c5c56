"""`AsyncClient`: the same API as `Client` for asyncio code (grpc.aio underneath)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import grpc

from shift_search.client import convert
from shift_search.client.blocking import default_address, new_session_id
from shift_search.client.connection import CA, asyncio_channel, call_metadata, tls_credentials
from shift_search.client.events import Event
from shift_search.client.plans import Plan
from shift_search.client.progress import Choice, display
from shift_search.client.result import QueryResult


class AsyncClient:
    """A connection to a SHiFT server for asyncio code.

    >>> async with AsyncClient("localhost:50051") as client:
    ...     async for event in client.events("SELECT name FROM models;"):
    ...         print(event)

    The channel opens on first use, inside the running event loop.
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
        self._token = token
        self._credentials = tls_credentials(ca, credentials)
        self._channel: grpc.aio.Channel | None = None
        self._stub: Any = None

    def _query_stub(self) -> Any:
        if self._stub is None:
            self._channel = asyncio_channel(self.address, self._credentials, self._token)
            self._stub = convert.query_stub(self._channel)
        return self._stub

    async def events(self, script: str, *, source: str = "<query>") -> AsyncIterator[Event]:
        """The events of a script as they happen. Leaving the loop early cancels the query."""
        request = convert.execute_request(script, self.session_id, source)
        call = self._query_stub().Execute(
            request, timeout=self.timeout, metadata=call_metadata(self._token)
        )
        try:
            async for message in call:  # the events that were ready together
                for event in message.events:
                    yield convert.event_from_proto(event)
        except grpc.RpcError as err:
            raise convert.error_from_rpc(err, self.address) from None
        finally:
            call.cancel()

    async def query(
        self,
        script: str,
        *,
        progress: bool | Choice | None = None,
        source: str = "<query>",
    ) -> QueryResult:
        """Run a script to the end and return everything it produced."""
        bar = display(progress)
        collected: list[Event] = []
        try:
            async for event in self.events(script, source=source):
                bar.update(event)
                collected.append(event)
        finally:
            bar.close()
        return QueryResult(tuple(collected))

    async def explain(self, script: str) -> list[Plan]:
        try:
            response = await self._query_stub().Explain(
                convert.explain_request(script, self.session_id),
                timeout=self.timeout,
                metadata=call_metadata(self._token),
            )
        except grpc.RpcError as err:
            raise convert.error_from_rpc(err, self.address) from None
        return convert.plans_from_proto(response)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
