"""Sessions: the DECLAREd variables of each client, many sessions at once."""

from __future__ import annotations

import difflib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

from services.parser import ast
from services.runtime.errors import NotFound

VariableKind = Literal["models", "datasets"]


@dataclass(frozen=True)
class Variable:
    """What `DECLARE v AS q` keeps: the query and the names it produced when it ran."""

    name: str
    kind: VariableKind
    members: tuple[str, ...]
    query: ast.Query


@dataclass
class Session:
    id: str
    variables: dict[str, Variable] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)

    def get(self, name: str) -> Variable:
        for key, var in self.variables.items():
            if key.lower() == name.lower():
                return var
        raise NotFound(f"unknown variable {name!r}", _closest(name, self.variables))

    def has(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key in self.variables)


def _closest(name: str, known: dict[str, Variable]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, list(known), n=3, cutoff=0.5))


class Sessions:
    """All open sessions of this planner; idle ones expire after `ttl_seconds`."""

    def __init__(self, ttl_seconds: float = 24 * 3600) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._ttl = ttl_seconds

    def open(self, session_id: str = "") -> Session:
        now = time.monotonic()
        with self._lock:
            for sid in [s for s, v in self._sessions.items() if now - v.last_used > self._ttl]:
                del self._sessions[sid]
            sid = session_id or uuid.uuid4().hex
            session = self._sessions.setdefault(sid, Session(sid))
            session.last_used = now
            return session
