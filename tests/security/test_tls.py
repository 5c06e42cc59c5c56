"""TLS on the public port, mutual TLS between services run apart, renewed certificates picked
up without a restart, and the rules for binding beyond loopback."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cli.serve import build
from shift_search.client import Client
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc, query_pb2, query_pb2_grpc
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.channels import open_channel
from shift_search.runtime.errors import FailedPrecondition, PermissionDenied, Unavailable
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.tls import TLSFiles, channel_credentials, server_credentials
from shift_search.runtime.values import value_from_proto
from tests.certificates import Authority, Leaf
from tests.query_stream import events_of
from tests.security.conftest import Secured, register_world, secured_args
from tests.tiny_world import make_tiny_bert, write_reviews

RANKING = """SELECT name FROM models ORDER BY err ASC TRAINED ON "reviews-train"
  TESTED ON TASK "reviews-test" CLASSIFIED BY ["Cosine NN"] WAIT;"""


def health(channel: grpc.Channel, service: str = "") -> int:
    request = health_pb2.HealthCheckRequest(service=service)
    return health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status


def unreachable(channel: grpc.Channel) -> bool:
    try:
        health(channel)
    except grpc.RpcError as err:
        return err.code() == grpc.StatusCode.UNAVAILABLE
    return False


def test_public_port_speaks_tls_only(secured: Secured, tmp_path: Path) -> None:
    with grpc.insecure_channel(secured.address) as plaintext:
        assert unreachable(plaintext)
    stranger = Authority(tmp_path / "other", name="Other CA")
    with grpc.secure_channel(secured.address, channel_credentials(stranger.ca)) as wrong_ca:
        assert unreachable(wrong_ca)
    with secured.channel() as good:
        assert health(good) == health_pb2.HealthCheckResponse.SERVING


def test_renewed_certificate_is_served_without_a_restart(tmp_path: Path) -> None:
    first, second = (
        Authority(tmp_path / "a", name="CA one"),
        Authority(tmp_path / "b", name="CA two"),
    )
    old = first.leaf("shift-parser")
    live = Leaf(tmp_path / "live.crt", tmp_path / "live.key")
    shutil.copy(old.cert, live.cert)
    shutil.copy(old.key, live.key)
    credentials = server_credentials(TLSFiles(live.cert, live.key), require_client_cert=False)
    server = ServiceServer(credentials=credentials).start()
    address = f"localhost:{server.port}"
    try:
        with grpc.secure_channel(address, channel_credentials(first.ca)) as channel:
            assert health(channel) == health_pb2.HealthCheckResponse.SERVING
        renewed = second.leaf("shift-parser")  # what cert-manager writes into the Secret
        shutil.copy(renewed.key, live.key)
        shutil.copy(renewed.cert, live.cert)
        with grpc.secure_channel(address, channel_credentials(second.ca)) as channel:
            assert health(channel) == health_pb2.HealthCheckResponse.SERVING
        with grpc.secure_channel(address, channel_credentials(first.ca)) as channel:
            assert unreachable(channel)
    finally:
        server.stop(grace=0)


@dataclass
class Cluster:
    """Cache, executor, parser and planner as four servers, as on Kubernetes, on loopback
    ports; the planner parses through the parser (`--parser`)."""

    authority: Authority
    cache: ServiceServer
    executor: ServiceServer
    parser: ServiceServer
    planner: ServiceServer
    token: str

    def client(self, name: str) -> CacheClient:
        leaf = self.authority.leaf(name)
        creds = channel_credentials(self.authority.ca, leaf.cert, leaf.key)
        return CacheClient(f"localhost:{self.cache.port}", credentials=creds, timeout=10)


def _args(authority: Authority, name: str, service: str, **more: object) -> argparse.Namespace:
    leaf = authority.leaf(f"shift-{name}")
    values: dict[str, object] = {
        "service": service,
        "host": "127.0.0.1",
        "port": 0,
        "cache": None,
        "parser": None,
        "store": None,
        "slots": 1,
        "device": "cpu",
        "tls_cert": str(leaf.cert),
        "tls_key": str(leaf.key),
        "tls_ca": str(authority.ca),
        "tokens": None,
        "insecure": False,
        "health_port": None,
        "data_root": [],
        "model_root": [],
    }
    values.update(more)
    return argparse.Namespace(**values)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    data, models = root / "data", root / "models"
    make_tiny_bert(models / "bert-a", seed=0)
    make_tiny_bert(models / "bert-b", seed=1, layers=1)
    data.mkdir()
    write_reviews(data / "train.csv", 120, seed=0)
    write_reviews(data / "test.csv", 40, seed=1)
    authority = Authority(root / "pki")
    roots = {"data_root": [str(data)], "model_root": [str(models)]}
    store = f"sqlite:///{root / 'shift.sqlite3'}"
    cache = build(_args(authority, "cache", "cache", store=store, **roots)).start()
    cache_at = f"localhost:{cache.port}"
    queue = InProcessQueue()  # planner and executor meet on it (Redis between processes)
    executor = build(
        _args(authority, "executor", "executor", cache=cache_at, **roots), queue
    ).start()
    parser = build(_args(authority, "parser", "parser")).start()
    from shift_search.runtime.tokens import issue

    tokens = root / "tokens.json"
    token = issue(tokens, "analyst", "reader")
    curator = issue(tokens, "curator", "writer")
    planner = build(
        _args(
            authority,
            "planner",
            "planner",
            cache=cache_at,
            parser=f"localhost:{parser.port}",
            tokens=str(tokens),
            **roots,
        ),
        queue,
    ).start()
    made = Cluster(authority, cache, executor, parser, planner, token)
    setup = made.client("shift-planner")
    address, ca = f"localhost:{planner.port}", channel_credentials(authority.ca)
    with Client(address, credentials=ca, token=curator) as writer:
        register_world(setup, writer, data, models)
    setup.close()
    yield made
    for server in (planner, parser, executor, cache):
        server.stop(grace=0.5)


def test_services_apart_rank_models_over_mutual_tls(cluster: Cluster) -> None:
    creds = channel_credentials(cluster.authority.ca)
    with open_channel(f"localhost:{cluster.planner.port}", creds, token=cluster.token) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        events = events_of(stub.Execute(query_pb2.ExecuteRequest(script=RANKING), timeout=300))
    tables = [e.result for e in events if e.WhichOneof("event") == "result"]
    names = [str(value_from_proto(row.cells[0])) for row in tables[-1].rows]
    assert sorted(names) == ["bert-a", "bert-b"]
    reader = cluster.client("shift-planner")
    assert reader.scan(keys.PROXY_RESULTS)  # written by the executor, over mutual TLS
    reader.close()


def test_internal_port_admits_shift_services_only(cluster: Cluster, tmp_path: Path) -> None:
    address = f"localhost:{cluster.cache.port}"
    no_cert = CacheClient(address, credentials=channel_credentials(cluster.authority.ca))
    with pytest.raises(Unavailable):  # the TLS handshake itself fails
        no_cert.list_models()
    no_cert.close()
    stranger = Authority(tmp_path / "other", name="Other CA")
    leaf = stranger.leaf("shift-planner")
    forged = CacheClient(
        address, credentials=channel_credentials(cluster.authority.ca, leaf.cert, leaf.key)
    )
    with pytest.raises(Unavailable):
        forged.list_models()
    forged.close()
    outsider = cluster.client("mallory")  # signed by the right CA, but not a SHiFT service
    with pytest.raises(PermissionDenied):
        outsider.list_models()
    outsider.close()


def test_only_executors_write_stored_results(cluster: Cluster) -> None:
    result = keys.proxy_result("models/x/y@main~0", ["fp"], "cosine_nn", "p")
    planner, executor = cluster.client("shift-planner"), cluster.client("shift-executor")
    try:
        with pytest.raises(PermissionDenied, match="may not write res"):
            planner.put_values({result: b'{"error": 0.0123}'})
        with pytest.raises(PermissionDenied, match="may not write feat"):
            planner.put_blob(keys.features("models/x/y@main~0", "rows"), b"forged")
        assert planner.get_value(result) is None
        executor.put_values({result: b'{"error": 0.25}'})
        assert planner.get_value(result) == b'{"error": 0.25}'
        planner.put_values({keys.sh_state("run"): b"{}"})  # a planner's own state
        with pytest.raises(PermissionDenied):
            executor.purge()  # a planner's job, on behalf of an admin
        with pytest.raises(PermissionDenied):
            executor.put_values({keys.session_variable("s", "v"): b"{}"})
    finally:
        planner.close()
        executor.close()


def test_executor_port_is_the_planners_only(cluster: Cluster) -> None:
    from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc

    leaf = cluster.authority.leaf("shift-executor")
    creds = channel_credentials(cluster.authority.ca, leaf.cert, leaf.key)
    with open_channel(f"localhost:{cluster.executor.port}", creds) as channel:
        stub = executor_pb2_grpc.ExecutorServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.GetCapacity(executor_pb2.GetCapacityRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_planner_cannot_be_reached_without_tls(cluster: Cluster) -> None:
    with grpc.insecure_channel(f"localhost:{cluster.planner.port}") as channel:
        assert unreachable(channel)


@pytest.mark.parametrize("service", ["all", "cache"])
def test_binding_beyond_loopback_needs_tls_or_insecure(tmp_path: Path, service: str) -> None:
    store = f"sqlite:///{tmp_path / 's.sqlite3'}"
    args = secured_args(Authority(tmp_path / "pki"), tmp_path / "t.json", tmp_path, tmp_path, store)
    plain = argparse.Namespace(**{**vars(args), "service": service, "host": "0.0.0.0"})
    plain.tls_cert = plain.tls_key = plain.tls_ca = plain.tokens = None
    with pytest.raises(FailedPrecondition, match="--insecure"):
        build(plain)
    plain.insecure = True
    build(plain).start().stop(grace=0)


def test_no_token_in_plaintext_beyond_this_machine() -> None:
    with pytest.raises(FailedPrecondition, match="plaintext"):
        open_channel("shift.example.org:50051", token="shift_x")
    open_channel("localhost:1", token="shift_x").close()
    open_channel("unix:/tmp/nowhere.sock", token="shift_x").close()


def test_health_port_answers_probes_in_plaintext(tmp_path: Path) -> None:
    authority = Authority(tmp_path / "pki")
    leaf = authority.leaf("shift-cache")
    files = TLSFiles(leaf.cert, leaf.key, authority.ca)
    from shift_search.runtime.tls import server_credentials as creds_of

    server = ServiceServer(
        credentials=creds_of(files, require_client_cert=True), health_port=0
    ).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.health_port}") as probe:
            assert health(probe) == health_pb2.HealthCheckResponse.SERVING
            stub = cache_pb2_grpc.CacheServiceStub(probe)
            with pytest.raises(grpc.RpcError) as err:
                stub.Purge(cache_pb2.PurgeRequest(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        server.stop(grace=0)
