"""`shift shell`: the prompt loop. Statements end with `;` and may span lines; Tab completes
keywords and the catalog's names; history persists under the SHiFT home."""

from __future__ import annotations

import argparse
from pathlib import Path

from shift_search.cli.query import add_server_argument, client_of
from shift_search.runtime.settings import shift_home

HISTORY_FILE = "shell_history"
HELP = """\
Type SHiFT-QL; a statement ends with `;` and may span lines (Enter before the `;` starts a
new line). Tab completes keywords, tables, columns, models, datasets, variables and proxies
(after a quote, names only). Up and Down walk the history (kept in {history}).
  USE host:port;   connect to another server
  refresh          fetch the catalog again for completion
  help             this text
  quit, exit, \\q   leave (or Ctrl-D); Ctrl-C cancels a running query
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_argument(parser)
    parser.add_argument(
        "--history", type=Path, help=f"history file (default: $SHIFT_HOME/{HISTORY_FILE})"
    )


def run(args: argparse.Namespace) -> int:
    try:
        from shift_search.cli.shell.session import Shell
    except ImportError as err:
        raise SystemExit(
            f"shift shell needs {err.name}: pip install 'shift-search[client]'"
        ) from None

    history = args.history or shift_home() / HISTORY_FILE
    shell = Shell(lambda address: client_of(args, address=address, session_id=None), history)
    return shell.loop(args.server, HELP.format(history=history))
