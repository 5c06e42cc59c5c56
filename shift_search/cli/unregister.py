"""`shift unregister model|dataset NAME`: remove a catalog entry.

It sends `DROP MODEL|DATASET [IF EXISTS] "NAME";` through the QueryService, so the server checks
the caller's role (writer) as for any change of the catalog. An unknown name is NOT_FOUND with
the closest registered names, unless `--if-exists`. Features and results computed from the entry
stay in the cache until PURGE or eviction.
"""

from __future__ import annotations

import argparse

from shift_search.cli.query import add_server_argument, client_of
from shift_search.client.events import Message
from shift_search.parser import ast, format_statement


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=("model", "dataset"), help="what to unregister")
    parser.add_argument("name", help="its name in the catalog")
    parser.add_argument(
        "--if-exists", action="store_true", help="no error when nothing has that name"
    )
    add_server_argument(parser)


def drop_statement(kind: str, name: str, if_exists: bool) -> str:
    node = ast.DropModel if kind == "model" else ast.DropDataset
    return format_statement(node(name, if_exists)) + ";"


def run(args: argparse.Namespace) -> int:
    script = drop_statement(args.kind, args.name, args.if_exists)
    with client_of(args) as client:
        for event in client.events(script, source="unregister"):
            if isinstance(event, Message):
                print(event.text)
    return 0
