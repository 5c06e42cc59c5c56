"""Fuzzing every public RPC of a real server: random bytes and random well-formed messages
(fields drawn from each message's descriptor, text from SHiFT-QL words) get a canonical
answer, never INTERNAL or UNKNOWN, and the server stays healthy."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shift_search.proto.v1 import parser_pb2, query_pb2
from tests.security.conftest import Secured

BAD = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE}
WORDS = (
    "SELECT", "*", "name", "FROM", "models", "text_models", "WHERE", "ORDER", "BY", "err", "ASC",
    "LIMIT", "1", "TRAINED", "ON", "TESTED", "TASK", '"reviews-train"', '"reviews-test"',
    "CLASSIFIED", "[", "]", '"Cosine NN"', "EXPLAIN", "DECLARE", "v", "AS", ":=", "PRINT",
    "UNION", "(", ")", ",", ";", "'", '"', "CHANGE", "TO", "10M", "NOT", "IN", "LIKE", "--",
    "/*", "\x00", "\u202e", "1e309",
)  # fmt: skip
RPCS: dict[str, tuple[type[Message], bool]] = {  # request type, server-streaming
    "/shift.v1.QueryService/Execute": (query_pb2.ExecuteRequest, True),
    "/shift.v1.QueryService/Explain": (query_pb2.ExplainRequest, False),
    "/shift.v1.QueryService/GetStatus": (query_pb2.GetStatusRequest, False),
    "/shift.v1.ParserService/Parse": (parser_pb2.ParseRequest, False),
    "/shift.v1.ParserService/Format": (parser_pb2.FormatRequest, False),
    "/grpc.health.v1.Health/Check": (health_pb2.HealthCheckRequest, False),
}

shiftql = st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join)
text = st.one_of(shiftql, st.text(max_size=200))


def fields_of(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Values for every field of a message, by type (nested messages to depth 2)."""
    by_field: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        value = _scalar(field, depth)
        if value is None:
            continue
        if field.is_repeated:
            value = st.lists(value, max_size=3)
        by_field[field.name] = value
    return st.fixed_dictionaries({}, optional=by_field)


def _scalar(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any] | None:
    match field.type:
        case FieldDescriptor.TYPE_STRING:
            return text
        case FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=64)
        case FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        case FieldDescriptor.TYPE_DOUBLE | FieldDescriptor.TYPE_FLOAT:
            return st.floats(allow_nan=True, allow_infinity=True, width=32)
        case FieldDescriptor.TYPE_ENUM:
            return st.sampled_from([v.number for v in field.enum_type.values])
        case FieldDescriptor.TYPE_MESSAGE if depth < 2:
            return fields_of(field.message_type, depth + 1)
        case FieldDescriptor.TYPE_MESSAGE:
            return None
        case _:
            return st.integers(min_value=-(2**31), max_value=2**31 - 1)


def _build(cls: type[Message], values: dict[str, Any]) -> bytes:
    return cls(**values).SerializeToString()


def call(channel: grpc.Channel, method: str, body: bytes) -> grpc.StatusCode:
    identity = lambda b: b  # noqa: E731
    streaming = RPCS[method][1] if method in RPCS else False
    try:
        if streaming:
            list(channel.unary_stream(method, identity, identity)(body, timeout=20))
        else:
            channel.unary_unary(method, identity, identity)(body, timeout=20)
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def channel(secured: Secured) -> Any:
    with secured.channel("reader") as opened:
        yield opened


def _assert_healthy(channel: grpc.Channel) -> None:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("method", list(RPCS))
@FUZZ
@given(body=st.binary(max_size=300))
def test_random_bytes_get_a_canonical_answer(
    channel: grpc.Channel, method: str, body: bytes
) -> None:
    assert call(channel, method, body) not in BAD


@pytest.mark.parametrize("method", list(RPCS))
@FUZZ
@given(data=st.data())
def test_random_messages_get_a_canonical_answer(
    channel: grpc.Channel, method: str, data: st.DataObject
) -> None:
    cls = RPCS[method][0]
    values = data.draw(fields_of(cls.DESCRIPTOR))
    assert call(channel, method, _build(cls, values)) not in BAD


@FUZZ
@given(values=fields_of(reflection_pb2.ServerReflectionRequest.DESCRIPTOR))
def test_random_reflection_requests(channel: grpc.Channel, values: dict[str, Any]) -> None:
    from grpc_reflection.v1alpha import reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(**values)
    try:
        list(stub.ServerReflectionInfo(iter([request]), timeout=20))
    except grpc.RpcError as err:
        assert err.code() not in BAD


def test_still_healthy_after_fuzzing(channel: grpc.Channel) -> None:
    _assert_healthy(channel)
