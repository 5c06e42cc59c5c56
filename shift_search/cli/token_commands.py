"""`shift token issue|list|revoke`: the token file a server reads with `--tokens`.

The file holds each token's name, role and SHA-256, never the token: `issue` prints the new
token once, on standard output, and nowhere else. A running server sees changes at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shift_search.runtime.callers import Role
from shift_search.runtime.settings import shift_home
from shift_search.runtime.tokens import issue, read_entries, revoke


def default_token_file() -> Path:
    configured = os.environ.get("SHIFT_TOKENS")
    return Path(configured) if configured else shift_home() / "tokens.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help="token file (default: $SHIFT_TOKENS, else tokens.json in the SHiFT home)",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    issuing = actions.add_parser("issue", help="add a token and print it (once)")
    issuing.add_argument("name", help="who or what holds it (shown in logs and `list`)")
    issuing.add_argument(
        "--role", required=True, choices=[r.label for r in Role], help="what it may do"
    )
    actions.add_parser("list", help="names, roles and creation times (never the tokens)")
    revoking = actions.add_parser("revoke", help="remove a token; servers refuse it at once")
    revoking.add_argument("name")


def run(args: argparse.Namespace) -> int:
    path: Path = args.file or default_token_file()
    match args.action:
        case "issue":
            token = issue(path, args.name, args.role)
            print(
                f"issued {args.role} token {args.name!r} in {path}; it is shown only now:",
                file=sys.stderr,
            )
            print(token)
        case "list":
            for entry in read_entries(path):
                print(f"{entry.name}\t{entry.role}\t{entry.created}")
        case "revoke":
            revoke(path, args.name)
            print(f"revoked {args.name!r} in {path}", file=sys.stderr)
    return 0
