"""The client's channel: a bearer token travels as `authorization` metadata on every call, and a
CA makes the channel TLS. Checked against a real gRPC server with a TLS certificate that
openssl makes for the test, serving a QueryService that records what each call carried."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from shift_search.client import Client, Message, QueryError
from shift_search.proto.v1 import query_pb2, query_pb2_grpc


class Recording(query_pb2_grpc.QueryServiceServicer):
    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []

    def Execute(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        self.metadata.append(dict(context.invocation_metadata()))
        ran = query_pb2.QueryEvent(message=query_pb2.Message(text=f"ran {request.script}"))
        yield query_pb2.QueryEvents(events=[ran])

    def Explain(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.metadata.append(dict(context.invocation_metadata()))
        return query_pb2.ExplainResponse()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


def serve(servicer: Recording, credentials: grpc.ServerCredentials | None) -> tuple[Any, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    query_pb2_grpc.add_QueryServiceServicer_to_server(servicer, server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, f"127.0.0.1:{port}"


def test_the_token_rides_on_every_call_of_a_plain_channel() -> None:
    servicer = Recording()
    server, address = serve(servicer, None)
    try:
        with Client(address, token="s3cret") as client:
            assert client.query("PRINT *;").messages == ("ran PRINT *;",)
            assert client.explain("PRINT *;") == []
        with Client(address) as anonymous:
            anonymous.query("PRINT *;")
    finally:
        server.stop(grace=None)
    first, second, third = servicer.metadata
    assert first["authorization"] == second["authorization"] == "Bearer s3cret"
    assert "authorization" not in third
    assert first["x-request-id"] != second["x-request-id"]


def test_a_ca_makes_the_channel_tls(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    servicer = Recording()
    credentials = grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])
    server, address = serve(servicer, credentials)
    try:
        with Client(address, token="t", ca=cert) as client:
            (event,) = client.events("PRINT *;")
        assert event == Message(0, "ran PRINT *;")
        assert servicer.metadata[0]["authorization"] == "Bearer t"
        with Client(address, timeout=5) as plain, pytest.raises(QueryError) as caught:
            plain.query("PRINT *;")  # a plain channel cannot talk to a TLS server
        assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(grace=None)
