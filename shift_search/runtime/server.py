"""Start-up and shutdown shared by every service: one gRPC server with health checking,
server reflection, our interceptors, and a graceful drain on SIGTERM.

A server listens on a TCP port (TLS when given credentials) or on a private Unix socket, admits
callers by its access policy (`access.py`), and bounds what one client holds (`limits.py`). An
optional plaintext health port answers only the standard health checks, for probes that cannot
speak TLS (Kubernetes' native gRPC probes)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from shift_search.runtime.access import AccessPolicy
from shift_search.runtime.aio import LoopThread
from shift_search.runtime.channels import CHANNEL_OPTIONS
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.interceptors import AsyncServerInterceptor, ServerInterceptor
from shift_search.runtime.limits import INTERNAL_LIMITS, PUBLIC_LIMITS, Limits

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


def _options(limits: Limits) -> list[tuple[str, object]]:
    """The server options with this server's bound on request size."""
    receive = "grpc.max_receive_message_length"
    return [*(o for o in SERVER_OPTIONS if o[0] != receive), (receive, limits.max_request_bytes)]


def _listen_address(host: str, port: int) -> str:
    if host.startswith("unix:"):
        return host
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


@dataclass(frozen=True)
class Registration:
    """One service to serve: its full name (for health and reflection) and how to add it."""

    name: str
    add: Callable[[Any], None]  # a grpc.Server or grpc.aio.Server
    on_stop: Callable[[], None] | None = None


