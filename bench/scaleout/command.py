"""Executors scaling out on the shared work queue.

Run `python -m bench.scaleout [--quick]`. Part (b): a discrete-event simulation
(bench.scaleout.simulation) of 1 to 100 planners, each running a successive-halving query over
a 235-model pool, on 10, 100 and 1,000 executors, with task times from measured results
(bench.scaleout.workload says which) and the queue's per-operation Redis costs measured now on
a real redis-server (bench.scaleout.redis_costs). It reports makespan against the ideal (total
work / executors), the Redis operations per second the run needs against what one Redis
serves, and where it stops scaling. Part (a) (bench.scaleout.measured): the measured makespan of
one real task-aware query with 1, 2 and 4 executor processes on this machine, and the queue's
own overhead per task. The last line is `RESULT {json}`; the JSON also goes to
bench/results/scaleout-cpu.json (bench/out/ with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.scaleout import redis_costs
from bench.scaleout.simulation import OpCosts, Outcome, Simulation
from bench.scaleout.workload import (
    POOL_SIZE,
    TEST,
    TRAIN,
    Granularity,
    ModelCost,
    critical_path_seconds,
    load_measured,
    schedule,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS, OUT = ROOT / "results", ROOT / "out"
EXECUTORS = (10, 100, 1000)
PLANNERS = {"full": (1, 10, 100), "quick": (1, 10)}
GOAL = 0.8
GOAL_SPEEDUP = 1.6
"""Part (a): two executors at least this much faster than one, on a 2-core machine."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 planners, fewer samples")
    parser.add_argument(
        "--device",
        default="cuda",
        choices=("cuda", "cpu"),
        help="the executors' device the task times are scaled to",
    )
    return parser.parse_args(argv)


def measure_speedup(quick: bool) -> dict[str, Any]:
    """Part (a): makespan of one real task-aware query with 1, 2 and 4 executor processes, and
    the queue's own overhead per task (bench.scaleout.measured)."""
    from bench.scaleout.measured import measure

    return measure(quick)


def ideal_seconds(compute_seconds: float, pool: list[ModelCost], executors: int) -> float:
    """Total work / executors: every task's compute (all queries), plus each model of the
    shared pool loaded once."""
    return (compute_seconds + sum(cost.load_seconds for cost in pool)) / executors


FREE = dict.fromkeys(
    (
        "enqueue_per_task",
        "enqueue_call",
        "take",
        "complete",
        "progress",
        "read_events",
        "heartbeat",
        "reap",
        "request_overhead",
    ),
    0.0,
)


def counterfactuals(
    pool: list[ModelCost],
    granularity: Granularity,
    executors: int,
    planners: int,
    costs: OpCosts,
) -> dict[str, float]:
    """The efficiency with one part made perfect, to name the part that limits it."""
    variants = {
        "redis_free": (pool, replace(costs, **FREE), True),
        "models_preloaded": ([replace(c, load_seconds=0.0) for c in pool], costs, True),
        "wake_one_per_task": (pool, costs, False),
    }
    out = {}
    for name, (models, op_costs, wake_all) in variants.items():
        sim = Simulation(models, executors, planners, granularity, op_costs, wake_all=wake_all)
        outcome = sim.run()
        ideal = ideal_seconds(outcome.compute_seconds, pool, executors)
        out[name] = round(ideal / outcome.makespan, 3)
        if name == "wake_one_per_task":
            out["wake_one_per_task_redis_utilisation"] = round(
                outcome.redis_busy / outcome.makespan + outcome.background_utilisation, 3
            )
    return out


