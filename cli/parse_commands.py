"""`shift parse` and `shift fmt`: the parser on files or stdin, no server needed."""

from __future__ import annotations

import argparse
import json
import sys

from services.parser import ParseErrors, format_script, parse, statement_to_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", help="SHiFT-QL files, or - for stdin")


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    with open(name, encoding="utf-8") as f:
        return f.read()


def run_parse(args: argparse.Namespace) -> int:
    """One JSON object per statement on stdout; exit 2 with FILE:LINE:COL lines on errors."""
    failed = False
    for name in args.files:
        source = "<stdin>" if name == "-" else name
        try:
            script = parse(_read(name), source)
        except OSError as err:
            print(f"{source}: {err.strerror}", file=sys.stderr)
            failed = True
            continue
        except ParseErrors as errors:
            for error in errors.errors:
                print(error.render(), file=sys.stderr)
            failed = True
            continue
        for stmt in script.statements:
            print(json.dumps(statement_to_json(stmt), sort_keys=True))
    return 2 if failed else 0


def run_fmt(args: argparse.Namespace) -> int:
    """The canonical form of each file on stdout."""
    failed = False
    for name in args.files:
        source = "<stdin>" if name == "-" else name
        try:
            print(format_script(parse(_read(name), source)))
        except OSError as err:
            print(f"{source}: {err.strerror}", file=sys.stderr)
            failed = True
        except ParseErrors as errors:
            for error in errors.errors:
                print(error.render(), file=sys.stderr)
            failed = True
    return 2 if failed else 0
