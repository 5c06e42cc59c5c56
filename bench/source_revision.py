"""Which code measured a result: the checkout's commit, so a recorded figure can be reproduced
(or found stale) from the code that produced it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def source_revision(root: Path = ROOT) -> str | None:
    """The commit checked out at `root` (12 hex digits), with `+changes` when tracked files
    differ from it; None outside a git checkout or without git."""
    try:
        head = _git(root, "rev-parse", "--short=12", "HEAD")
        changed = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}+changes" if changed else head


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()