def row(
    pool: list[ModelCost], granularity: Granularity, executors: int, planners: int, costs: OpCosts
) -> dict[str, Any]:
    started = time.perf_counter()
    outcome: Outcome = Simulation(pool, executors, planners, granularity, costs).run()
    ideal = ideal_seconds(outcome.compute_seconds, pool, executors)
    bound = critical_path_seconds(pool, schedule(), granularity)
    return {
        "granularity": granularity.value,
        "executors": executors,
        "planners": planners,
        "tasks": outcome.tasks,
        "makespan_s": round(outcome.makespan, 2),
        "ideal_s": round(ideal, 2),
        "efficiency": round(ideal / outcome.makespan, 3),
        "critical_path_s": round(bound, 2),
        "efficiency_bound": round(min(1.0, ideal / bound), 3),
        "loads_per_model_and_query": round(outcome.loads / (planners * POOL_SIZE), 2),
        "redis_ops_per_s": round(outcome.redis_ops / outcome.makespan),
        "redis_utilisation": round(
            outcome.redis_busy / outcome.makespan + outcome.background_utilisation, 3
        ),
        "simulated_in_s": round(time.perf_counter() - started, 2),
    }


def redis_limit(costs: OpCosts, mean_task_seconds: float) -> dict[str, float]:
    """How many executors one Redis serves when each runs tasks of `mean_task_seconds`."""
    o = costs.request_overhead
    per_task = (
        costs.enqueue_per_task
        + (costs.take + o)
        + (costs.complete + o)
        + (costs.progress + o)
        + (costs.read_events + o)
    )
    per_executor = (
        per_task / mean_task_seconds
        + (costs.heartbeat + costs.reap + 2 * o) / costs.heartbeat_seconds
    )
    return {
        "redis_seconds_per_task": per_task,
        "redis_ops_per_task": 4.0,
        "mean_task_seconds": mean_task_seconds,
        "executors_one_redis_serves": round(1.0 / per_executor),
        "tasks_per_s_one_redis_serves": round(1.0 / per_task),
    }


def summary(rows: list[dict[str, Any]], planners: tuple[int, ...]) -> dict[str, Any]:
    busiest = max(planners)

    def efficiency(granularity: Granularity, p: int) -> dict[str, float]:
        return {
            str(r["executors"]): r["efficiency"]
            for r in rows
            if r["granularity"] == granularity.value and r["planners"] == p
        }

    return {
        "simulated_efficiency": efficiency(Granularity.PER_CHUNK, busiest),
        "simulated_efficiency_planners": busiest,
        "simulated_efficiency_today_tasks": efficiency(Granularity.PER_MODEL, busiest),
        "simulated_efficiency_by_planners": {
            g.value: {str(p): efficiency(g, p) for p in planners} for g in Granularity
        },
    }


def limits(rows: list[dict[str, Any]], limit: dict[str, float]) -> list[str]:
    """Plain-language findings at the most executors: what stops which configuration, from the
    critical-path bound and the counterfactual runs (each part made perfect in turn)."""
    notes = []
    for r in rows:
        if r["executors"] != max(EXECUTORS):
            continue
        what = f"{r['granularity']} tasks, {r['planners']} planner(s): {r['efficiency']:.2f}"
        what += f" (Redis {r['redis_utilisation']:.0%} busy)"
        if r["efficiency_bound"] < GOAL:
            notes.append(
                f"{what}: the queries' critical path ({r['critical_path_s']} s, halving rounds "
                f"one after the other) exceeds the ideal {r['ideal_s']} s: too little "
                "concurrent work for the executors"
            )
        if "if" in r:
            gains = {k: v for k, v in r["if"].items() if not k.endswith("utilisation")}
            best = max(gains, key=lambda k: gains[k])
            notes.append(f"{what}: with each part made perfect: {gains}; the most: {best}")
    notes.append(
        f"one Redis serves about {limit['executors_one_redis_serves']} executors at "
        f"{limit['mean_task_seconds']:.2f} s per task ({limit['tasks_per_s_one_redis_serves']} "
        "tasks/s)"
    )
    return notes


