"""What each queue operation costs Redis, measured on a real local redis-server.

Redis runs commands one at a time on one core, so its capacity is 1 / (server seconds per
operation). A queue operation costs the server its script (measured per operation, in its own
phase, as `INFO commandstats` microseconds per call, with `active` queries holding waiting tasks
since a take walks the round-robin of active queries) plus the handling of one request
(reading, parsing, answering). That handling is measured under concurrent load, where Redis
amortises its event-loop work over many clients as it would at scale: redis-server's CPU time
(`INFO cpu`) during a 50-client `redis-benchmark` of SET, per request, minus SET's own
microseconds. Client and network time do not count, so the figures hold for any number of
clients.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from bench.scaleout.simulation import OpCosts
from shift_search.queue.records import ExecutorStatus, Task
from shift_search.queue.redis_queue import RedisTaskQueue
from tests.redis_server import RedisServer, redis_server_binary


def _cpu_seconds(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _usec_per_call(client: redis.Redis, command: str) -> float:
    entry = client.info("commandstats").get(f"cmdstat_{command}")
    return float(entry["usec_per_call"]) if entry else 0.0


def _phase(
    client: redis.Redis, action: Callable[[], object], repeat: int, command: str = "evalsha"
) -> float:
    """Server seconds per call of `action` (its script or `command`, request handling aside)."""
    client.config_resetstat()
    for _ in range(repeat):
        action()
    return _usec_per_call(client, command) / 1e6


def measure_ops(url: str, active_queries: int, samples: int) -> dict[str, float]:
    """Server seconds per queue operation with `active_queries` queries waiting."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    queue = RedisTaskQueue(url, namespace="bench")
    per_query = max(4, 4 * samples // active_queries)
    for q in range(active_queries):
        queue.enqueue(
            [
                Task(f"q{q}-t{n}", f"q{q}", "embed", f"m{n % 8}", b"x" * 200)
                for n in range(per_query)
            ]
        )
    batch = 100
    extra = iter(range(10**9))
    enqueue_call = _phase(
        client,
        lambda: queue.enqueue([Task(f"e{next(extra)}", "qe", "embed", "m0", b"x" * 200)]),
        samples // 4,
    )
    enqueue_batch = _phase(
        client,
        lambda: queue.enqueue(
            [Task(f"b{next(extra)}", "qb", "embed", f"m{n % 8}", b"x" * 200) for n in range(batch)]
        ),
        max(2, samples // 50),
    )
    queue.heartbeat(ExecutorStatus("bench-0", "cuda:0", 1, ("m1", "m2")))
    held = []
    take = _phase(client, lambda: held.extend(queue.take("bench-0", 1, ("m1", "m2"))), samples)
    progress = _phase(client, lambda: queue.progress(held[0], b"rows 512/1024"), samples)
    done = iter(held)
    complete = _phase(client, lambda: queue.complete(next(done), b"r" * 200), len(held))
    heartbeat = _phase(
        client,
        lambda: queue.heartbeat(ExecutorStatus("bench-0", "cuda:0", 1, ("m1", "m2"))),
        samples,
    )
    reap = _phase(client, queue.reap, samples)
    read_events = _phase(
        client, lambda: queue.read_events("q0", "0", limit=1), samples, command="xread"
    )
    client.close()
    queue.close()
    return {
        "enqueue_call": enqueue_call,
        "enqueue_per_task": max(0.0, (enqueue_batch - enqueue_call) / (batch - 1)),
        "take": take,
        "complete": complete,
        "progress": progress,
        "read_events": read_events,
        "heartbeat": heartbeat,
        "reap": reap,
    }


def op_costs(
    measured: dict[str, float], request_seconds: float, heartbeat_seconds: float = 1.0
) -> OpCosts:
    return OpCosts(
        **measured, request_overhead=request_seconds, heartbeat_seconds=heartbeat_seconds
    )


def request_handling(port: int, requests: int) -> tuple[float, float]:
    """(SET requests per second, server seconds per request beyond the command itself) under a
    50-client redis-benchmark."""
    client = redis.Redis(port=port)
    try:
        client.config_resetstat()
        before = _cpu_seconds(client)
        rate = redis_benchmark(port, requests, ("SET",)).get("SET", 0.0)
        per_request = (_cpu_seconds(client) - before) / requests
        return rate, max(0.0, per_request - _usec_per_call(client, "set") / 1e6)
    finally:
        client.close()


def redis_benchmark(
    port: int, requests: int, names: tuple[str, ...] = ("SET", "GET", "XADD")
) -> dict[str, float]:
    """redis-benchmark's requests per second for SET, GET and XADD (50 clients, no pipelining)."""
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return {}
    out: dict[str, float] = {}
    runs = {"SET": ["-t", "set"], "GET": ["-t", "get"], "XADD": ["xadd", "bench:s", "*", "f", "v"]}
    for name, args in runs.items():
        if name not in names:
            continue
        text = subprocess.run(
            [binary, "-p", str(port), "-q", "-n", str(requests), "-c", "50", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        ).stdout
        match = re.search(r"([\d.]+) requests per second", text.replace("\r", "\n"))
        if match:
            out[name] = float(match.group(1))
    return out


def measure(active: tuple[int, ...], samples: int, benchmark_requests: int) -> dict[str, Any]:
    binary = redis_server_binary()
    if binary is None:
        raise SystemExit("bench.scaleout needs redis-server on PATH")
    with tempfile.TemporaryDirectory() as folder:
        server = RedisServer(binary, Path(folder), appendonly=False).start()
        try:
            started = time.perf_counter()
            by_active = {str(a): measure_ops(server.url, a, samples) for a in active}
            raw = redis_benchmark(server.port, benchmark_requests)
            _, per_request = request_handling(server.port, benchmark_requests)
            version = redis.Redis(port=server.port).info("server")["redis_version"]
        finally:
            server.stop()
    return {
        "seconds_per_op": by_active,
        "redis_benchmark_requests_per_s": raw,
        "request_seconds": per_request,
        "redis_version": version,
        "measure_seconds": round(time.perf_counter() - started, 1),
        "note": "seconds_per_op: the script's own server time (INFO commandstats); "
        "request_seconds: server CPU per request beyond the command under 50 clients (INFO cpu "
        "during redis-benchmark SET); appendonly off",
    }
