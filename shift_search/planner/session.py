"""Sessions: the DECLAREd variables of each client, many sessions at once.

Variables live in the cache service, one value per variable (under the session's key), so any
planner replica can serve any session and two DECLAREs running at once in one session never
overwrite each other; a variable keeps its members and the canonical text of its query.
"""

from __future__ import annotations

import difflib
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from shift_search.cache import keys
from shift_search.cache.stored import StoredVariable
from shift_search.parser import ast, parse
from shift_search.parser.formatter import format_query
from shift_search.runtime.errors import InvalidArgument, NotFound

VariableKind = Literal["models", "datasets"]


class ValueStore(Protocol):
    """The part of the cache client sessions need."""

    def get_value(self, key: str) -> bytes | None: ...

    def get_values(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def put_values(self, items: dict[str, bytes], *, evictable: bool = False) -> None: ...

    def scan(self, prefix: str) -> list[str]: ...


@dataclass(frozen=True)
class Variable:
    """What `DECLARE v AS q` keeps: the query and the names it produced when it ran."""

    name: str
    kind: VariableKind
    members: tuple[str, ...]
    query: ast.Query

    def stored(self) -> StoredVariable:
        return StoredVariable(self.name, self.kind, list(self.members), format_query(self.query))

    @classmethod
    def from_stored(cls, stored: StoredVariable) -> Variable:
        (statement,) = parse(stored.query + ";").statements
        query = statement.query if isinstance(statement, ast.Declare) else statement
        if not isinstance(query, ast.Query):
            raise InvalidArgument(f"variable {stored.name!r} holds no query: {stored.query!r}")
        kind: VariableKind = "datasets" if stored.kind == "datasets" else "models"
        return cls(stored.name, kind, tuple(stored.members), query)


@dataclass
class Session:
    id: str
    variables: dict[str, Variable] = field(default_factory=dict)
    store: ValueStore | None = None

    def get(self, name: str) -> Variable:
        for key, var in self.variables.items():
            if key.lower() == name.lower():
                return var
        raise NotFound(f"unknown variable {name!r}", _closest(name, self.variables))

    def has(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key in self.variables)

    def declare(self, variable: Variable) -> None:
        """Keep a variable (replacing one of the same name, in any case), in this session and in
        the cache; only this variable's own key is written."""
        for key in [k for k in self.variables if k.lower() == variable.name.lower()]:
            del self.variables[key]
        self.variables[variable.name] = variable
        if self.store is not None:
            value = variable.stored().to_json()
            self.store.put_values({keys.session_variable(self.id, variable.name): value})


def _closest(name: str, known: dict[str, Variable]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, list(known), n=3, cutoff=0.5))


class Sessions:
    """Opens sessions; with a store, their variables persist across calls and replicas."""

    def __init__(self, store: ValueStore | None = None) -> None:
        self._store = store
        self._local: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, session_id: str = "") -> Session:
        sid = session_id or uuid.uuid4().hex
        if self._store is None:
            with self._lock:
                return self._local.setdefault(sid, Session(sid))
        variables = _load(self._store, sid) if session_id else []
        return Session(sid, {v.name: v for v in variables}, self._store)


def _load(store: ValueStore, session_id: str) -> list[Variable]:
    """A session's variables: those of the older single-value layout, then one key each."""
    legacy = store.get_value(keys.session(session_id))
    stored = StoredVariable.all_from_json(legacy) if legacy else []
    names = sorted(store.scan(keys.session_variables(session_id)))
    stored += [StoredVariable.from_json(raw) for raw in store.get_values(names) if raw]
    latest = {v.name.lower(): v for v in stored}  # a per-variable value wins
    return [Variable.from_stored(v) for v in latest.values()]
