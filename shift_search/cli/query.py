"""`shift query`: send SHiFT-QL to a server and print what comes back."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from shift_search.cli.render import HumanPrinter, JsonPrinter
from shift_search.cli.scripts import read_script, source_name
from shift_search.client.blocking import DEFAULT_SERVER, Client, default_address
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.tls import channel_credentials

TOKEN_ENV = "SHIFT_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="SHiFT-QL text (or use -f FILE)")
    parser.add_argument("-f", "--file", help="read the script from FILE (- for stdin)")
    add_server_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="JSON lines instead of tables (plans included)"
    )
    parser.add_argument("--session", default="", help="session id (keeps DECLAREd variables)")


def add_server_argument(parser: argparse.ArgumentParser) -> None:
    """--server and how to reach it securely: TLS and a bearer token."""
    env = os.environ.get
    parser.add_argument(
        "--server",
        default=default_address(),
        help=f"host:port of the SHiFT server (default $SHIFT_SERVER, else {DEFAULT_SERVER})",
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


def client_of(
    args: argparse.Namespace, *, address: str | None = None, session_id: str | None = ""
) -> Client:
    """A client for `address` (default --server) with the TLS and token the flags (or the
    environment) give; `session_id` None: a session of its own."""
    credentials = None
    if args.ca or args.tls or args.cert:
        credentials = channel_credentials(
            Path(args.ca) if args.ca else None,
            Path(args.cert) if args.cert else None,
            Path(args.key) if args.key else None,
        )
    return Client(args.server, credentials=credentials, token=token_of(args), session_id=session_id)


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
        text, source = read_script(args.file), source_name(args.file)
    elif args.text:
        text, source = args.text, "<query>"
    else:
        raise SystemExit("shift query: give the query text or -f FILE")
    printer = JsonPrinter() if args.json else HumanPrinter()
    with client_of(args, session_id=args.session) as client:
        try:
            for event in client.events(text, source=source):
                printer.event(event)
        finally:
            if isinstance(printer, HumanPrinter):
                printer.close()  # an error message must not land on a live progress line
    return 0
