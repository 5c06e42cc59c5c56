"""A small Python client of SHiFT's QueryService (what the CLI uses)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from shift_search.proto.v1 import query_pb2, query_pb2_grpc
from shift_search.runtime.channels import open_channel, translate

DEFAULT_SERVER = "localhost:50051"


class ShiftClient:
    def __init__(
        self,
        server: str = DEFAULT_SERVER,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
    ) -> None:
        """`credentials`: TLS (`runtime.tls.channel_credentials(ca)`); `token`: a bearer token
        from `shift token issue`, sent with every call."""
        self.server = server
        self._channel = open_channel(server, credentials, token=token)
        self._stub = query_pb2_grpc.QueryServiceStub(self._channel)

    def execute(
        self, script: str, *, session_id: str = "", source: str = "<query>"
    ) -> Iterator[query_pb2.QueryEvent]:
        """Stream the events of a script; errors come back as ShiftErrors."""
        request = query_pb2.ExecuteRequest(script=script, session_id=session_id, source_name=source)
        try:
            yield from self._stub.Execute(request)
        except grpc.RpcError as err:
            raise translate(err, self.server) from None

    def explain(self, script: str, *, session_id: str = "") -> query_pb2.ExplainResponse:
        try:
            return self._stub.Explain(
                query_pb2.ExplainRequest(script=script, session_id=session_id)
            )
        except grpc.RpcError as err:
            raise translate(err, self.server) from None

    def close(self) -> None:
        self._channel.close()
