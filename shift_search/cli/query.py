"""`shift query`: send SHiFT-QL to a server and print what comes back."""

from __future__ import annotations

import argparse
import os
import sys

from shift_search.cli.client import DEFAULT_SERVER, ShiftClient
from shift_search.cli.render import HumanPrinter, JsonPrinter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="SHiFT-QL text (or use -f FILE)")
    parser.add_argument("-f", "--file", help="read the script from FILE (- for stdin)")
    add_server_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="JSON lines instead of tables (plans included)"
    )
    parser.add_argument("--session", default="", help="session id (keeps DECLAREd variables)")


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("SHIFT_SERVER", DEFAULT_SERVER),
        help=f"host:port of the SHiFT server (default {DEFAULT_SERVER})",
    )


def run(args: argparse.Namespace) -> int:
    if args.file:
        source = "<stdin>" if args.file == "-" else args.file
        with sys.stdin if args.file == "-" else open(args.file, encoding="utf-8") as f:
            text = f.read()
    elif args.text:
        text, source = args.text, "<query>"
    else:
        raise SystemExit("shift query: give the query text or -f FILE")
    printer = JsonPrinter() if args.json else HumanPrinter()
    client = ShiftClient(args.server)
    try:
        for event in client.execute(text, session_id=args.session, source=source):
            printer.event(event)
    finally:
        if isinstance(printer, HumanPrinter):
            printer.close()  # an error message must not land on a live progress line
        client.close()
    return 0
