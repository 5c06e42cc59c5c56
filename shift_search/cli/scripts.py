"""Reading SHiFT-QL scripts from files or stdin, with a clear error for what is not text."""

from __future__ import annotations

import sys
from pathlib import Path

from shift_search.runtime.errors import InvalidArgument


class UnreadableScript(InvalidArgument):
    """A script file that cannot be read, or is not UTF-8 text (an image, a database …)."""


def source_name(name: str) -> str:
    """How errors name a script: the path, or `<stdin>` for `-`."""
    return "<stdin>" if name == "-" else name


def read_script(name: str) -> str:
    """The text of file `name` (`-`: stdin)."""
    source = source_name(name)
    try:
        if name != "-":
            data = Path(name).read_bytes()
        elif hasattr(sys.stdin, "buffer"):
            data = sys.stdin.buffer.read()
        else:  # a text stream put in place of stdin (tests, embedding)
            return sys.stdin.read()
    except OSError as err:
        raise UnreadableScript(f"{source}: {err.strerror or err}") from None
    return decode_script(data, source)


def decode_script(data: bytes, source: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped); a binary file is refused by name."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise UnreadableScript(
            f"{source}: a binary file, not SHiFT-QL text (NUL byte at offset {nul})"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnreadableScript(
            f"{source}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "SHiFT-QL scripts are UTF-8"
        ) from None
