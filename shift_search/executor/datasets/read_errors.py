"""What an error message may say about a file that could not be read: the kind of problem and
where (a line number), never the file's contents (a library's message often quotes them)."""

from __future__ import annotations

import re

_LINE = re.compile(r"\bline (\d+)", re.IGNORECASE)
_ROW = re.compile(r"\brow (\d+)", re.IGNORECASE)


def reason(error: BaseException) -> str:
    """`ParserError at line 3` from pandas' 'Error tokenizing data ... in line 3, saw 4'."""
    text = str(error)
    where = _LINE.search(text) or _ROW.search(text)
    at = f" at {where.group(0).lower()}" if where else ""
    return f"not in the expected format ({type(error).__name__}{at})"
