"""Settings every service reads from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DEFAULT_PORT = 50051


def shift_home() -> Path:
    """Where the embedded store and local artefacts live: $SHIFT_HOME or the user cache dir."""
    configured = os.environ.get("SHIFT_HOME")
    path = Path(configured) if configured else Path(platformdirs.user_cache_dir("shift"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Settings:
    """Service settings; environment variables override the defaults."""

    redis_url: str | None = field(default_factory=lambda: os.environ.get("SHIFT_REDIS_URL"))
    executor_slots: int = field(
        default_factory=lambda: int(os.environ.get("SHIFT_EXECUTOR_SLOTS", "1"))
    )
    device: str | None = field(default_factory=lambda: os.environ.get("SHIFT_DEVICE") or None)
    chunk_size: int = field(default_factory=lambda: int(os.environ.get("SHIFT_CHUNK_SIZE", "1024")))
