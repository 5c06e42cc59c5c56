"""Chunk geometry and proportional takes."""

from __future__ import annotations

import numpy as np
import pytest

from shift_search.executor.datasets.chunks import chunk_indices, num_chunks
from shift_search.runtime.errors import InvalidArgument


def test_chunks_partition_the_segment_in_a_shuffled_order() -> None:
    pieces = [chunk_indices(2500, 1024, seed=7, chunk=c) for c in range(num_chunks(2500, 1024))]
    assert [len(p) for p in pieces] == [1024, 1024, 452]
    joined = np.concatenate(pieces)
    assert sorted(joined.tolist()) == list(range(2500))
    assert not np.array_equal(joined, np.arange(2500))
    assert joined.dtype == np.int64


def test_chunks_are_deterministic_and_depend_on_the_seed() -> None:
    first = chunk_indices(5000, 1024, seed=1, chunk=2)
    np.testing.assert_array_equal(first, chunk_indices(5000, 1024, seed=1, chunk=2))
    assert not np.array_equal(first, chunk_indices(5000, 1024, seed=2, chunk=2))


def test_returned_chunks_can_be_modified_without_changing_later_calls() -> None:
    chunk = chunk_indices(100, 10, seed=3, chunk=0)
    chunk[:] = -1
    assert (chunk_indices(100, 10, seed=3, chunk=0) >= 0).all()


def test_num_chunks_and_bad_geometry() -> None:
    assert num_chunks(0, 1024) == 0 and num_chunks(1024, 1024) == 1
    assert num_chunks(1025, 1024) == 2
    with pytest.raises(InvalidArgument, match="out of range"):
        chunk_indices(100, 50, seed=0, chunk=2)
    with pytest.raises(InvalidArgument):
        num_chunks(10, 0)
