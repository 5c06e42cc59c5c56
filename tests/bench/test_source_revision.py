"""The commit a benchmark records: what the checkout holds, marked when tracked files changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.source_revision import source_revision


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_commit_checked_out_and_whether_tracked_files_changed(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", "code.py")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    head = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    assert source_revision(tmp_path) == head
    (tmp_path / "notes.txt").write_text("untracked files are not the code that ran\n")
    assert source_revision(tmp_path) == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert source_revision(tmp_path) == f"{head}+changes"


def test_outside_a_checkout_there_is_no_commit(tmp_path: Path) -> None:
    assert source_revision(tmp_path) is None
