"""`shift query`: send SHiFT-QL to a server and print what comes back."""

from __future__ import annotations

import argparse

from shift_search.cli.render import HumanPrinter, JsonPrinter
from shift_search.cli.scripts import read_script, source_name
from shift_search.client.blocking import DEFAULT_SERVER, Client, default_address


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="SHiFT-QL text (or use -f FILE)")
    parser.add_argument("-f", "--file", help="read the script from FILE (- for stdin)")
    add_server_argument(parser)
    parser.add_argument("--json", action="store_true", help="JSON lines instead of tables")
    parser.add_argument("--session", default="", help="session id (keeps DECLAREd variables)")


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=default_address(),
        help=f"host:port of the SHiFT server (default $SHIFT_SERVER, else {DEFAULT_SERVER})",
    )


def run(args: argparse.Namespace) -> int:
    if args.file:
        text, source = read_script(args.file), source_name(args.file)
    elif args.text:
        text, source = args.text, "<query>"
    else:
        raise SystemExit("shift query: give the query text or -f FILE")
    printer = JsonPrinter() if args.json else HumanPrinter()
    with Client(args.server, session_id=args.session) as client:
        try:
            for event in client.events(text, source=source):
                printer.event(event)
        finally:
            if isinstance(printer, HumanPrinter):
                printer.close()  # an error message must not land on a live progress line
    return 0
