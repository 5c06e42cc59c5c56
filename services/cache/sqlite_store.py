"""The embedded Store: one SQLite file in WAL mode, shared by threads through one lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from services.cache.store import (
    Items,
    check_counter,
    check_items,
    check_key,
    check_lease,
    check_value,
    unavailable,
)

FILE_NAME = "shift.sqlite3"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
    " evictable INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL,"
    " expires_at REAL NOT NULL) WITHOUT ROWID",
)
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


class SQLiteStore:
    """Store on one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self._path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._conn.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise unavailable("sqlite", str(self._path), "open", exc) from exc

    @property
    def address(self) -> str:
        return str(self._path)

    @property
    def path(self) -> Path:
        return self._path

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
        with self._cursor("get") as cur:
            row = cur.execute("SELECT value FROM kv WHERE key = ?", (check_key(key),)).fetchone()
        return None if row is None else bytes(row[0])

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        wanted = [check_key(k) for k in keys]
        found: dict[str, bytes] = {}
        with self._cursor("get_many") as cur:
            for start in range(0, len(wanted), 500):
                batch = wanted[start : start + 500]
                marks = ",".join("?" * len(batch))
                sql = f"SELECT key, value FROM kv WHERE key IN ({marks})"
                found.update((k, bytes(v)) for k, v in cur.execute(sql, batch))
        return [found.get(k) for k in wanted]

    def put(self, key: str, value: bytes, *, evictable: bool = False) -> None:
        self.put_many([(key, value)], evictable=evictable)

    def put_many(self, items: Items, *, evictable: bool = False) -> None:
        rows = [(k, v, int(evictable)) for k, v in check_items(items)]
        if rows:
            with self._cursor("put_many", write=True) as cur:
                cur.executemany(_UPSERT, rows)

    def delete(self, key: str) -> bool:
        with self._cursor("delete", write=True) as cur:
            cur.execute("DELETE FROM kv WHERE key = ?", (check_key(key),))
            return cur.rowcount > 0

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
            return max(cur.rowcount, 0)

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
        return value

    def ping(self) -> None:
        with self._cursor("ping") as cur:
            cur.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
