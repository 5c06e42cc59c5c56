"""How structured values become stored bytes: compact, sorted, UTF-8 JSON."""

from __future__ import annotations

import json
from typing import Any

from shift_search.runtime.errors import InvalidArgument


def dump_json(value: Any) -> bytes:
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"value cannot be stored as JSON: {exc}") from exc
    return text.encode()


def load_json(raw: bytes) -> Any:
    return json.loads(raw)


def load_request_json(raw: bytes, what: str) -> Any:
    """JSON sent by a caller: INVALID_ARGUMENT (never INTERNAL) when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"{what} is not JSON ({type(exc).__name__})") from None
