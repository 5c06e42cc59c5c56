"""Who is calling: a user with a role (bearer token), another SHiFT service (client
certificate), or a local caller on a plaintext loopback server, which is trusted.

The server interceptor sets the caller of each call; `require` is the one check of a user's
role, used by the interceptor (per method) and by the planner (per statement of a script).
"""

from __future__ import annotations

import contextvars
import enum
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

from shift_search.runtime.errors import InvalidArgument, PermissionDenied

log = logging.getLogger("shift.auth")


class Role(enum.IntEnum):
    """What a user may do; each role includes the ones below it."""

    READER = 1  # query, explain, parse, format
    WRITER = 2  # register datasets and models, fine-tune
    ADMIN = 3  # purge the cache, cache maintenance

    @property
    def label(self) -> str:
        return self.name.lower()


def parse_role(text: str) -> Role:
    try:
        return Role[text.strip().upper()]
    except KeyError:
        names = ", ".join(r.label for r in Role)
        raise InvalidArgument(f"unknown role {text!r}; expected one of {names}") from None


Component: TypeAlias = Literal["planner", "executor", "cache", "parser"]
COMPONENTS: tuple[Component, ...] = get_args(Component)


@dataclass(frozen=True)
class User:
    """Authenticated by a bearer token; `name` is the token's name, never the token."""

    name: str
    role: Role


@dataclass(frozen=True)
class Service:
    """Another SHiFT service, authenticated by the client certificate it showed."""

    component: Component
    name: str  # the certificate's common name


@dataclass(frozen=True)
class Local:
    """A caller of a plaintext server on loopback or a private socket, with no tokens
    configured: whoever can reach it is trusted (the single-user default)."""

    name: str = "local"


Caller: TypeAlias = User | Service | Local

_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)
_IN_PROCESS = Local()


def current_caller() -> Caller:
    """The caller of the call being served (Local outside a call: in-process use is trusted)."""
    return _caller.get() or _IN_PROCESS


@contextmanager
def calling_as(caller: Caller) -> Iterator[None]:
    token: contextvars.Token[Caller | None] = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)


def require(role: Role, action: str) -> None:
    """Raise PermissionDenied unless the current caller may do `action`, which needs `role`.
    Local callers may do anything; services never act as users."""
    caller = current_caller()
    match caller:
        case Local():
            return
        case User(role=have) if have >= role:
            return
        case User(name=name, role=have):
            log.warning("denied %s to %s (role %s, needs %s)", action, name, have.label, role.label)
            raise PermissionDenied(
                f"{action} needs the {role.label} role; token {name!r} has {have.label}"
            )
        case Service(name=name):
            log.warning("denied %s to service %s", action, name)
            raise PermissionDenied(f"{action} is not for SHiFT services ({name})")
