"""Start-up and shutdown shared by every service: one gRPC server with health checking,
server reflection, our interceptors, and a graceful drain on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shift_search.runtime.channels import CHANNEL_OPTIONS
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.interceptors import ServerInterceptor

log = logging.getLogger("shift.server")

DRAIN_SECONDS = 20.0
SERVER_OPTIONS = [
    *CHANNEL_OPTIONS,
    # clients ping every 30 s to keep long, silent task streams open; without these, gRPC's
    # default (one ping per 5 min) answers GOAWAY too_many_pings and kills the stream
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
    # a port in use is an error, not a second listener sharing its connections
    ("grpc.so_reuseport", 0),
]


@dataclass(frozen=True)
class Registration:
    """One service to serve: its full name (for health and reflection) and how to add it."""

    name: str
    add: Callable[[grpc.Server], None]
    on_stop: Callable[[], None] | None = None


class ServiceServer:
    """A running gRPC server hosting one or more SHiFT services."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, max_workers: int = 32, role: str = ""
    ) -> None:
        """Bind the port at once, so `address` is known before services are added; `role` says
        in the logs what the server is for, when it is not the public one."""
        self._role = f" ({role})" if role else ""
        self._registrations: list[Registration] = []
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
            interceptors=[ServerInterceptor()],
            options=SERVER_OPTIONS,
        )
        try:
            self.port = self._server.add_insecure_port(f"{host}:{port}")
        except RuntimeError:  # grpc's "Failed to bind": the port is taken or the host is not ours
            self.port = 0
        if self.port == 0:
            raise FailedPrecondition(
                f"cannot listen on {host}:{port}: the port is in use, or {host} is not an "
                "address of this machine (choose another with --port or --host)"
            )
        self.host = host
        self._health = health.HealthServicer(experimental_non_blocking=True)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        self._stopped = threading.Event()
        self._inner: list[ServiceServer] = []

    def attach(self, inner: ServiceServer) -> ServiceServer:
        """Start `inner` with this server and stop it once this one has drained (before this
        one's services stop). `shift serve` gives the planner's own calls to the cache and
        executor such a loopback server, so they never wait for threads held by queries."""
        self._inner.append(inner)
        return self

    def add(self, *registrations: Registration) -> ServiceServer:
        """Host more services (before `start`)."""
        for reg in registrations:
            reg.add(self._server)
            self._registrations.append(reg)
        return self

    @property
    def address(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "::", "[::]") else self.host
        return f"{host}:{self.port}"

    def start(self) -> ServiceServer:
        for inner in self._inner:
            inner.start()
        names = [reg.name for reg in self._registrations]
        health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        reflection.enable_server_reflection(
            [*names, health_name, reflection.SERVICE_NAME], self._server
        )
        self._server.start()
        for name in ("", *(reg.name for reg in self._registrations)):
            self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        served = ", ".join(names)
        log.info("serving %s on %s%s", served, self.address, self._role)
        return self

    def stop(self, grace: float = DRAIN_SECONDS) -> None:
        """Report NOT_SERVING, drain in-flight calls for up to `grace` seconds, then stop."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._health.enter_graceful_shutdown()
        self._server.stop(grace).wait()
        for inner in self._inner:
            inner.stop(grace)
        for reg in self._registrations:
            if reg.on_stop is not None:
                reg.on_stop()
        log.info("stopped %s", self.address)

    def wait(self) -> None:
        self._server.wait_for_termination()

    def stop_on_signals(self) -> None:
        """Drain and stop on SIGTERM or SIGINT (call from the main thread)."""

        def handle(signum: int, _frame: object) -> None:
            log.info("received %s, draining", signal.Signals(signum).name)
            threading.Thread(target=self.stop, daemon=True).start()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