def plot(rows: list[dict[str, Any]], path: Path, measured: dict[str, float]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for g in Granularity:
        for p in sorted({r["planners"] for r in rows}):
            points = [
                (r["executors"], r["ideal_s"] / r["makespan_s"] * r["executors"])
                for r in rows
                if r["granularity"] == g.value and r["planners"] == p
            ]
            xs, ys = zip(*sorted(points), strict=True)
            ax.plot(
                xs,
                ys,
                marker="o",
                linestyle="-" if g == Granularity.PER_CHUNK else "--",
                label=f"{g.value}, {p} planner(s)",
            )
    counts = sorted(int(n) for n in measured)
    ax.plot(
        counts,
        [measured[str(n)] for n in counts],
        marker="s",
        color="black",
        label="measured: executor processes on this machine",
    )
    ideal = [1, *EXECUTORS]
    ax.plot(ideal, ideal, color="grey", linewidth=0.8, label="ideal")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("executors")
    ax.set_ylabel("simulated speed-up (efficiency × executors)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    planners = PLANNERS[mode]
    measured = load_measured()
    pool = measured.pool(args.device)
    print(f"measuring the queue's Redis costs ({mode})…", flush=True)
    redis_figures = redis_costs.measure(
        active=planners,
        samples=200 if args.quick else 1000,
        benchmark_requests=20_000 if args.quick else 100_000,
    )
    rows = []
    for granularity in Granularity:
        for p in planners:
            costs = redis_costs.op_costs(
                redis_figures["seconds_per_op"][str(p)], redis_figures["request_seconds"]
            )
            for e in EXECUTORS:
                r = row(pool, granularity, e, p, costs)
                if e == max(EXECUTORS):
                    r["if"] = counterfactuals(pool, granularity, e, p, costs)
                rows.append(r)
                print(json.dumps(r), flush=True)
    chunk_rows = [r for r in rows if r["granularity"] == Granularity.PER_CHUNK.value]
    mean_task = sum(r["ideal_s"] * r["executors"] for r in chunk_rows) / sum(
        r["tasks"] for r in chunk_rows
    )
    limit = redis_limit(
        redis_costs.op_costs(
            redis_figures["seconds_per_op"][str(max(planners))], redis_figures["request_seconds"]
        ),
        mean_task,
    )
    print(f"part (a): measuring makespans with real executor processes ({mode})…", flush=True)
    part_a = measure_speedup(args.quick)
    result: dict[str, Any] = {
        "benchmark": "scaleout",
        "mode": mode,
        **part_a,
        "goal_speedup_at_2": GOAL_SPEEDUP,
        **summary(rows, planners),
        "goal_efficiency_at_1000": GOAL,
        "limits": limits(rows, limit),
        "redis_limit": limit,
        "redis": redis_figures,
        "workload": {
            "pool": POOL_SIZE,
            "train": TRAIN,
            "test": TEST,
            "schedule": {k: list(v) for k, v in vars(schedule()).items() if isinstance(v, tuple)},
            "device": args.device,
            "cuda_scale": round(measured.cuda_scale, 4),
            "cpu_ms_per_sample": measured.cpu_ms_per_sample,
            "load_seconds": measured.load_seconds,
            "sources": "halving-cpu.json profiled_ms_per_sample; incremental-cpu.json "
            "model_load_seconds; executor-cuda.json executor_samples_per_s (GPU scale)",
            "executor": "1 slot, keeps the weights of its 4 most recently used models",
        },
        "table": {
            "columns": [c for c in rows[0] if c != "if"],
            "rows": [[v for k, v in r.items() if k != "if"] for r in rows],
        },
        "counterfactuals_at_1000": {
            f"{r['granularity']}, {r['planners']} planner(s)": r["if"] for r in rows if "if" in r
        },
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    folder = OUT if args.quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    plot(rows, folder / "scaleout-cpu-speedup.png", part_a["measured_speedup"])
    (folder / "scaleout-cpu.json").write_text(json.dumps(result, indent=1) + "\n")
    print("RESULT " + json.dumps(result))
