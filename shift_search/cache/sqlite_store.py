"""The embedded Store: one SQLite file in WAL mode, shared by threads through one lock.

Evictable values (feature chunks) are capped in total size ($SHIFT_CACHE_MAX_BYTES, 20 GiB by
default): a write that takes them over the cap evicts the least recently used ones down to 90%
of it. Everything else (catalog, results, history) is never evicted. Freed pages are reused by
later writes; the file itself does not shrink.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import platformdirs

from shift_search.cache.keys import HISTORY
from shift_search.cache.store import (
    Items,
    check_counter,
    check_items,
    check_key,
    check_lease,
    check_value,
    unavailable,
)
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.settings import Settings

FILE_NAME = "shift.sqlite3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " evictable INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL,"
    " expires_at REAL NOT NULL) WITHOUT ROWID",
    # size and last use of each evictable value, for the size cap (least recently used first)
    "CREATE TABLE IF NOT EXISTS usage (key TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " used_at REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS usage_by_use ON usage (used_at)",
)
_BACKFILL = (  # a file from before the size cap: its evictable values count as never used
    "INSERT OR IGNORE INTO usage (key, size, used_at)"
    " SELECT key, length(value), 0 FROM kv WHERE evictable = 1"
)
_TOUCH_EVERY_SECONDS = 60.0  # reads refresh last use at most this often (they are writes)
_EVICT_DOWN_TO = 0.9
_ACQUIRE = (
    "INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
    " SET owner = excluded.owner, expires_at = excluded.expires_at"
    " WHERE leases.owner = excluded.owner OR leases.expires_at <= ?"
)
_UPSERT = (
    "INSERT INTO kv (key, value, evictable) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
    " SET value = excluded.value, evictable = excluded.evictable"
)


def default_path() -> Path:
    """``$SHIFT_HOME/shift.sqlite3``, else the user's cache directory."""
    home = os.environ.get("SHIFT_HOME")
    folder = Path(home) if home else Path(platformdirs.user_cache_dir("shift"))
    return folder / FILE_NAME


def _prefix_where(prefix: str) -> tuple[str, list[str | int]]:
    """An indexed WHERE clause for keys starting with ``prefix`` (binary order = code points)."""
    if not prefix:
        return "1", []
    if ord(prefix[-1]) == 0x10FFFF:
        return "substr(key, 1, ?) = ?", [len(prefix), prefix]
    return "key >= ? AND key < ?", [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]


def _in_batches(keys: Sequence[str], size: int = 500) -> Iterator[tuple[Sequence[str], str]]:
    """Keys in runs short enough for one `IN (…)` clause, each with its `?` placeholders."""
    for start in range(0, len(keys), size):
        batch = keys[start : start + size]
        yield batch, ",".join("?" * len(batch))


def _evictable_total(cur: sqlite3.Cursor) -> int:
    return int(cur.execute("SELECT COALESCE(SUM(size), 0) FROM usage").fetchone()[0])


