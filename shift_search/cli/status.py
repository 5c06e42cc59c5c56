"""`shift status`: the executors pulling from the server's work queue, and the queue's length."""

from __future__ import annotations

import argparse
import dataclasses
import json

from shift_search.cli.query import add_server_argument, client_of
from shift_search.cli.render import table_text
from shift_search.client.status import ServerStatus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")


def status_text(status: ServerStatus) -> str:
    """The queue in a line, then one row per live executor (or a line saying there is none)."""
    lines = [
        f"queue {status.queue}: {status.waiting} task(s) waiting (from "
        f"{status.active_queries} query batches), {status.running} running; "
        f"{len(status.executors)} executor(s) with {status.slots} slot(s)"
    ]
    if not status.executors:
        lines.append("no executor is heart-beating: queries wait until one joins the queue")
        return "\n".join(lines)
    rows = [
        (
            e.executor_id,
            e.device,
            f"{len(e.running_tasks)}/{e.slots}",
            ", ".join(e.models) or "-",
            ", ".join(e.running_tasks) or "-",
            f"{e.heartbeat_age_seconds:.1f}s",
        )
        for e in status.executors
    ]
    columns = ("executor", "device", "busy", "models loaded", "running tasks", "heartbeat")
    lines.append(table_text(columns, rows))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with client_of(args) as client:
        status = client.status()
    if args.json:
        print(json.dumps(dataclasses.asdict(status)))
    else:
        print(status_text(status))
    return 0
