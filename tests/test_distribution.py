"""The wheel installs one import root, `shift_search`, and the `shift` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_has_one_import_root_and_the_shift_command(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, ".", "-w", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        tops = {name.split("/")[0] for name in names}
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert {t for t in tops if not t.endswith(".dist-info")} == {"shift_search"}
    assert "shift = shift_search.cli.main:main" in scripts
    assert "shift_search/parser/shiftql.lark" in names
    assert "shift_search/proto/v1/query_pb2.py" in names
