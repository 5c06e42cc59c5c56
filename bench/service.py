"""Service overhead and load: latency of a fully cached query and throughput with 1, 8 and 32
concurrent clients, against `shift serve` running as its own process (embedded store).

Two queries: a task-aware ranking whose every score is already in the cache (all-MiniLM-L6-v2 and
paraphrase-MiniLM-L3-v2 on fine-food reviews, run once first to fill the cache), and a metadata
query (`SELECT * FROM models LIMIT 3`). Clients are threads of this process, one channel each.

Run `python -m bench.service [--quick]`; the last line is `RESULT {json}`; the JSON also goes to
bench/results/service-cpu.json (bench/out for --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.demo import DATASETS, MODELS
from shift_search.cli.register import register_all
from shift_search.client import Client
from shift_search.runtime.errors import ShiftError

RESULTS = Path(__file__).resolve().parent / "results"
OUT = Path(__file__).resolve().parent / "out"
CONCURRENCY = (1, 8, 32)
CACHED = """SELECT name FROM models ORDER BY err ASC
  TRAINED ON "fine-food-train" TESTED ON TASK "fine-food-test"
  CLASSIFIED BY ["Cosine NN"] WAIT;"""
METADATA = "SELECT * FROM models LIMIT 3;"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, 2 s per level")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`shift serve` on a free port with its own store; returns once it answers queries."""
    port = free_port()
    env = {**os.environ, "SHIFT_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "shift_search.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            run_query(Client(address, session_id=""), METADATA)
            return process, address
        except ShiftError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"shift serve did not come up on {address}") from None
            time.sleep(0.5)


def run_query(client: Client, text: str) -> int:
    """Run a query to its end; the number of events it streamed."""
    return sum(1 for _ in client.events(text))


def latencies(address: str, text: str, count: int) -> list[float]:
    client = Client(address, session_id="")
    out = []
    for _ in range(count):
        started = time.perf_counter()
        run_query(client, text)
        out.append(time.perf_counter() - started)
    client.close()
    return out


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1e3, 2),
        "p99_ms": round(p99 * 1e3, 2),
        "requests": len(ordered),
    }


def load(address: str, text: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads each running `text` back to back for `seconds`: throughput, latency."""
    done: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    stop = time.monotonic() + seconds
    start = threading.Barrier(clients + 1)

    def worker(mine: list[float]) -> None:
        client = Client(address, session_id="")
        start.wait()
        try:
            while time.monotonic() < stop:
                began = time.perf_counter()
                run_query(client, text)
                mine.append(time.perf_counter() - began)
        except ShiftError as err:
            errors.append(str(err))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(d,)) for d in done]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    all_ = [s for d in done for s in d]
    return {
        "clients": clients,
        "queries_per_s": round(len(all_) / elapsed, 1),
        **summary_ms(all_),
        "errors": len(errors),
    }


def fill_cache(address: str) -> float:
    """Register the packaged text models and 400 / 200 reviews, and run the query once."""
    train, test = DATASETS
    records: list[ModelRecord | DatasetRecord] = [m for m in MODELS if m.modality == "text"]
    with Client(address, session_id="") as client:
        register_all(
            client, [*records, replace(train, slice="0:400"), replace(test, slice="0:200")]
        )
    started = time.perf_counter()
    run_query(Client(address, session_id=""), CACHED)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    count, seconds = (20, 2.0) if args.quick else (200, 10.0)
    with tempfile.TemporaryDirectory() as home:
        process, address = start_server(Path(home))
        try:
            first = fill_cache(address)
            print(f"[service] first run of the ranking (fills the cache): {first:.1f}s", flush=True)
            queries: dict[str, Any] = {}
            for name, text in (("cached_ranking", CACHED), ("metadata", METADATA)):
                single = summary_ms(latencies(address, text, count))
                print(f"[service] {name}, one client: {single}", flush=True)
                levels = []
                for clients in CONCURRENCY:
                    levels.append(load(address, text, clients, seconds))
                    print(f"[service] {name}: {levels[-1]}", flush=True)
                base = levels[0]["queries_per_s"] or 1.0
                queries[name] = {
                    "latency_one_client": single,
                    "load": {f"{level['clients']} clients": level for level in levels},
                    "throughput_over_one_client": {
                        str(level["clients"]): round(level["queries_per_s"] / base, 2)
                        for level in levels
                    },
                }
        finally:
            process.terminate()
            process.wait(timeout=30)
    result = {
        "benchmark": "service",
        "mode": "quick" if args.quick else "full",
        "first_run_seconds": round(first, 2),
        "queries": queries,
        "server": "shift serve (all four services in one process, embedded SQLite store)",
        "clients": "threads of one process, one channel each",
        "device": "cpu",
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    folder = OUT if args.quick else RESULTS  # a smoke run never replaces published figures
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service-cpu.json").write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