class SQLiteStore:
    """Store on one SQLite file; safe to share between threads and processes."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int | Literal["env"] | None = "env",
    ) -> None:
        """`max_bytes`: the cap on evictable values (None: no cap; "env": from the
        environment, `Settings.cache_max_bytes`)."""
        self._path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        self._writes = 0  # committed writes of values through this connection (not history)
        if max_bytes == "env":
            max_bytes = Settings().cache_max_bytes
        if max_bytes is not None and max_bytes < 1:
            raise InvalidArgument(f"max_bytes must be a positive size or None, got {max_bytes}")
        self.max_bytes: int | None = max_bytes
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self._path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._conn.execute(statement)
            if self._conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is None:
                self._conn.execute(_BACKFILL)
        except (OSError, sqlite3.Error) as exc:
            raise unavailable("sqlite", str(self._path), "open", exc) from exc

    @property
    def address(self) -> str:
        return str(self._path)

    @property
    def path(self) -> Path:
        return self._path

    def generation(self) -> tuple[int, int]:
        """Moves on after every committed change of a value but the query history's: by this
        store (counted after the commit) or by any other connection to the file (SQLite's
        `data_version`, which counts all of theirs, history too). Equal generations: every value
        but the history reads the same."""
        with self._cursor("generation") as cur:
            (version,) = cur.execute("PRAGMA data_version").fetchone()
            return self._writes, int(version)

    def _changed(self, keys: Iterable[str]) -> None:
        """Count a committed write of `keys` (one outside the history moves `generation`)."""
        if any(not k.startswith(HISTORY) for k in keys):
            with self._lock:
                self._writes += 1

    @contextmanager
    def _cursor(self, operation: str, *, write: bool = False) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            if self._conn is None:
                raise unavailable("sqlite", self.address, operation, RuntimeError("closed"))
            try:
                cur = self._conn.cursor()
                if write:
                    cur.execute("BEGIN IMMEDIATE")
                try:
                    yield cur
                except BaseException:
                    if write:
                        cur.execute("ROLLBACK")
                    raise
                if write:
                    cur.execute("COMMIT")
            except sqlite3.Error as exc:
                raise unavailable("sqlite", self.address, operation, exc) from exc

    def get(self, key: str) -> bytes | None:
        return self.get_many([key])[0]

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        wanted = [check_key(k) for k in keys]
        found: dict[str, bytes] = {}
        evictable: list[str] = []
        with self._cursor("get_many") as cur:
            for batch, marks in _in_batches(wanted):
                sql = f"SELECT key, value, evictable FROM kv WHERE key IN ({marks})"
                for k, v, e in cur.execute(sql, batch):
                    found[k] = bytes(v)
                    if e:
                        evictable.append(k)
        if evictable and self.max_bytes is not None:
            self._touch(evictable)
        return [found.get(k) for k in wanted]

    def _touch(self, keys: list[str]) -> None:
        """Mark evictable values as used now (at most once a minute each)."""
        now = time.time()
        with self._cursor("touch", write=True) as cur:
            for batch, marks in _in_batches(keys):
                cur.execute(
                    f"UPDATE usage SET used_at = ? WHERE key IN ({marks}) AND used_at < ?",
                    [now, *batch, now - _TOUCH_EVERY_SECONDS],
                )

    def put(self, key: str, value: bytes, *, evictable: bool = False) -> None:
        self.put_many([(key, value)], evictable=evictable)

    def put_many(self, items: Items, *, evictable: bool = False) -> None:
        rows = [(k, v, int(evictable)) for k, v in check_items(items)]
        if not rows:
            return
        now = time.time()
        with self._cursor("put_many", write=True) as cur:
            cur.executemany(_UPSERT, rows)
            if evictable:
                cur.executemany(
                    "INSERT OR REPLACE INTO usage (key, size, used_at) VALUES (?, ?, ?)",
                    [(k, len(v), now) for k, v, _ in rows],
                )
                self._evict(cur, {k for k, _, _ in rows})
            else:
                cur.executemany("DELETE FROM usage WHERE key = ?", [(k,) for k, _, _ in rows])
        self._changed(k for k, _, _ in rows)

    def evictable_bytes(self) -> int:
        """Total size of the evictable values held now."""
        with self._cursor("evictable_bytes") as cur:
            return _evictable_total(cur)

    def _evict(self, cur: sqlite3.Cursor, keep: set[str]) -> None:
        """Over the cap: drop least recently used evictable values (not `keep`) to 90% of it."""
        if self.max_bytes is None:
            return
        total = _evictable_total(cur)
        if total <= self.max_bytes:
            return
        target = int(self.max_bytes * _EVICT_DOWN_TO)
        victims = []
        for key, size in cur.execute("SELECT key, size FROM usage ORDER BY used_at, key"):
            if total <= target:
                break
            if key in keep:
                continue
            victims.append((key,))
            total -= size
        cur.executemany("DELETE FROM kv WHERE key = ?", victims)
        cur.executemany("DELETE FROM usage WHERE key = ?", victims)

    def delete(self, key: str) -> bool:
        with self._cursor("delete", write=True) as cur:
            cur.execute("DELETE FROM kv WHERE key = ?", (check_key(key),))
            deleted = cur.rowcount > 0
            cur.execute("DELETE FROM usage WHERE key = ?", (key,))
        self._changed([key])
        return deleted

    def scan(self, prefix: str) -> list[str]:
        where, args = _prefix_where(prefix)
        with self._cursor("scan") as cur:
            return [
                k for (k,) in cur.execute(f"SELECT key FROM kv WHERE {where} ORDER BY key", args)
            ]

    def delete_prefix(self, prefix: str) -> int:
        where, args = _prefix_where(check_key(prefix))
        with self._cursor("delete_prefix", write=True) as cur:
            cur.execute(f"DELETE FROM kv WHERE {where}", args)
            deleted = max(cur.rowcount, 0)
            cur.execute(f"DELETE FROM usage WHERE {where}", args)
        self._changed([prefix] if prefix.startswith(HISTORY) else [""])
        return deleted

    def acquire_lease(self, key: str, owner: str, ttl_seconds: float) -> bool:
        check_lease(owner, ttl_seconds)
        now = time.time()
        with self._cursor("acquire_lease", write=True) as cur:
            cur.execute(_ACQUIRE, (check_key(key), owner, now + ttl_seconds, now))
            return cur.rowcount > 0

    def release_lease(self, key: str, owner: str) -> None:
        with self._cursor("release_lease", write=True) as cur:
            cur.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (check_key(key), owner))

    def incr(self, key: str, by: int = 1) -> int:
        with self._cursor("incr", write=True) as cur:
            row = cur.execute("SELECT value FROM kv WHERE key = ?", (check_key(key),)).fetchone()
            value = check_counter(key, None if row is None else bytes(row[0])) + by
            cur.execute(_UPSERT, (key, check_value(key, str(value).encode()), 0))
        self._changed([key])
        return value

    def append(self, counter: str, key_of: Callable[[int], str], value: bytes) -> int:
        with self._cursor("append", write=True) as cur:
            row = cur.execute(
                "SELECT value FROM kv WHERE key = ?", (check_key(counter),)
            ).fetchone()
            count = check_counter(counter, None if row is None else bytes(row[0])) + 1
            key = check_key(key_of(count))
            cur.execute(_UPSERT, (counter, str(count).encode(), 0))
            cur.execute(_UPSERT, (key, check_value(key, value), 0))
            cur.execute("DELETE FROM usage WHERE key = ?", (key,))
        self._changed([counter, key])
        return count

    def ping(self) -> None:
        with self._cursor("ping") as cur:
            cur.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
