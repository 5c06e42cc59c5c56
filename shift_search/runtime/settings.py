"""Settings every service reads from the environment, in one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from shift_search.runtime.errors import InvalidArgument

DEFAULT_PORT = 50051
CACHE_MAX_BYTES_ENV = "SHIFT_CACHE_MAX_BYTES"
DEFAULT_CACHE_MAX_BYTES = 20 * 2**30
"""The embedded store keeps at most this many bytes of evictable values (feature chunks)."""

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def shift_home() -> Path:
    """Where the embedded store and local artefacts live: $SHIFT_HOME or the user cache dir."""
    configured = os.environ.get("SHIFT_HOME")
    path = Path(configured) if configured else Path(platformdirs.user_cache_dir("shift"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def parse_size(text: str, what: str) -> int | None:
    """Bytes from `10GiB`, `500 MB`, `1048576`; None for `0`, `none` or `unlimited` (no cap).
    A malformed size raises InvalidArgument naming `what`."""
    if text.strip().lower() in ("none", "unlimited"):
        return None
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise InvalidArgument(
            f"{what}: {text!r} is not a size; write bytes with an optional unit "
            "(KB, MB, GB, TB, KiB, MiB, GiB, TiB), or 0 / unlimited for no cap"
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    return size or None


def _cache_max_bytes() -> int | None:
    """$SHIFT_CACHE_MAX_BYTES, else DEFAULT_CACHE_MAX_BYTES; None means no cap."""
    configured = os.environ.get(CACHE_MAX_BYTES_ENV)
    if configured is None or not configured.strip():
        return DEFAULT_CACHE_MAX_BYTES
    return parse_size(configured, CACHE_MAX_BYTES_ENV)


@dataclass(frozen=True)
class Settings:
    """Service settings; environment variables override the defaults."""

    redis_url: str | None = field(default_factory=lambda: os.environ.get("SHIFT_REDIS_URL"))
    executor_slots: int = field(
        default_factory=lambda: int(os.environ.get("SHIFT_EXECUTOR_SLOTS", "1"))
    )
    device: str | None = field(default_factory=lambda: os.environ.get("SHIFT_DEVICE") or None)
    cache_max_bytes: int | None = field(default_factory=_cache_max_bytes)
