"""Choosing a Store from a URL: Redis when asked for (or configured), else the SQLite file."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from shift_search.cache.redis_store import RedisStore
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.store import Store
from shift_search.runtime.errors import InvalidArgument

REDIS_URL_ENV = "SHIFT_REDIS_URL"
_REDIS_SCHEMES = ("redis", "rediss", "unix")


def open_store(url: str | None = None) -> Store:
    """``redis://…`` (or ``$SHIFT_REDIS_URL`` when url is None) → RedisStore;
    ``sqlite:///path`` (``f"sqlite:///{path}"``, relative or absolute) or a plain file path →
    SQLiteStore on that file; None or "" → the default SQLite file (see ``default_path``)."""
    url = url if url is not None else os.environ.get(REDIS_URL_ENV)
    if not url:
        return SQLiteStore()
    scheme = urlsplit(url).scheme
    if scheme in _REDIS_SCHEMES:
        return RedisStore(url)
    if scheme == "sqlite":
        return SQLiteStore(_sqlite_path(url))
    if not scheme:
        return SQLiteStore(url)
    raise InvalidArgument(f"unknown store URL scheme {scheme!r}: use redis://… or sqlite:///path")


def _sqlite_path(url: str) -> str | None:
    """``sqlite:///rel/file`` → rel/file, ``sqlite:////abs/file`` → /abs/file (as SQLAlchemy);
    ``sqlite://`` or ``sqlite:///`` → None (the default file)."""
    parts = urlsplit(url)
    if parts.netloc:
        raise InvalidArgument(f"sqlite URL {url!r} must look like sqlite:///path/to/file")
    return unquote(parts.path)[1:] or None
