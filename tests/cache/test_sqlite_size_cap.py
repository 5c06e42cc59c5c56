"""The embedded store caps its evictable values (feature chunks) and drops the least recently
used first; nothing else is ever evicted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.stores import open_store
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.settings import DEFAULT_CACHE_MAX_BYTES, parse_size

KB = 1_000


def chunk(i: int) -> tuple[str, bytes]:
    return f"feat:m:{i:03d}", bytes([i % 256]) * KB


def test_evictable_values_stay_under_the_cap_and_results_are_kept(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3", max_bytes=10 * KB)
    store.put("result:keep", b"r" * 20 * KB)  # not evictable, and bigger than the cap
    for i in range(30):
        store.put(*chunk(i), evictable=True)
        assert store.evictable_bytes() <= 10 * KB
    assert store.get("result:keep") == b"r" * 20 * KB
    assert store.get(chunk(29)[0]) == chunk(29)[1]  # the newest survives
    assert store.get(chunk(0)[0]) is None  # the oldest went first
    assert len(store.scan("feat:")) == store.evictable_bytes() // KB


def test_the_least_recently_used_go_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(float(t) for t in range(1_000, 100_000, 100))  # 100 s per call: every read counts
    monkeypatch.setattr("shift_search.cache.sqlite_store.time.time", lambda: next(clock))
    store = SQLiteStore(tmp_path / "s.sqlite3", max_bytes=10 * KB)
    for i in range(10):
        store.put(*chunk(i), evictable=True)
    assert store.get(chunk(0)[0]) is not None  # chunk 0 is now the most recently used
    store.put(*chunk(10), evictable=True)  # over the cap: evict down to 9 KB
    survivors = set(store.scan("feat:"))
    assert chunk(0)[0] in survivors and chunk(10)[0] in survivors
    assert chunk(1)[0] not in survivors and chunk(2)[0] not in survivors


def test_overwriting_with_a_lasting_value_takes_it_out_of_eviction(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3", max_bytes=3 * KB)
    key, value = chunk(1)
    store.put(key, value, evictable=True)
    store.put(key, value)  # now a lasting value
    for i in range(2, 12):
        store.put(*chunk(i), evictable=True)
    assert store.get(key) == value
    store.delete_prefix("feat:m:01")
    assert store.evictable_bytes() == KB * len(store.scan("feat:")) - KB  # key 001 was lasting


def test_a_file_from_before_the_cap_is_counted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:  # the schema before usage tracking
        old.execute(
            "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
            " evictable INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID"
        )
        old.executemany("INSERT INTO kv VALUES (?, ?, 1)", [chunk(i) for i in range(5)])
        old.execute("INSERT INTO kv VALUES ('catalog:x', x'00', 0)")
    store = SQLiteStore(path, max_bytes=3 * KB)
    assert store.evictable_bytes() == 5 * KB
    store.put(*chunk(5), evictable=True)
    assert store.evictable_bytes() <= 3 * KB and store.get("catalog:x") == b"\x00"


def test_the_cap_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHIFT_CACHE_MAX_BYTES", raising=False)
    assert SQLiteStore(tmp_path / "a.sqlite3").max_bytes == DEFAULT_CACHE_MAX_BYTES
    monkeypatch.setenv("SHIFT_CACHE_MAX_BYTES", "2 GiB")
    assert SQLiteStore(tmp_path / "b.sqlite3").max_bytes == 2 * 2**30
    monkeypatch.setenv("SHIFT_CACHE_MAX_BYTES", "unlimited")
    assert SQLiteStore(tmp_path / "c.sqlite3").max_bytes is None
    monkeypatch.setenv("SHIFT_CACHE_MAX_BYTES", "lots")
    with pytest.raises(InvalidArgument, match="SHIFT_CACHE_MAX_BYTES: 'lots' is not a size"):
        open_store(f"sqlite:///{tmp_path / 'd.sqlite3'}")


@pytest.mark.parametrize(
    ("text", "size"),
    [("1048576", 1048576), ("10GiB", 10 * 2**30), ("500 MB", 500 * 10**6), ("0", None)],
)
def test_sizes_parse_with_units(text: str, size: int | None) -> None:
    assert parse_size(text, "X") == size
