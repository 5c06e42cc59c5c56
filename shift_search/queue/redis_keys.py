"""Every Redis key and stream the queue uses, built in one place.

All keys share one hash tag (`{shift:queue}` by default), so the Lua scripts that touch several
of them stay valid on a Redis Cluster (they then live on one shard).

    {ns}:backlog              stream, group `executors`: one token per task not yet finished;
                              its lag = tasks waiting, its pending entries = tasks running
                              (what KEDA's redis-streams scaler watches)
    {ns}:active               sorted set: queries with waiting tasks, in order of arrival
    {ns}:cursor               integer: where the next take starts in the round-robin
    {ns}:retry                stream, group `executors`: tasks offered again (lost, released)
    {ns}:executors            sorted set: executor id → last heartbeat (ms, Redis clock)
    {ns}:executor:{id}        JSON status of one executor, expires without heartbeats
    {ns}:held:{id}            hash: deliveries an executor holds (handle → record)
    {ns}:done:{task}          a finished task's result, for a while (idempotency)
    {ns}:reaped_at            when the reaper last ran (ms)
    {ns}:watching_since       since when reapers ran without a gap (ms); none judges before
                              a full interval has passed
    {ns}:q:{query}:m:{model}  stream, group `executors`: a query's tasks for one model
    {ns}:q:{query}:models     sorted set: model → tasks waiting (locality, exhaustion)
    {ns}:q:{query}:streams    set: the query's task streams (for cancel and close)
    {ns}:q:{query}:events     stream: the query's notifications (taken, progress, result…)
    {ns}:q:{query}:cancelled  flag, expires
    {ns}:q:{query}:closed     flag, expires: the planner closed the query
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "executors"
DEFAULT_NAMESPACE = "shift:queue"


@dataclass(frozen=True)
class QueueKeys:
    """The key layout under one namespace."""

    namespace: str = DEFAULT_NAMESPACE

    @property
    def prefix(self) -> str:
        return "{" + self.namespace + "}"

    @property
    def backlog(self) -> str:
        return f"{self.prefix}:backlog"

    @property
    def active(self) -> str:
        return f"{self.prefix}:active"

    @property
    def retry(self) -> str:
        return f"{self.prefix}:retry"

    @property
    def executors(self) -> str:
        return f"{self.prefix}:executors"

    def executor(self, executor_id: str) -> str:
        return f"{self.prefix}:executor:{executor_id}"

    def done(self, task_id: str) -> str:
        return f"{self.prefix}:done:{task_id}"

    def held(self, executor_id: str) -> str:
        return f"{self.prefix}:held:{executor_id}"

    def query(self, query_id: str, part: str) -> str:
        return f"{self.prefix}:q:{query_id}:{part}"
