"""The `shift` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from shift_search.runtime.errors import ShiftError

Command = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    from shift_search.cli import (
        demo,
        parse_commands,
        query,
        register,
        serve,
        status,
        token_commands,
        unregister,
    )
    from shift_search.cli.shell import command as shell

    parser = argparse.ArgumentParser(
        prog="shift", description="SHiFT: a search engine for transfer learning"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Command]] = [
        ("serve", "run the services (all four by default)", serve.add_arguments, serve.run),
        ("query", "run SHiFT-QL on a server", query.add_arguments, query.run),
        (
            "parse",
            "parse SHiFT-QL files to JSON",
            parse_commands.add_arguments,
            parse_commands.run_parse,
        ),
        (
            "fmt",
            "print SHiFT-QL in canonical form",
            parse_commands.add_arguments,
            parse_commands.run_fmt,
        ),
        (
            "register",
            "add models, datasets or benchmark results to the catalog",
            register.add_arguments,
            register.run,
        ),
        (
            "unregister",
            "remove a model or dataset from the catalog",
            unregister.add_arguments,
            unregister.run,
        ),
        (
            "status",
            "list the executors on the work queue and its length",
            status.add_arguments,
            status.run,
        ),
        ("demo", "run the main job end to end on real models", demo.add_arguments, demo.run),
        (
            "token",
            "issue, list or revoke bearer tokens",
            token_commands.add_arguments,
            token_commands.run,
        ),
        ("shell", "an interactive SHiFT-QL prompt", shell.add_arguments, shell.run),
    ]
    for name, help_text, add, run in commands:
        command = sub.add_parser(name, help=help_text, description=help_text)
        add(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except ShiftError as err:
        first, *rest = err.message.splitlines() or [""]
        print(f"shift: {err.code.name}: {first}", file=sys.stderr)
        for line in rest:
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of stdout went away (`shift parse … | head`): stop quietly, as `cat` does.
    Stdout is pointed at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (embedded, under test)
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a writer the pipe stopped


if __name__ == "__main__":
    sys.exit(main())
