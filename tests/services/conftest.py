"""All four services in one in-process server on an ephemeral loopback port, like
`shift serve`, with a private SQLite store, a tiny model pool and tiny datasets."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ModelRecord
from shift_search.cli.serve import build
from shift_search.runtime.server import ServiceServer
from tests.tiny_world import make_tiny_bert, register_datasets, reviews_dataset, write_reviews


@dataclass
class Stack:
    server: ServiceServer
    channel: grpc.Channel  # the public port
    cache: CacheClient  # on the private socket, as the planner reaches it
    internal: grpc.Channel  # the private socket

    @property
    def address(self) -> str:
        return self.server.address


def serve_args(store: str, **overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "service": "all",
        "host": "127.0.0.1",
        "port": 0,
        "cache": None,
        "executors": None,
        "parser": None,
        "store": store,
        "slots": 1,
        "device": "cpu",
    }
    values.update(overrides)
    return argparse.Namespace(**values)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    make_tiny_bert(root / "bert-a", seed=0)
    make_tiny_bert(root / "bert-b", seed=1, layers=1)
    write_reviews(root / "train.csv", 120, seed=0)
    write_reviews(root / "test.csv", 40, seed=1)
    return root


def register_world(cache: CacheClient, root: Path, address: str) -> None:
    """The models straight into the cache; the datasets through the server at `address`,
    which reads and describes them."""
    cache.register_model(
        ModelRecord(
            name="bert-a",
            source="huggingface",
            uri=str(root / "bert-a"),
            num_params=40_000,
            upstream_accuracy=0.7,
            dimension=32,
        )
    )
    cache.register_model(
        ModelRecord(
            name="bert-b",
            source="huggingface",
            uri=str(root / "bert-b"),
            num_params=20_000,
            upstream_accuracy=0.8,
            dimension=32,
        )
    )
    cache.register_model(
        ModelRecord(
            name="cnn-c",
            source="efficientnet",
            uri="efficientnet-lite0",
            modality="image",
            num_params=4_652_008,
            upstream_accuracy=0.751,
        )
    )
    register_datasets(
        address,
        *(reviews_dataset(f"reviews-{n}", str(root / f"{n}.csv")) for n in ("train", "test")),
    )


@pytest.fixture(scope="module")
def stack(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    store = f"sqlite:///{tmp_path_factory.mktemp('store') / 'shift.sqlite3'}"
    server = build(serve_args(store)).start()
    cache = CacheClient(server.internal_address)
    register_world(cache, world, server.address)
    channel = grpc.insecure_channel(server.address)
    internal = grpc.insecure_channel(server.internal_address)
    yield Stack(server, channel, cache, internal)
    internal.close()
    channel.close()
    cache.close()
    server.stop(grace=0.5)
