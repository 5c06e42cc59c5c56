"""Per-call context carried across threads and services: the request id and the deadline."""

from __future__ import annotations

import contextvars
import time
import uuid

REQUEST_ID_HEADER = "x-request-id"

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def request_id() -> str:
    """The id of the request being served, or "-" outside one."""
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def set_deadline(seconds_remaining: float | None) -> contextvars.Token[float | None]:
    """Record when the current call must end (None: no deadline)."""
    at = None if seconds_remaining is None else time.monotonic() + seconds_remaining
    return _deadline.set(at)


def time_remaining() -> float | None:
    """Seconds left before the current call's deadline, or None when it has none."""
    at = _deadline.get()
    return None if at is None else max(0.0, at - time.monotonic())


def reset_deadline(token: contextvars.Token[float | None]) -> None:
    _deadline.reset(token)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)
