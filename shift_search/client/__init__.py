"""SHiFT's Python client: run SHiFT-QL on a server from a notebook, a script or asyncio code.

    from shift_search.client import Client
    client = Client("localhost:50051")
    ranking = client.query('SELECT name FROM text_models ORDER BY err ASC ... WAIT;')
    ranking.to_pandas()

Events, plans and errors are plain Python values (`events.py`, `plans.py`, `errors.py`);
`convert.py` is the only module that touches protobuf.
"""

from shift_search.client.aio import AsyncClient
from shift_search.client.blocking import DEFAULT_SERVER, Client
from shift_search.client.errors import ErrorLocation, ErrorPart, QueryError
from shift_search.client.events import (
    Eliminated,
    Event,
    Finished,
    Leaders,
    Message,
    Planned,
    Table,
    TaskDone,
    TaskProgress,
    Unknown,
)
from shift_search.client.plans import Plan, PlanStep, StepMeasurement
from shift_search.client.result import QueryResult
from shift_search.client.status import ExecutorState, ServerStatus

__all__ = [
    "DEFAULT_SERVER",
    "AsyncClient",
    "Client",
    "Eliminated",
    "ErrorLocation",
    "ErrorPart",
    "Event",
    "ExecutorState",
    "Finished",
    "Leaders",
    "Message",
    "Plan",
    "PlanStep",
    "Planned",
    "QueryError",
    "QueryResult",
    "ServerStatus",
    "StepMeasurement",
    "Table",
    "TaskDone",
    "TaskProgress",
    "Unknown",
]
