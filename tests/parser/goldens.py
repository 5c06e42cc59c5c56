"""The golden cases: `golden/*.sql` with the expected statements' JSON in `*.json` beside them;
`errors/*.sql` with the expected errors in `*.json`. Adding a case needs no Python: write the
`.sql`, run `python -m tests.parser.regen`, and review the new `.json`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shift_search.parser import ParseErrors, parse, script_to_json

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
ERRORS = HERE / "errors"


def golden_queries() -> list[Path]:
    return sorted(GOLDEN.glob("*.sql"))


def error_queries() -> list[Path]:
    return sorted(ERRORS.glob("*.sql"))


def expected(path: Path) -> Any:
    return json.loads(path.with_suffix(".json").read_text())


def actual_statements(path: Path) -> Any:
    return script_to_json(parse(path.read_text(), source=path.name))


def actual_errors(path: Path) -> Any:
    try:
        parse(path.read_text(), source=path.name)
    except ParseErrors as errors:
        return [
            {"statement": e.statement, "line": e.line, "column": e.column, "message": e.message}
            for e in errors.errors
        ]
    return []


def write(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=1, ensure_ascii=False)
    text = _POSITION.sub(r"[\1, \2]", text)
    path.with_suffix(".json").write_text(text + "\n")


_POSITION = re.compile(r"\[\s*(\d+),\s*(\d+)\s*\]")
