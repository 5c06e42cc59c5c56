"""`shift parse` and `shift fmt`: the parser on files or stdin, no server needed.

Both exit 0 when every file is valid, else 2 with one `FILE:LINE:COL: message` line per error on
stderr (`<stdin>` for `-`). `shift parse` still prints the JSON of the statements without errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from shift_search.cli.scripts import UnreadableScript, read_script, source_name
from shift_search.parser import ParseErrors, format_text, parse, statement_to_json
from shift_search.parser.ast import Statement


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", help="SHiFT-QL files, or - for stdin")


def _report(errors: ParseErrors) -> None:
    for error in errors.errors:
        print(error.render(), file=sys.stderr)


def run_parse(args: argparse.Namespace) -> int:
    """One JSON object per valid statement on stdout, in order; errors on stderr."""
    failed = False
    for name in args.files:
        source = source_name(name)
        statements: tuple[Statement, ...]
        found: ParseErrors | None = None
        try:
            statements = parse(read_script(name), source).statements
        except UnreadableScript as err:
            print(err.message, file=sys.stderr)
            failed = True
            continue
        except ParseErrors as errors:
            statements, found = errors.statements, errors
        for stmt in statements:
            print(json.dumps(statement_to_json(stmt), sort_keys=True))
        if found is not None:
            sys.stdout.flush()
            _report(found)
            failed = True
    return 2 if failed else 0


def run_fmt(args: argparse.Namespace) -> int:
    """The canonical form of each valid file on stdout, comments kept (see comments.py)."""
    failed = False
    for name in args.files:
        source = source_name(name)
        try:
            sys.stdout.write(format_text(read_script(name), source))
        except UnreadableScript as err:
            print(err.message, file=sys.stderr)
            failed = True
        except ParseErrors as errors:
            _report(errors)
            failed = True
    return 2 if failed else 0
