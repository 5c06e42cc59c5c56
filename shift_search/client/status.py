"""What `Client.status()` answers: the work queue and the executors pulling from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExecutorState:
    """One executor heart-beating on the work queue."""

    executor_id: str
    device: str
    slots: int
    models: tuple[str, ...]
    """Keys of the models whose weights it holds."""
    running_tasks: tuple[str, ...]
    """Ids of the tasks it runs now."""
    heartbeat_age_seconds: float


@dataclass(frozen=True)
class ServerStatus:
    """The queue's address and length, and its live executors."""

    queue: str
    waiting: int
    """Tasks no executor has taken yet."""
    running: int
    """Tasks taken and not finished."""
    active_queries: int
    executors: tuple[ExecutorState, ...]

    @property
    def slots(self) -> int:
        """Device slots across the live executors."""
        return sum(e.slots for e in self.executors)
