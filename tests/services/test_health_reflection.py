"""Every service answers gRPC health checks and server reflection (so grpcurl works)."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.services.conftest import Stack

SERVICES = ("shift.v1.QueryService", "shift.v1.ParserService")
INTERNAL = ("shift.v1.ExecutorService", "shift.v1.CacheService")


@pytest.mark.parametrize("service", ["", *SERVICES])
def test_health_reports_serving(stack: Stack, service: str) -> None:
    stub = health_pb2_grpc.HealthStub(stack.channel)
    reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_health_of_unknown_service_is_not_found(stack: Stack) -> None:
    stub = health_pb2_grpc.HealthStub(stack.channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Check(health_pb2.HealthCheckRequest(service="shift.v1.Nope"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_shift_services(stack: Stack) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(stack.channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    names = {s.name for s in reply.list_services_response.service}
    assert set(SERVICES) <= names
    assert "grpc.health.v1.Health" in names
    assert not set(INTERNAL) & names  # served on the private socket only


@pytest.mark.parametrize("service", INTERNAL)
def test_internal_services_answer_on_the_private_socket_only(stack: Stack, service: str) -> None:
    request = health_pb2.HealthCheckRequest(service=service)
    reply = health_pb2_grpc.HealthStub(stack.internal).Check(request, timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert stack.server.internal_address.startswith("unix:")
    with pytest.raises(grpc.RpcError) as err:
        health_pb2_grpc.HealthStub(stack.channel).Check(request, timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_describes_a_method(stack: Stack) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(stack.channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="shift.v1.QueryService")
    (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    assert reply.file_descriptor_response.file_descriptor_proto
