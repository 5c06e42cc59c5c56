"""Who may call what on a server: the access policy a `ServiceServer` is given.

- `OpenAccess`: plaintext on loopback or a private socket, no tokens: every caller is Local.
- `TokenAccess`: the public port with bearer tokens; each public method needs a role, health
  and reflection need none, anything else is refused.
- `PeerAccess`: an internal port with mutual TLS; the client certificate's common name says
  which SHiFT service calls (`shift-<component>`, optionally followed by `.` and more), and
  each internal method is open to the components that need it.

A QueryService Execute carries a script, so its method-level check (reader) is only the first:
the planner checks each statement's role once the script is parsed (`planner/authorization`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

import grpc

from shift_search.runtime.callers import (
    COMPONENTS,
    Caller,
    Component,
    Local,
    Role,
    Service,
    calling_as,
    require,
)
from shift_search.runtime.errors import PermissionDenied, Unauthenticated
from shift_search.runtime.tls import peer_certificate_name
from shift_search.runtime.tokens import Authenticator

log = logging.getLogger("shift.auth")

AUTHORIZATION_HEADER = "authorization"

HEALTH = ("/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch")
REFLECTION = (
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
)
OPEN_METHODS = frozenset((*HEALTH, *REFLECTION))
"""Answered without credentials: probes and `grpcurl list` (the API itself is public)."""

PUBLIC_METHODS: Mapping[str, Role] = {
    "/shift.v1.QueryService/Execute": Role.READER,  # and per statement, in the planner
    "/shift.v1.QueryService/Explain": Role.READER,
    "/shift.v1.QueryService/GetStatus": Role.READER,  # executors and the queue's length
    "/shift.v1.QueryService/AddBenchmarkResults": Role.WRITER,
    "/shift.v1.ParserService/Parse": Role.READER,
    "/shift.v1.ParserService/Format": Role.READER,
}

_CACHE = "/shift.v1.CacheService/"
_PLANNER: frozenset[Component] = frozenset({"planner"})
_BOTH: frozenset[Component] = frozenset({"planner", "executor"})
INTERNAL_METHODS: Mapping[str, frozenset[Component]] = {
    **{
        _CACHE + name: _BOTH
        for name in (
            "GetModel",
            "ListModels",
            "GetDataset",
            "ListDatasets",
            "GetValues",
            "ScanKeys",
            "GetBlob",
            "PutValues",  # which keys each may write: cache/write_policy.py
            "PutBlob",
            "AcquireLease",
            "ReleaseLease",
            "RegisterModel",  # executors register the models they fine-tune
        )
    },
    **{
        _CACHE + name: _PLANNER
        for name in (
            "RegisterDataset",
            "DeleteModel",
            "DeleteDataset",
            "Purge",
            "AppendHistory",
        )
    },
    "/shift.v1.ExecutorService/RunTask": _PLANNER,
    "/shift.v1.ExecutorService/CancelTask": _PLANNER,
    "/shift.v1.ExecutorService/GetCapacity": _PLANNER,
    "/shift.v1.ExecutorService/DescribeDataset": _PLANNER,
    "/shift.v1.ParserService/Parse": _PLANNER,  # a parser run alone serves the planners
    "/shift.v1.ParserService/Format": _PLANNER,
}


class AccessPolicy(Protocol):
    def admit(self, method: str, context: grpc.ServicerContext) -> Caller:
        """The caller, if it may call `method`; else Unauthenticated or PermissionDenied."""
        ...


class OpenAccess:
    """Everyone is trusted (plaintext on loopback or a private socket, no tokens)."""

    def admit(self, method: str, context: grpc.ServicerContext) -> Caller:
        return Local()


class TokenAccess:
    """The public port with bearer tokens (`authorization: Bearer <token>`)."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def admit(self, method: str, context: grpc.ServicerContext) -> Caller:
        if method in OPEN_METHODS:
            return Local(name="anonymous")
        user = self.authenticator.authenticate(_bearer(context))
        role = PUBLIC_METHODS.get(method)
        if role is None:
            log.warning("denied %s to %s: not a public method", method, user.name)
            raise PermissionDenied(f"{method} is not served to users")
        with calling_as(user):
            require(role, _short(method))
        return user


class PeerAccess:
    """An internal port with mutual TLS: only SHiFT services, each to the methods it needs."""

    def admit(self, method: str, context: grpc.ServicerContext) -> Caller:
        name = peer_certificate_name(context)
        if name is None:
            raise Unauthenticated(f"{_short(method)} needs a SHiFT service's client certificate")
        component = component_of(name)
        if component is None:
            log.warning("denied %s to certificate %r: not a SHiFT service", method, name)
            raise PermissionDenied(f"certificate {name!r} does not name a SHiFT service")
        if method not in OPEN_METHODS and component not in INTERNAL_METHODS.get(method, ()):
            log.warning("denied %s to %s", method, name)
            raise PermissionDenied(f"{_short(method)} is not open to the {component}")
        return Service(component, name)


def component_of(common_name: str) -> Component | None:
    """`shift-executor` or `shift-executor.shift.svc` → executor; anything else → None."""
    head = common_name.split(".", 1)[0]
    for component in COMPONENTS:
        if head == f"shift-{component}":
            return component
    return None


def _bearer(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == AUTHORIZATION_HEADER and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Unauthenticated("this server needs a bearer token (authorization: Bearer <token>)")


def _short(method: str) -> str:
    return method.rsplit("/", 1)[-1]
