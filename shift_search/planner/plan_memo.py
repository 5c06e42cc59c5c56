"""Plans made lately, kept while nothing they were made from has changed, so a statement sent
again (a cached ranking asked over and over) is not bound, read and priced again.

A plan is a function of the statement, the session's variables, what the store holds (the
catalog, stored results, benchmark results: all read through the cache) and the devices it is
priced for. An entry is kept under the statement, the variables and the store's `generation`,
read before binding: any write to the store since (a registration, a DROP, a PURGE, a new
result, by this process or another) moves the generation, and the entry is never found again.
A store that cannot tell (Redis, a cache over gRPC) has no generation: nothing is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from shift_search.parser import ast
from shift_search.planner.bound import BoundStatement
from shift_search.planner.cached import StoredWork
from shift_search.planner.executors import Devices
from shift_search.planner.physical import Plan
from shift_search.planner.session import Session

PLANS_KEPT = 128


@dataclass
class Made:
    """A statement bound and the stored work read for it, with its plan per device count."""

    bound: BoundStatement
    stored: StoredWork
    plans: dict[Devices, Plan] = field(default_factory=dict)


class PlanMemo:
    """The last `size` statements' bindings and plans (least recently used dropped first)."""

    def __init__(self, size: int = PLANS_KEPT) -> None:
        self._size = size
        self._made: OrderedDict[Hashable, Made] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(
        statement: ast.Query | ast.Finetune, session: Session, generation: Hashable | None
    ) -> Hashable | None:
        """What a plan of `statement` depends on besides the devices; None: keep nothing."""
        if generation is None:
            return None
        variables = tuple(sorted(session.variables.items()))
        key = (generation, statement, variables)
        try:
            hash(key)
        except TypeError:  # a statement or variable holding something unhashable
            return None
        return key

    def made(self, key: Hashable | None, make: Callable[[], Made]) -> Made:
        """The entry under `key`, made now (and kept, unless `key` is None) when there is none.
        `make` runs outside the lock; two threads making the same entry keep the later."""
        if key is None:
            return make()
        with self._lock:
            found = self._made.get(key)
            if found is not None:
                self._made.move_to_end(key)
                return found
        made = make()
        with self._lock:
            self._made[key] = made
            self._made.move_to_end(key)
            while len(self._made) > self._size:
                self._made.popitem(last=False)
        return made

    def plan(self, made: Made, devices: Devices, make: Callable[[], Plan]) -> Plan:
        """The plan of an entry for `devices`, made now when there is none."""
        with self._lock:
            found = made.plans.get(devices)
        if found is not None:
            return found
        plan = make()
        with self._lock:
            made.plans[devices] = plan
        return plan

    def __len__(self) -> int:
        with self._lock:
            return len(self._made)
