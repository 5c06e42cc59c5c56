"""Choosing and opening a store; SQLite paths and failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.cache.redis_store import RedisStore, glob_escape, redact
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.stores import REDIS_URL_ENV, open_store
from shift_search.runtime.errors import InvalidArgument, Unavailable


def test_default_is_sqlite_under_shift_home(
    shift_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    store = open_store()
    try:
        assert isinstance(store, SQLiteStore)
        assert store.path == shift_home / "shift.sqlite3"
    finally:
        store.close()


def test_sqlite_urls(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path}/a.sqlite3", str(tmp_path / "a.sqlite3")):
        store = open_store(url)
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "a.sqlite3"
        store.close()


def test_redis_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDIS_URL_ENV, "redis://127.0.0.1:1/0")
    store = open_store()
    assert isinstance(store, RedisStore)
    store.close()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="scheme"):
        open_store("mongodb://x")


def test_sqlite_data_survives_reopening(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "s.sqlite3")
    first.put("k", b"v")
    first.close()
    second = SQLiteStore(tmp_path / "s.sqlite3")
    assert second.get("k") == b"v"
    second.close()


def test_sqlite_failures_are_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(Unavailable, match=r"sqlite store at .*file"):
        SQLiteStore(blocker / "s.sqlite3")
    store = SQLiteStore(tmp_path / "ok.sqlite3")
    store.close()
    with pytest.raises(Unavailable, match="closed"):
        store.get("k")


def test_redis_url_password_is_hidden() -> None:
    assert redact("redis://user:secret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact("redis://host:6379/0") == "redis://host:6379/0"


def test_glob_escape() -> None:
    assert glob_escape("a*b?[c]\\") == "a\\*b\\?\\[c\\]\\\\"
