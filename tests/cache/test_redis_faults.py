"""Redis going away and coming back: clear errors, then the same store object works again."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from shift_search.cache.catalog import Catalog
from shift_search.cache.records import ModelRecord
from shift_search.cache.redis_store import RedisStore
from shift_search.runtime.errors import Unavailable
from tests.redis_server import RedisServer


def test_stop_then_restart(start_redis: Callable[..., RedisServer], tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis", appendonly=True)
    store = RedisStore(server.url)
    catalog = Catalog(store)
    record = catalog.register_model(ModelRecord(name="bert", source="huggingface", uri="b"))
    store.put("durable", b"kept")
    assert store.acquire_lease("lease", "me", 60)

    server.stop()
    failures = [
        lambda: store.get("durable"),
        lambda: store.put("x", b"y"),
        lambda: store.scan("d"),
        lambda: store.incr("n"),
        lambda: store.acquire_lease("l2", "me", 1),
        store.ping,
    ]
    for operation in failures:
        with pytest.raises(Unavailable, match=f"redis store at {re.escape(server.url)}"):
            operation()

    server.start()
    assert store.get("durable") == b"kept"
    assert catalog.get_model("bert") == record
    assert store.acquire_lease("lease", "other", 60) is False
    store.put("after", b"restart")
    assert store.get("after") == b"restart"
    store.close()


def test_evictable_values_carry_a_ttl_and_durable_ones_do_not(redis_url: str) -> None:
    store = RedisStore(redis_url)
    raw = redis.Redis.from_url(redis_url)
    try:
        store.put("feat", b"x", evictable=True)
        assert raw.pttl("feat") > 0
        store.put("feat", b"y")  # rewritten as durable: the TTL goes away
        assert raw.pttl("feat") == -1
        store.put_many({"a": b"", "b": b""})
        assert raw.pttl("a") == raw.pttl("b") == -1
    finally:
        raw.close()
        store.close()


def test_password_is_not_in_error_messages() -> None:
    store = RedisStore("redis://user:hunter2@127.0.0.1:1/0", socket_timeout=0.5, retries=0)
    with pytest.raises(Unavailable) as caught:
        store.ping()
    assert "hunter2" not in caught.value.message
    assert "127.0.0.1:1" in caught.value.message
    store.close()
