"""Rewrite every golden `.json` from what the parser gives now: `python -m tests.parser.regen`."""

from __future__ import annotations

from tests.parser.goldens import (
    actual_errors,
    actual_statements,
    error_queries,
    golden_queries,
    write,
)


def main() -> None:
    for path in golden_queries():
        write(path, actual_statements(path))
        print(f"wrote {path.with_suffix('.json')}")
    for path in error_queries():
        write(path, actual_errors(path))
        print(f"wrote {path.with_suffix('.json')}")


if __name__ == "__main__":
    main()
