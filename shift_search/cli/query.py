"""`shift query`: send SHiFT-QL to a server and print what comes back."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shift_search.cli.client import DEFAULT_SERVER, ShiftClient
from shift_search.cli.render import HumanPrinter, JsonPrinter
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.tls import channel_credentials

TOKEN_ENV = "SHIFT_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="SHiFT-QL text (or use -f FILE)")
    parser.add_argument("-f", "--file", help="read the script from FILE (- for stdin)")
    add_server_argument(parser)
    parser.add_argument("--json", action="store_true", help="JSON lines instead of tables")
    parser.add_argument("--session", default="", help="session id (keeps DECLAREd variables)")


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    """--server and how to reach it securely: TLS and a bearer token."""
    env = os.environ.get
    parser.add_argument(
        "--server",
        default=env("SHIFT_SERVER", DEFAULT_SERVER),
        help=f"host:port of the SHiFT server (default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--ca", default=env("SHIFT_CA"), help="CA bundle to verify the server (turns on TLS)"
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        default=bool(env("SHIFT_TLS")),
        help="TLS, verified with the system's CAs",
    )
    parser.add_argument("--cert", default=env("SHIFT_CLIENT_CERT"), help="client certificate")
    parser.add_argument("--key", default=env("SHIFT_CLIENT_KEY"), help="its private key")
    parser.add_argument(
        "--token-file",
        default=env("SHIFT_TOKEN_FILE"),
        help=f"file holding a bearer token (or set ${TOKEN_ENV}; never a token as an argument)",
    )


def client_of(args: argparse.Namespace) -> ShiftClient:
    """A client for --server with the TLS and token the flags (or environment) give."""
    credentials = None
    if args.ca or args.tls or args.cert:
        credentials = channel_credentials(
            Path(args.ca) if args.ca else None,
            Path(args.cert) if args.cert else None,
            Path(args.key) if args.key else None,
        )
    return ShiftClient(args.server, credentials=credentials, token=token_of(args))


def token_of(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            text = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise InvalidArgument(f"--token-file {args.token_file}: {err.strerror}") from None
        return text or None
    return os.environ.get(TOKEN_ENV) or None


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
    client = client_of(args)
    try:
        for event in client.execute(text, session_id=args.session, source=source):
            printer.event(event)
    finally:
        if isinstance(printer, HumanPrinter):
            printer.close()  # an error message must not land on a live progress line
        client.close()
    return 0
