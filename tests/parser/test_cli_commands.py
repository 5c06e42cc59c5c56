"""`shift parse` and `shift fmt`: streams, exit codes and the FILE:LINE:COL contract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from shift_search.cli.main import main
from shift_search.parser import parse

ROOT = Path(__file__).resolve().parents[2]


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    texts = {
        "good.sql": "SELECT * FROM models LIMIT 1;\n-- a comment\nPURGE;\n",
        "bad.sql": "PURGE;\nSELECT * FRM models;\nPRINT *;\nSELECT * FROM m LIMIT 0;\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    return {name: tmp_path / name for name in texts}


def test_parse_prints_one_json_object_per_statement(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["parse", str(files["good.sql"])], capsys, monkeypatch)
    assert (code, err) == (0, "")
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["type"] for o in objects] == ["Select", "Purge"]
    assert objects[0]["limit"] == 1 and objects[1]["pos"] == [3, 1]


def test_parse_reads_stdin_for_dash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["parse", "-"], capsys, monkeypatch, stdin="PRINT *;\nPURGE;")
    assert (code, err) == (0, "")
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["Print", "Purge"]


def test_parse_errors_exit_2_with_one_file_line_col_line_each_and_valid_statements_kept(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = str(files["bad.sql"])
    code, out, err = run(["parse", bad], capsys, monkeypatch)
    assert code == 2
    assert err.splitlines() == [
        f"{bad}:2:10: unexpected `FRM`; expected FROM",
        f"{bad}:4:23: LIMIT must be at least 1, not 0",
    ]
    assert [json.loads(line)["index"] for line in out.splitlines()] == [0, 2]


def test_parse_errors_on_stdin_are_named_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["parse", "-"], capsys, monkeypatch, stdin="SELECT;")
    assert (code, out) == (2, "")
    assert err.startswith("<stdin>:1:7: unexpected `;`") and err.count("\n") == 1


def test_parse_goes_through_every_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = str(files["good.sql"]), str(files["bad.sql"])
    code, out, err = run(["parse", bad, "-", good], capsys, monkeypatch, stdin="USE x;")
    assert code == 2
    assert [line.split(":")[0] for line in err.splitlines()] == [bad, bad, "<stdin>"]
    assert [json.loads(line)["type"] for line in out.splitlines()] == [
        "Purge", "Print", "Select", "Purge",
    ]  # fmt: skip


def test_parse_reports_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = str(tmp_path / "nope.sql")
    code, out, err = run(["parse", missing], capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith(f"{missing}: ")


def test_fmt_prints_the_canonical_form_with_comments_and_no_blank_line(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["fmt", str(files["good.sql"])], capsys, monkeypatch)
    assert (code, err) == (0, "")
    assert out == "SELECT *\n  FROM models\n  LIMIT 1;\n-- a comment\nPURGE;\n"
    assert parse(out) == parse(files["good.sql"].read_text())


def test_fmt_errors_exit_2_and_print_nothing_for_that_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = str(files["bad.sql"])
    code, out, err = run(["fmt", bad, "-"], capsys, monkeypatch, stdin="purge")
    assert code == 2
    assert out == "PURGE;\n"
    assert err.splitlines()[0] == f"{bad}:2:10: unexpected `FRM`; expected FROM"


def test_the_real_command_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "shift_search.cli.main", "parse", "-"]
    done = subprocess.run(
        command, input="PURGE;\nSELECT * FRM m;", capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2
    assert json.loads(done.stdout) == {"index": 0, "pos": [1, 1], "type": "Purge"}
    assert done.stderr == "<stdin>:2:10: unexpected `FRM`; expected FROM\n"
