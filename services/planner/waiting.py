"""Waiting for work on the executors the way every strategy must: a cancelled run (the client
cancelled or went away) stops the work at once; without WAIT the answer comes after a short
while and the work goes on."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from services.runtime.errors import Cancelled

POLL_SECONDS = 0.1


class Work(Protocol):
    """Something running on the executors: a batch of tasks, a search, a ranking."""

    def wait(self, timeout: float | None = None) -> bool:
        """True once everything finished; False when `timeout` passed first."""
        ...

    def cancel(self) -> None:
        """Drop queued tasks and cancel running ones."""
        ...


def await_work(work: Work, cancelled: threading.Event, no_wait_seconds: float | None) -> bool:
    """Wait for `work`: True when it finished, False when `no_wait_seconds` passed first (without
    WAIT: the caller answers with what is known while the work goes on; None waits to the end).
    Once `cancelled` is set the work is cancelled and Cancelled is raised."""
    deadline = None if no_wait_seconds is None else time.monotonic() + no_wait_seconds
    while not work.wait(POLL_SECONDS):
        if cancelled.is_set():
            work.cancel()
            raise Cancelled("query cancelled")
        if deadline is not None and time.monotonic() > deadline:
            return False
    return True
