"""The shared server and channel runtime: a taken port is a clear error, and a new server on a
port that an earlier one left behind is reachable at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.service import registration
from shift_search.cache.stores import open_store
from shift_search.runtime.errors import FailedPrecondition, Unavailable
from shift_search.runtime.server import ServiceServer


def cache_server(path: Path, port: int = 0) -> ServiceServer:
    return ServiceServer(port=port).add(registration(open_store(f"sqlite:///{path}"))).start()


def test_a_port_in_use_is_refused_with_a_clear_error() -> None:
    first = ServiceServer().start()
    try:
        with pytest.raises(FailedPrecondition, match=rf"cannot listen on 127.0.0.1:{first.port}"):
            ServiceServer(port=first.port)
    finally:
        first.stop(grace=0)


def test_a_new_server_on_a_reused_port_is_reached_despite_an_open_stale_channel(
    tmp_path: Path,
) -> None:
    old = cache_server(tmp_path / "old.sqlite3")
    port = old.port
    stale = CacheClient(old.address)  # left open on purpose, as a forgotten client would be
    assert stale.get_values(["k"]) == [None]
    old.stop(grace=0)
    with pytest.raises(Unavailable):
        stale.get_values(["k"])  # its connection is now in reconnect backoff
    new = cache_server(tmp_path / "new.sqlite3", port)
    fresh = CacheClient(new.address)
    try:
        assert fresh.get_values(["k"]) == [None]
    finally:
        fresh.close()
        stale.close()
        new.stop(grace=0)
