"""Reading and writing SHiFT-QL literals: quoted strings and numbers with magnitude suffixes."""

from __future__ import annotations

import math
import re

MAGNITUDES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}

_ESCAPE = re.compile(r"\\(.)")
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def unquote(token: str) -> str:
    """The text of a quoted string token (`'…'`, `"…"` or `` `…` ``); `\\x` stands for `x`."""
    return _ESCAPE.sub(r"\1", token[1:-1])


def quote(text: str) -> str:
    """`text` as a double-quoted SHiFT-QL string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def read_number(token: str, negative: bool = False) -> int | float:
    """`10K` -> 10000, `1.5B` -> 1500000000, `2e-5` -> 2e-05; integral values become ints.

    Raises ValueError for a number too large to hold.
    """
    text = token.lower()
    factor = MAGNITUDES.get(text[-1], 1)
    if factor != 1:
        text = text[:-1]
    value: int | float
    if any(c in text for c in ".e"):
        value = float(text) * factor
        if not math.isfinite(value):
            raise ValueError(f"number {token} is too large")
        if factor != 1 and value.is_integer():
            value = int(value)
    else:
        value = int(text) * factor
    return -value if negative else value


def write_number(value: int | float) -> str:
    """A number as SHiFT-QL reads it back to the same typed value."""
    return repr(value)


def is_bare_word(text: str) -> bool:
    return _BARE_WORD.match(text) is not None
