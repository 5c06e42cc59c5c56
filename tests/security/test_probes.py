"""Every probe of issue 14, against a real secured server: each now fails safely with the right
code and a short message, and the server stays healthy (and, for the big request, bounded in
memory)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from shift_search.cache import keys
from shift_search.cache.client import CacheClient
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc, query_pb2, query_pb2_grpc
from shift_search.runtime.errors import InvalidArgument
from shift_search.runtime.limits import INTERNAL_LIMITS, PUBLIC_LIMITS
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.values import value_from_proto
from tests.query_stream import events_of
from tests.security.conftest import Secured, password_file

RANKING = """SELECT name FROM models ORDER BY err ASC TRAINED ON "reviews-train"
  TESTED ON TASK "reviews-test" CLASSIFIED BY ["Cosine NN"] WAIT;"""
PUBLIC_METHODS = (
    "/shift.v1.QueryService/Execute",
    "/shift.v1.QueryService/Explain",
    "/shift.v1.QueryService/GetStatus",
    "/shift.v1.QueryService/AddBenchmarkResults",
    "/shift.v1.ParserService/Parse",
    "/shift.v1.ParserService/Format",
)


def healthy(secured: Secured) -> bool:
    with secured.channel() as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def execute(secured: Secured, role: str, script: str) -> list[query_pb2.QueryEvent]:
    with secured.channel(role) as channel:
        stub = query_pb2_grpc.QueryServiceStub(channel)
        return events_of(stub.Execute(query_pb2.ExecuteRequest(script=script), timeout=300))


def failure(secured: Secured, role: str, script: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        execute(secured, role, script)
    return err.value


def scores(events: list[query_pb2.QueryEvent]) -> dict[str, float]:
    table = [e.result for e in events if e.WhichOneof("event") == "result"][-1]
    column = list(table.columns).index("error")
    return {
        str(value_from_proto(r.cells[0])): float(str(value_from_proto(r.cells[column])))
        for r in table.rows
    }


def raw_call(channel: grpc.Channel, method: str, body: bytes) -> grpc.StatusCode:
    """Send `body` as the request bytes of `method` (unary or server-streaming alike)."""
    identity = lambda b: b  # noqa: E731
    try:
        if method.endswith("/Execute"):
            call = channel.unary_stream(method, identity, identity)
            list(call(body, timeout=30))
        else:
            channel.unary_unary(method, identity, identity)(body, timeout=30)
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


# --- the cache on the public port ---------------------------------------------------------


@pytest.mark.parametrize("method", ["Purge", "PutValues", "PutBlob", "GetValues"])
def test_cache_is_not_served_on_the_public_port(secured: Secured, method: str) -> None:
    with secured.channel("admin") as channel:
        code = raw_call(channel, f"/shift.v1.CacheService/{method}", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED
    assert healthy(secured)


def test_purge_needs_an_admin_and_forged_results_cannot_be_stored(secured: Secured) -> None:
    """The probes: an unauthenticated PURGE emptied the cache; a PutValues forged a stored
    proxy result (0.0123 instead of 0.4167) that the next search printed."""
    first = scores(execute(secured, "reader", RANKING))
    cache = CacheClient(secured.server.internal_address)
    stored = cache.scan(keys.PROXY_RESULTS)
    assert stored
    with grpc.insecure_channel(secured.address) as plaintext:  # no TLS, no token
        request = cache_pb2.PutValuesRequest(
            values=[cache_pb2.KeyValue(key=stored[0], value=b'{"error": 0.0123}')]
        )
        with pytest.raises(grpc.RpcError) as err:
            cache_pb2_grpc.CacheServiceStub(plaintext).PutValues(request, timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # not even a TLS handshake
    with secured.channel() as anonymous:
        code = raw_call(anonymous, "/shift.v1.QueryService/Execute", b"")
        assert code == grpc.StatusCode.UNAUTHENTICATED
    for role in ("reader", "writer"):
        denied = failure(secured, role, "PURGE;")
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
        assert len(denied.details() or "") < 200
    assert cache.scan(keys.PROXY_RESULTS) == stored
    assert scores(execute(secured, "reader", RANKING)) == first  # no forged score
    cache.close()
    assert healthy(secured)


def test_status_needs_a_reader_token_and_lists_the_executor(secured: Secured) -> None:
    with secured.channel() as anonymous:
        code = raw_call(anonymous, "/shift.v1.QueryService/GetStatus", b"")
        assert code == grpc.StatusCode.UNAUTHENTICATED
    with secured.client("reader") as client:
        status = client.status()
    (executor,) = status.executors  # the one of `shift serve`, on its in-process queue
    assert (executor.device, executor.slots, status.queue) == ("cpu", 1, "in-process")


# --- files --------------------------------------------------------------------------------


def _register(secured: Secured, name: str, uri: str) -> grpc.RpcError:
    script = f'REGISTER DATASET "{name}" (uri, format) VALUES ("{uri}", "csv");'
    return failure(secured, "writer", script)


def test_a_password_file_cannot_be_registered(secured: Secured) -> None:
    err = _register(secured, "pw", str(secured.outside / "passwd"))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "outside the dataset roots" in (err.details() or "")
    assert "root:x" not in (err.details() or "")
    if Path("/etc/passwd").exists():
        assert _register(secured, "etc", "/etc/passwd").code() == grpc.StatusCode.PERMISSION_DENIED


def test_dotdot_is_refused(secured: Secured) -> None:
    err = _register(secured, "up", f"{secured.data}/../outside/passwd")
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "'..'" in (err.details() or "")


def _query_on(secured: Secured, name: str) -> grpc.RpcError:
    query = f"""SELECT name FROM models ORDER BY err ASC TRAINED ON "{name}"
      TESTED ON TASK "reviews-test" CLASSIFIED BY ["Cosine NN"] WAIT;"""
    return failure(secured, "reader", query)


def _refused_registration(secured: Secured, name: str, values: str) -> grpc.RpcError:
    """REGISTER DATASET reads the file there and then (to describe it): a file that may not be
    read is refused at once, and nothing is registered."""
    err = failure(secured, "writer", f'REGISTER DATASET "{name}" {values};')
    assert _query_on(secured, name).code() == grpc.StatusCode.NOT_FOUND
    return err


def test_a_symlink_out_of_the_root_is_refused_where_files_are_opened(secured: Secured) -> None:
    link = secured.data / "innocent.csv"
    link.symlink_to(secured.outside / "passwd")
    err = _refused_registration(secured, "linked", f'(uri) VALUES ("{link}")')
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "symbolic link" in (err.details() or "")
    assert "root:x" not in (err.details() or "")


def test_a_device_or_fifo_is_refused(secured: Secured) -> None:
    fifo = secured.data / "pipe.csv"
    os.mkfifo(fifo)
    err = _refused_registration(secured, "pipe", f'(uri) VALUES ("{fifo}")')  # never read
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "not a regular file" in (err.details() or "")


def test_errors_never_quote_a_file_that_is_not_a_dataset(secured: Secured) -> None:
    """Inside the roots, a file that is not a table: the error says so, quoting nothing."""
    inside = password_file(secured.data / "etc")
    err = _refused_registration(secured, "pw-in", f'(uri, format) VALUES ("{inside}", "csv")')
    assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
    for secret in ("root:x", "/bin/bash", "daemon"):
        assert secret not in (err.details() or "")
    assert "is it a table?" in (err.details() or "")
    assert healthy(secured)


# --- bounded input ------------------------------------------------------------------------


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_a_50mb_script_is_refused_before_it_is_read(secured: Secured) -> None:
    script = "SELECT * FROM models WHERE name = 'x' OR\n" * 1_250_000  # ~50 MB
    assert len(script) > 50_000_000
    before = _rss_bytes()
    err = failure(secured, "reader", script)
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(err.details() or "") < 200
    del script
    assert _rss_bytes() - before < 256 * 2**20  # the client's copy is gone; the server kept none
    assert PUBLIC_LIMITS.max_request_bytes == 4 * 2**20
    assert healthy(secured)


@pytest.mark.parametrize("method", PUBLIC_METHODS)
def test_malformed_requests_are_invalid_argument(secured: Secured, method: str) -> None:
    garbage = b"\x0a\xff\xff\xff\xff\x0f"  # field 1, a length past the end
    role = "writer" if method.endswith("AddBenchmarkResults") else "reader"  # it needs a writer
    with secured.channel(role) as channel:
        assert raw_call(channel, method, garbage) == grpc.StatusCode.INVALID_ARGUMENT
    assert healthy(secured)


def test_append_history_with_bad_json_is_invalid_argument(secured: Secured) -> None:
    cache = CacheClient(secured.server.internal_address)
    for entry in (b"{not json", b"\xff\xfe", b"[1, 2]"):
        with pytest.raises(InvalidArgument):
            cache.append_history(entry)
    assert cache.append_history(b'{"statement": "ok"}') >= 1
    cache.close()


def _stalled_reflection(channel: grpc.Channel, release: threading.Event) -> grpc.Future:
    def requests() -> Iterator[reflection_pb2.ServerReflectionRequest]:
        release.wait(120)
        return
        yield  # never sends anything

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return stub.ServerReflectionInfo(requests(), timeout=120)  # type: ignore[no-any-return]


def test_stalled_streams_from_one_client_leave_the_server_to_the_others(
    secured: Secured,
) -> None:
    """The probe: 32 stalled client streams from one client starved health checks and
    queries. Now one client holds at most its share; beyond it, RESOURCE_EXHAUSTED."""
    limit = PUBLIC_LIMITS.max_calls_per_client
    assert limit is not None and limit < PUBLIC_LIMITS.max_workers
    release = threading.Event()
    channel = secured.channel()
    calls = [_stalled_reflection(channel, release) for _ in range(limit + 6)]
    try:
        deadline = time.monotonic() + 60
        while sum(c.done() for c in calls) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        refused = [c for c in calls if c.done()]
        assert len(refused) == 6
        assert all(c.code() == grpc.StatusCode.RESOURCE_EXHAUSTED for c in refused)
        assert healthy(secured)  # health checks and queries still get threads
        assert sorted(scores(execute(secured, "writer", RANKING))) == ["bert-a", "bert-b"]
    finally:
        release.set()
        for call in calls:
            call.cancel()
        channel.close()


def test_a_stalled_upload_is_cancelled_and_stores_nothing(tmp_path: Path) -> None:
    """A client stream that goes silent is cancelled after the idle bound (here 1 s)."""
    from dataclasses import replace

    limits = replace(INTERNAL_LIMITS, stream_idle_seconds=1.0)
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    server = ServiceServer(limits=limits).add(cache_registration(store)).start()
    release = threading.Event()
    key = keys.features("models/x/y@main~0", "rows")

    def pieces() -> Iterator[cache_pb2.PutBlobRequest]:
        yield cache_pb2.PutBlobRequest(key=key, data=b"x" * 1024, evictable=True, total_size=2048)
        release.wait(60)

    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = cache_pb2_grpc.CacheServiceStub(channel)
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as err:
                stub.PutBlob(pieces(), timeout=60)
            release.set()
            assert err.value.code() == grpc.StatusCode.CANCELLED
            assert time.monotonic() - started < 30
            assert store.get(key) is None
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        release.set()
        server.stop(grace=0)
