"""Fingerprints of dataset versions, computed alike by the planner (from catalog records, to find
what the cache holds before anything runs) and by the executor (from the data it reads).

- A version made of segments (a registered dataset, or a list of them) is fingerprinted by its
  segments' fingerprints in order.
- A segment that CHANGE mutations replaced rows of is fingerprinted by its base's fingerprint
  (the content as read) and each replacement in the order applied: (row in the segment, the
  source's fingerprint, row in the source). Base and source fingerprints cover every input and
  label, so the replacements determine the changed content, and the planner needs nothing but
  the catalog to compute it.
- A segment whose labels are only re-encoded (another segment of the version brings a class it
  lacks) keeps its fingerprint: a stored result is keyed by every segment of its data, so the
  encoding is determined by the key's other fingerprints.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence

Replacement = tuple[int, str, int]
"""(row in the changed segment, fingerprint of the change's source, row in the source)."""


def version_fingerprint(segment_fingerprints: Sequence[str]) -> str:
    """The fingerprint of a dataset version made of these segments, in order."""
    return hashlib.sha256("+".join(segment_fingerprints).encode()).hexdigest()


def changed_segment_fingerprint(base: str, replacements: Sequence[Replacement]) -> str:
    """The fingerprint of a segment after `replacements` (in the order applied) of its rows."""
    digest = hashlib.sha256(b"shift-changed-v1|" + base.encode())
    for row, source, pick in replacements:
        digest.update(f"|{row}>{source}[{pick}]".encode())
    return digest.hexdigest()


def segment_of(offsets: Sequence[int], index: int) -> tuple[int, int]:
    """(segment number, row in it) of a global row index; `offsets` are the segments' first
    global rows, starting with 0."""
    which = bisect.bisect_right(offsets, index) - 1
    return which, index - offsets[which]
