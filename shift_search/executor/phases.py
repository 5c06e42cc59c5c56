"""Where a task's time goes: wall-clock seconds per phase, reported with its result.

Phases do not nest: `read` (data from its source), `lookup` (feature cache reads and leases),
`extract` (model forward passes, batching included), `store` (compressing and writing features)
and `proxy` (a proxy fitted on gathered features). What a task spends outside them (1-NN pair
searches, RPCs, queueing) is its total minus their sum.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Phases:
    """Seconds per phase, summed over a task."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started
