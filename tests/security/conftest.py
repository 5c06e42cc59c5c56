"""A secured `shift serve` (all four services) on loopback: TLS from throwaway certificates,
a token file with a reader, a writer and an admin, and data and model roots holding a tiny
world. Clients are real gRPC clients over TLS."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.register import register_all
from shift_search.cli.serve import build
from shift_search.client import Client
from shift_search.runtime import confinement
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.tls import channel_credentials
from shift_search.runtime.tokens import issue
from tests.certificates import Authority
from tests.tiny_world import make_tiny_bert, reviews_dataset, write_reviews

ROLES = ("reader", "writer", "admin")


@pytest.fixture(autouse=True, scope="module")
def restore_roots() -> Iterator[None]:
    """Servers configure the process's roots; leave them as they were for other modules."""
    before = confinement.current()
    yield
    confinement.configure(before)


@dataclass
class Secured:
    server: ServiceServer
    authority: Authority
    tokens: dict[str, str]  # role -> token
    token_file: Path
    data: Path
    models: Path
    outside: Path  # a folder beside the roots, with a password-like file

    @property
    def address(self) -> str:
        return f"localhost:{self.server.port}"

    def credentials(self) -> grpc.ChannelCredentials:
        return channel_credentials(self.authority.ca)

    def channel(self, role: str | None = None, token: str | None = None) -> grpc.Channel:
        """A TLS channel sending the token of `role` (or `token`) as a bearer token."""
        from shift_search.runtime.channels import open_channel

        bearer = token if token is not None else self.tokens[role] if role else None
        return open_channel(self.address, self.credentials(), token=bearer)

    def client(self, role: str | None = None) -> Client:
        return Client(
            self.address,
            credentials=self.credentials(),
            token=self.tokens[role] if role else None,
        )


def secured_args(
    authority: Authority, token_file: Path, data: Path, models: Path, store: str, **more: object
) -> argparse.Namespace:
    leaf = authority.leaf("shift-planner")
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
        "tls_cert": str(leaf.cert),
        "tls_key": str(leaf.key),
        "tls_ca": str(authority.ca),
        "tokens": str(token_file),
        "insecure": False,
        "health_port": None,
        "data_root": [str(data)],
        "model_root": [str(models)],
    }
    values.update(more)
    return argparse.Namespace(**values)


def password_file(folder: Path) -> Path:
    """A file shaped like /etc/passwd, whose first line must never appear in an error."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n")
    return path


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    root = tmp_path_factory.mktemp("secured")
    data, models, outside = root / "data", root / "models", root / "outside"
    for folder in (data, models, outside):
        folder.mkdir()
    make_tiny_bert(models / "bert-a", seed=0)
    make_tiny_bert(models / "bert-b", seed=1, layers=1)
    write_reviews(data / "train.csv", 120, seed=0)
    write_reviews(data / "test.csv", 40, seed=1)
    password_file(outside)
    authority = Authority(root / "pki")
    token_file = root / "tokens.json"
    tokens = {role: issue(token_file, f"{role}-token", role) for role in ROLES}
    store = f"sqlite:///{root / 'shift.sqlite3'}"
    server = build(secured_args(authority, token_file, data, models, store)).start()
    secured = Secured(server, authority, tokens, token_file, data, models, outside)
    cache = CacheClient(server.internal_address)
    with secured.client("writer") as writer:
        register_world(cache, writer, data, models)
    cache.close()
    yield secured
    server.stop(grace=0.5)


def register_world(cache: CacheClient, writer: Client, data: Path, models: Path) -> None:
    """The models straight into the cache; the datasets as a writer registers them, through
    the server, which reads and describes them."""
    for name in ("bert-a", "bert-b"):
        cache.register_model(
            ModelRecord(name=name, source="huggingface", uri=str(models / name), dimension=32)
        )
    datasets: list[ModelRecord | DatasetRecord] = [
        reviews_dataset(f"reviews-{n}", str(data / f"{n}.csv")) for n in ("train", "test")
    ]
    register_all(writer, datasets)