class ServiceServer:
    """A running gRPC server hosting one or more SHiFT services."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        role: str = "",
        credentials: grpc.ServerCredentials | None = None,
        access: AccessPolicy | None = None,
        limits: Limits = PUBLIC_LIMITS,
        health_port: int | None = None,
        asynchronous: bool = False,
    ) -> None:
        """Bind the port at once, so `address` is known before services are added; `role` says
        in the logs what the server is for, when it is not the public one. `host` may be
        `unix:/path` for a socket. An `asynchronous` server is a grpc.aio server on an event
        loop of its own: its I/O runs on that loop, asyncio handlers too, and synchronous
        handlers on its thread pool; its methods here stay synchronous."""
        self._role = f" ({role})" if role else ""
        self._registrations: list[Registration] = []
        self._interceptor = ServerInterceptor(access, limits)
        self._loop: LoopThread | None = None
        self._terminated = threading.Event()
        self._server: Any
        if asynchronous:
            self._loop = LoopThread("grpc-aio")
            pool = futures.ThreadPoolExecutor(
                max_workers=limits.max_workers, thread_name_prefix="rpc"
            )
            self._loop.loop.set_default_executor(pool)
            interceptor = AsyncServerInterceptor(self._interceptor, pool)
            self._server = self._loop.call(
                lambda: grpc.aio.server(
                    migration_thread_pool=pool,
                    interceptors=[interceptor],
                    options=_options(limits),
                    maximum_concurrent_rpcs=limits.max_concurrent_calls,
                )
            )
            self._health: Any = self._loop.call(health.aio.HealthServicer)
        else:
            self._server = grpc.server(
                futures.ThreadPoolExecutor(
                    max_workers=limits.max_workers, thread_name_prefix="rpc"
                ),
                interceptors=[self._interceptor],
                options=_options(limits),
                maximum_concurrent_rpcs=limits.max_concurrent_calls,
            )
            self._health = health.HealthServicer(experimental_non_blocking=True)
        self.host = host
        self.secure = credentials is not None
        self.port = self._bind(self._server, _listen_address(host, port), credentials)
        self._on_loop(health_pb2_grpc.add_HealthServicer_to_server, self._health, self._server)
        self._health_server = self._health_only(health_port) if health_port is not None else None
        self._stopped = threading.Event()
        self._finished = threading.Event()
        self._inner: list[ServiceServer] = []
        self._hooks: list[Callable[[], None]] = []
        self._socket_dir: str | None = None

    def _on_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call `function` on the event loop of an asynchronous server, else here; a coroutine
        it returns is awaited there."""
        if self._loop is None:
            return function(*args)
        result = self._loop.call(function, *args)
        if asyncio.iscoroutine(result):
            return self._loop.run(result)
        return result

    @classmethod
    def private_socket(cls, role: str, access: AccessPolicy | None = None) -> ServiceServer:
        """A server on a Unix socket in a fresh folder only this user can enter: other users
        of the machine cannot connect, and it is removed when the server stops."""
        folder = tempfile.mkdtemp(prefix="shift-")  # mode 0700
        server = cls(
            host=f"unix:{folder}/internal.sock", role=role, access=access, limits=INTERNAL_LIMITS
        )
        server._socket_dir = folder
        return server

    def _bind(self, server: Any, address: str, credentials: grpc.ServerCredentials | None) -> int:
        try:
            if credentials is None:
                port = self._on_loop(server.add_insecure_port, address)
            else:
                port = self._on_loop(server.add_secure_port, address, credentials)
        except RuntimeError:  # grpc's "Failed to bind": the port is taken or the host is not ours
            port = 0
        if port == 0:
            raise FailedPrecondition(
                f"cannot listen on {address}: the port is in use, or the host is not an "
                "address of this machine (choose another with --port or --host)"
            )
        return port

    def _health_only(self, port: int) -> Any:
        """A plaintext port answering only health checks (same status as the main port)."""
        if self._loop is not None:
            server = self._loop.call(grpc.aio.server)
        else:
            server = grpc.server(
                futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="probe")
            )
        self._on_loop(health_pb2_grpc.add_HealthServicer_to_server, self._health, server)
        host = "0.0.0.0" if self.host.startswith("unix:") else self.host
        self.health_port = self._bind(server, _listen_address(host, port), None)
        return server

    def attach(self, inner: ServiceServer) -> ServiceServer:
        """Start `inner` with this server and stop it once this one has drained (before this
        one's services stop). `shift serve` gives the planner's own calls to the cache and
        executor such a loopback server, so they never wait for threads held by queries."""
        self._inner.append(inner)
        return self

    def on_stop(self, hook: Callable[[], None]) -> ServiceServer:
        """Run `hook` when this server stops, after its services' own hooks (the shutdown of
        services served only by an attached server)."""
        self._hooks.append(hook)
        return self

    def add(self, *registrations: Registration) -> ServiceServer:
        """Host more services (before `start`)."""
        for reg in registrations:
            self._on_loop(reg.add, self._server)
            self._registrations.append(reg)
        return self

    @property
    def address(self) -> str:
        if self.host.startswith("unix:"):
            return self.host
        host = "localhost" if self.host in ("0.0.0.0", "::", "[::]") else self.host
        return f"{host}:{self.port}"

    @property
    def internal_address(self) -> str:
        """Where this server's internal services answer: the attached internal server's
        address (`shift serve` with all four services), else this server's own."""
        return self._inner[0].address if self._inner else self.address

    def start(self) -> ServiceServer:
        for inner in self._inner:
            inner.start()
        names = [reg.name for reg in self._registrations]
        health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        self._on_loop(
            reflection.enable_server_reflection,
            [*names, health_name, reflection.SERVICE_NAME],
            self._server,
        )
        self._on_loop(self._server.start)
        if self._health_server is not None:
            self._on_loop(self._health_server.start)
        for name in ("", *(reg.name for reg in self._registrations)):
            self._on_loop(self._health.set, name, health_pb2.HealthCheckResponse.SERVING)
        served = ", ".join(names)
        transport = "TLS" if self.secure else "plaintext"
        log.info("serving %s on %s (%s)%s", served, self.address, transport, self._role)
        return self

    def stop(self, grace: float = DRAIN_SECONDS) -> None:
        """Report NOT_SERVING, drain in-flight calls for up to `grace` seconds, then stop."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._on_loop(self._health.enter_graceful_shutdown)
        if self._loop is None:
            self._server.stop(grace).wait()
            if self._health_server is not None:
                self._health_server.stop(0).wait()
        else:
            self._loop.run(self._server.stop(grace))
            if self._health_server is not None:
                self._loop.run(self._health_server.stop(0))
            self._loop.stop()
        self._terminated.set()
        for inner in self._inner:
            inner.stop(grace)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        for reg in self._registrations:
            if reg.on_stop is not None:
                reg.on_stop()
        for hook in self._hooks:
            hook()
        self._finished.set()
        log.info("stopped %s", self.address)

    def wait(self) -> None:
        """Until the server has stopped, and, once a stop has begun, until it has finished
        (attached servers, shutdown hooks, the private socket's folder)."""
        if self._loop is None:
            self._server.wait_for_termination()
        else:
            self._terminated.wait()
        if self._stopped.is_set():
            self._finished.wait()

    def stop_on_signals(self) -> None:
        """Drain and stop on SIGTERM or SIGINT (call from the main thread)."""

        def handle(signum: int, _frame: object) -> None:
            log.info("received %s, draining", signal.Signals(signum).name)
            threading.Thread(target=self.stop, daemon=True).start()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
