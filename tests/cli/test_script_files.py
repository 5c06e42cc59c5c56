"""`shift parse|fmt|query -f` as real processes: a binary or non-UTF-8 file gets one clear line
naming it (no traceback), and `shift parse … | head` stops quietly when head has read enough."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHIFT = [sys.executable, "-m", "shift_search.cli.main"]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
LATIN1 = "select * from models where name = 'été';".encode("latin-1")
NOT_UTF8 = "not UTF-8 text (byte 0xe9 at offset 35); SHiFT-QL scripts are UTF-8"


def shift(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHIFT, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("content", "why"),
    [(PNG, "a binary file, not SHiFT-QL text (NUL byte at offset 8)"), (LATIN1, NOT_UTF8)],
)
def test_a_file_that_is_not_text_is_refused_by_name(
    tmp_path: Path, content: bytes, why: str
) -> None:
    bad, good = tmp_path / "bad.sql", tmp_path / "good.sql"
    bad.write_bytes(content)
    good.write_text("select * from models;\n")
    for command, code in (("parse", 2), ("fmt", 2)):
        done = shift(command, bad, good)
        assert done.returncode == code, done.stderr
        assert done.stderr.splitlines() == [f"{bad}: {why}"]  # one line, no traceback
        assert "models" in done.stdout.lower()  # the good file after it still ran
    done = shift("query", "-f", bad, "--server", "127.0.0.1:9")  # fails before any connection
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"shift: INVALID_ARGUMENT: {bad}: {why}"]


def test_a_missing_file_for_query_is_one_line(tmp_path: Path) -> None:
    done = shift("query", "-f", tmp_path / "none.sql", "--server", "127.0.0.1:9")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"shift: INVALID_ARGUMENT: {tmp_path / 'none.sql'}: No such file or directory"
    )


def test_parse_into_a_pipe_closed_early_exits_quietly(tmp_path: Path) -> None:
    script = tmp_path / "many.sql"
    statement = 'select name from text_models where source = "huggingface" limit 3;\n'
    script.write_text(statement * 3000)  # far more JSON than a pipe buffer holds
    process = subprocess.Popen(
        [*SHIFT, "parse", str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # what `| head -1` reads, then it goes away
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert first.startswith("{") and stderr == ""
