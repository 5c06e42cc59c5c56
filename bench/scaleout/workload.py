"""The simulated workload: a successive-halving search over a 235-model pool, with task times
taken from this repository's measured benchmark results.

Sources (bench/results/*.json):
- per-sample embedding cost of each model: `halving-cpu.json` `profiled_ms_per_sample` (12 real
  text models profiled by the executor on the 2-core CPU machine); the pool of 235 cycles
  through them. On a GPU they are scaled by `executor-cuda.json`: all-MiniLM-L6-v2 through a
  real executor task on the H200 (`executor_samples_per_s`) against its profiled CPU cost.
- model load seconds: `incremental-cpu.json` `model_load_seconds` (safetensors all-MiniLM-L6-v2
  and the ONNX paraphrase-MiniLM-L3-v2); the pool's ONNX share is the measured pool's (1 of 12).
- the query: the paper's largest (235 models; CIFAR-100-sized, 50,000 train / 10,000 test),
  with BUDGET and CHUNK AUTO as the planner's cost model picks them (`halving.minimal_budget`,
  `halving.auto_chunk`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shift_search.planner import halving
from shift_search.tasks.specs import CHUNK_SIZE as STORAGE_CHUNK

RESULTS = Path(__file__).resolve().parents[1] / "results"
POOL_SIZE = 235
TRAIN, TEST = 50_000, 10_000
SCORE_SECONDS = 0.05
"""A proxy over cached features (1-NN of 10k test points: ~2 ms on an H200 plus reading the
features back); small next to embedding, kept as a constant."""
ONNX_MODEL = "paraphrase-MiniLM-L3-v2"
REFERENCE_MODEL = "all-MiniLM-L6-v2"


class Granularity(StrEnum):
    """How a round's work becomes tasks."""

    PER_MODEL = "per-model"
    """Today's planner: one score task per surviving model per round (it embeds what the round
    needs, the test set included in round 0, then scores)."""
    PER_CHUNK = "per-chunk"
    """The proposed design: one embed task per 1,024-sample storage chunk, then one small score
    task per model once its chunks are in the cache."""


@dataclass(frozen=True)
class ModelCost:
    name: str
    seconds_per_sample: float
    load_seconds: float


@dataclass(frozen=True)
class Measured:
    """What the simulation takes from measured results, with where it came from."""

    cpu_ms_per_sample: dict[str, float]
    load_seconds: dict[str, float]
    cuda_scale: float
    """GPU seconds per sample over profiled CPU seconds per sample (reference model)."""

    def pool(self, device: str) -> list[ModelCost]:
        names = sorted(self.cpu_ms_per_sample)
        scale = self.cuda_scale if device == "cuda" else 1.0
        out = []
        for i in range(POOL_SIZE):
            name = names[i % len(names)]
            kind = ONNX_MODEL if name == ONNX_MODEL else REFERENCE_MODEL
            out.append(
                ModelCost(
                    f"{name}#{i}",
                    self.cpu_ms_per_sample[name] / 1000.0 * scale,
                    self.load_seconds[kind],
                )
            )
        return out


def load_measured(results: Path = RESULTS) -> Measured:
    halving_run = json.loads((results / "halving-cpu.json").read_text())
    incremental = json.loads((results / "incremental-cpu.json").read_text())
    executor_cuda = json.loads((results / "executor-cuda.json").read_text())
    cpu = {k: float(v) for k, v in halving_run["profiled_ms_per_sample"].items()}
    gpu_seconds = 1.0 / float(executor_cuda["executor_samples_per_s"])
    return Measured(
        cpu_ms_per_sample=cpu,
        load_seconds={k: float(v) for k, v in incremental["model_load_seconds"].items()},
        cuda_scale=gpu_seconds / (cpu[REFERENCE_MODEL] / 1000.0),
    )


def schedule() -> halving.Schedule:
    budget = halving.minimal_budget(POOL_SIZE)  # B = M · L, C = ceil(N / Σ R_k)
    chunk = halving.auto_chunk(POOL_SIZE, budget, TRAIN)
    return halving.make_schedule(POOL_SIZE, budget, chunk, TRAIN)


@dataclass(frozen=True)
class TaskSpec:
    """One task of a round for one model: compute seconds (without loading the model)."""

    model: int
    seconds: float
    is_score: bool


def round_tasks(
    model: int, cost: ModelCost, k: int, plan: halving.Schedule, granularity: Granularity
) -> list[TaskSpec]:
    """Round k's tasks for one surviving model: embed what is new, then score."""
    new = plan.new_samples(k) + (TEST if k == 0 else 0)
    match granularity:
        case Granularity.PER_MODEL:
            return [TaskSpec(model, new * cost.seconds_per_sample + SCORE_SECONDS, True)]
        case Granularity.PER_CHUNK:
            chunks = []
            for part in (TEST if k == 0 else 0, plan.new_samples(k)):
                full, rest = divmod(part, STORAGE_CHUNK)
                sizes = [STORAGE_CHUNK] * full + ([rest] if rest else [])
                chunks += [TaskSpec(model, s * cost.seconds_per_sample, False) for s in sizes]
            return [*chunks, TaskSpec(model, SCORE_SECONDS, True)]


def total_compute_seconds(
    pool: list[ModelCost], plan: halving.Schedule, granularity: Granularity
) -> float:
    """Every task's compute of one query when the first models survive each round (the
    simulation counts its own, since who survives changes it)."""
    total = 0.0
    for k, survivors in enumerate(plan.survivors):
        for m in range(survivors):
            total += sum(t.seconds for t in round_tasks(m, pool[m], k, plan, granularity))
    return total


def critical_path_seconds(
    pool: list[ModelCost], plan: halving.Schedule, granularity: Granularity
) -> float:
    """The longest chain of one query: the slowest model's load, then per round the slowest
    model's longest task and (per chunk) its score. No number of executors finishes a query
    faster."""
    total = max(cost.load_seconds for cost in pool)
    for k, survivors in enumerate(plan.survivors):
        worst = 0.0
        for m in range(survivors):
            tasks = round_tasks(m, pool[m], k, plan, granularity)
            embed = max((t.seconds for t in tasks if not t.is_score), default=0.0)
            score = sum(t.seconds for t in tasks if t.is_score)
            worst = max(worst, embed + score)
        total += worst
    return total


def chunks_per_round(plan: halving.Schedule) -> list[int]:
    return [
        math.ceil(plan.new_samples(k) / STORAGE_CHUNK)
        + (TEST // STORAGE_CHUNK + 1 if k == 0 else 0)
        for k in range(plan.num_rounds)
    ]
