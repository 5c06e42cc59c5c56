"""The `store` fixture: every contract test runs on SQLite and on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.cache.redis_store import RedisStore
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.store import Store


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened: Store
    if request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "store.sqlite3")
    else:
        opened = RedisStore(request.getfixturevalue("redis_url"))
    yield opened
    opened.close()
