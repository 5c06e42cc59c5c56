"""Chunk geometry: fixed-size pieces of a segment in seeded shuffled order; proportional takes.

The geometry depends only on (segment size, chunk size, seed), never on a query, so any later
query reuses the chunks cached by an earlier one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from shift_search.runtime.errors import InvalidArgument


def num_chunks(segment_size: int, chunk_size: int) -> int:
    """How many chunks a segment has; the last one may be short."""
    _check_geometry(segment_size, chunk_size)
    return -(-segment_size // chunk_size)


def chunk_indices(segment_size: int, chunk_size: int, seed: int, chunk: int) -> np.ndarray:
    """Row indices (int64, into the segment) of chunk number `chunk`."""
    count = num_chunks(segment_size, chunk_size)
    if not 0 <= chunk < count:
        raise InvalidArgument(f"chunk {chunk} out of range: the segment has {count} chunks")
    order = _shuffled_order(segment_size, seed)
    return order[chunk * chunk_size : (chunk + 1) * chunk_size].copy()


@lru_cache(maxsize=64)
def _shuffled_order(segment_size: int, seed: int) -> np.ndarray:
    order = np.random.default_rng(seed).permutation(segment_size).astype(np.int64)
    order.flags.writeable = False
    return order


def _check_geometry(segment_size: int, chunk_size: int) -> None:
    if segment_size < 0:
        raise InvalidArgument(f"segment size must not be negative, got {segment_size}")
    if chunk_size < 1:
        raise InvalidArgument(f"chunk size must be positive, got {chunk_size}")
