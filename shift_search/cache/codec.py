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
