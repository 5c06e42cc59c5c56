"""Fixtures shared by every test area: offline model hubs, a private SHIFT_HOME, real Redis."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import settings

from tests.redis_server import RedisServer, redis_server_binary

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# Property tests explore at random on a developer's machine and replay a fixed sequence in CI
# (CI=true): a new finding shows up locally first and never turns an unrelated change red.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")

StartRedis = Callable[..., RedisServer]


def _binary_or_skip() -> str:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not on PATH (apt-get install redis-server); CI installs it")
    return binary


@pytest.fixture(scope="session", autouse=True)
def shift_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """SHIFT_HOME points at a fresh directory for the whole session."""
    home = tmp_path_factory.mktemp("shift-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHIFT_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real redis-server (no persistence) that lives for the session."""
    server = RedisServer(_binary_or_skip(), tmp_path_factory.mktemp("redis"), appendonly=False)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session Redis, emptied before each test."""
    client = redis.Redis.from_url(redis_server)
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_server


@pytest.fixture
def start_redis() -> Iterator[StartRedis]:
    """Factory: start_redis(directory, appendonly=True) -> RedisServer (stop/start/url).
    Every server it started is stopped at the end of the test."""
    started: list[RedisServer] = []

    def start(directory: Path, appendonly: bool = True) -> RedisServer:
        server = RedisServer(_binary_or_skip(), directory, appendonly=appendonly)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
