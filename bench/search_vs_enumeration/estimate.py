"""`--estimate`: what a full run costs, from a small sample measured now, before committing hours.

Per model a forward pass per sample (32 samples of the dataset, batch 32, the fastest of four
interleaved rounds after a warm-up); per modality the cost of a training sample over a forward
one, from the cheaper of two one-epoch fine-tunes of the pool's first model on 128 samples.
From these:
- the enumeration: every model `runs_per_model` times, each run `protocol.run_seconds` (every
  epoch: a training and a validation pass; then one test pass), with all `max_epochs` (the upper
  bound: early stopping ends runs sooner) or half of them;
- the strategies: each embeds the training and search sets with every model (one search each on
  a fresh store: Q2, Q3, Q4, the cascade, hybrid+SH, AUTO's evidence), hybrid+SH (and AUTO when
  it picks it) fine-tunes `keep + 1` contenders by successive halving over epochs (its tasks
  evaluate the search set before and after), plus a few seconds per model and store for loads,
  profiling and task overheads.
Every figure is measured twice: in wall-clock seconds (the machine as loaded now) and in the
process's CPU seconds, which other processes change less. Under load, though, torch's threads
spin while they wait for each other, so CPU seconds still overstate the idle machine's time: the
idle figures are the CPU figures scaled so that they reproduce one fine-tune per modality timed
whole on the idle machine in wave 1 (`IDLE_FINETUNES`; its model's forward pass is measured now
on that fine-tune's own data).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.search_vs_enumeration.config import Config
from bench.search_vs_enumeration.protocol import Protocol, run_seconds
from shift_search.cache.records import ModelRecord
from shift_search.planner.finetune_cost import epoch_schedule
from shift_search.planner.finetune_cost import survivors as round_survivors

TRAIN_PASSES = 3.0
"""A training pass over a sample is counted as this many forward passes (backward about 2)."""
SEARCHES = 6
"""Strategies that embed every model's data on their own store: Q2, Q3, Q4, cascade, hybrid+SH,
AUTO (Q1 reads metadata)."""
STORES = 7
"""Fresh stores per dataset (one per strategy), each registering and profiling the pool."""
PER_MODEL_AND_SEARCH_SECONDS = 4.0
"""Loads, profiling and task overheads per model and search (measured: 2-5 s on MiniLMs)."""


@dataclass(frozen=True)
class IdleFinetune:
    """One fine-tune timed whole on the idle machine: its dataset, model, sizes and seconds
    (the untrained head was evaluated on the test set too: two test passes)."""

    dataset: str
    model: str
    train: int
    test: int
    epochs: int
    seconds: float


IDLE_FINETUNES = {
    "text": IdleFinetune("tweets", "all-MiniLM-L6-v2", 1_500, 500, 1, 54.3),
    "image": IdleFinetune("digits", "efficientnet-lite0", 400, 160, 3, 80.86),
}
"""From bench/results/search_vs_enumeration-cpu.json of 2026-11-28 (wave 1, the idle machine)."""

CALIBRATION, EVALUATION = 128, 32
"""Training and validation / test samples of the one-epoch fine-tunes that price training."""

Log = Callable[[str], None]


def enumeration_seconds(
    forward: Mapping[str, float], ratio: float, n_train: int, n_test: int, p: Protocol, frac: float
) -> dict[str, float]:
    """Seconds of the protocol per model, runs with `frac` of `max_epochs`."""
    epochs = max(1.0, p.max_epochs * frac)
    return {
        m: p.runs_per_model() * run_seconds(f, ratio, n_train, n_test, p, epochs)
        for m, f in forward.items()
    }


def strategy_seconds(
    forward: Mapping[str, float],
    ratio: float,
    n_train: int,
    n_search: int,
    keep: int,
    epochs: int,
) -> dict[str, float]:
    """Seconds of the strategies: SEARCHES embeddings of all the data by every model, overheads,
    and halving over `epochs` fine-tuning epochs of `keep + 1` mean contenders."""
    mean = sum(forward.values()) / len(forward)
    embed = SEARCHES * sum(f * (n_train + n_search) for f in forward.values())
    overheads = (SEARCHES + STORES) * PER_MODEL_AND_SEARCH_SECONDS * len(forward)
    contenders = min(keep + 1, len(forward))
    schedule = epoch_schedule(contenders, epochs)
    alive = round_survivors(contenders, len(schedule))
    tune = sum(
        n * mean * (e * ratio * n_train + 2 * n_search)
        for n, e in zip(alive, schedule, strict=True)
    )
    return {"embeddings": embed, "overheads": overheads, "halving_over_epochs": 2 * tune}


def forward_seconds(
    models: Sequence[ModelRecord], sample: Sequence[Any], device: str, rounds: int = 4
) -> tuple[dict[str, float], dict[str, float]]:
    """(wall-clock, CPU) seconds per sample of each model's forward pass on `sample` (batch
    32): every model is loaded and warmed up on the batch, then timed in `rounds` interleaved
    rounds, keeping each model's fastest (on a shared machine load comes in bursts; the minimum
    drops them)."""
    from shift_search.executor.runner import open_encoder

    encoders = {m.name: open_encoder(m, device) for m in models}
    wall = dict.fromkeys(encoders, float("inf"))
    cpu = dict.fromkeys(encoders, float("inf"))
    for encoder in encoders.values():
        encoder.embed(list(sample), batch_size=32)
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            encoder.embed(list(sample), batch_size=32)
            wall[name] = min(wall[name], time.perf_counter() - started)
            cpu[name] = min(cpu[name], time.process_time() - cpu_started)
    n = len(sample)
    return {k: v / n for k, v in wall.items()}, {k: v / n for k, v in cpu.items()}


def estimate_dataset(
    name: str,
    models: Sequence[ModelRecord],
    train: Any,
    test: Any,
    config: Config,
    modality: str,
    device: str,
    log: Log,
) -> dict[str, Any]:
    """One dataset's estimate (module docstring)."""
    from bench.search_vs_enumeration.protocol import finetune_once, load_data

    protocol = config.protocols[modality]
    n_train, n_test, n_search = config.sizes[name]
    data = load_data(train, test, protocol.validation_fraction)
    sample = data.train[0][:32]
    wall, cpu = forward_seconds(models, sample, device)
    for m in wall:
        log(f"{name}: {m} forward {1000 * wall[m]:.1f} ms/sample ({1000 * cpu[m]:.1f} ms CPU)")
    small = type(data)(
        (data.train[0][:CALIBRATION], data.train[1][:CALIBRATION]),
        (data.validation[0][:EVALUATION], data.validation[1][:EVALUATION]),
        (data.test[0][:EVALUATION], data.test[1][:EVALUATION]),
        data.classes,
    )
    one_epoch = Protocol(protocol.lr_grid[:1], 1, 0, (0,), protocol.validation_fraction)
    runs = []
    for _ in range(2):
        cpu_started = time.process_time()
        run = finetune_once(models[0], small, one_epoch, protocol.lr_grid[0], 0, device)
        runs.append((run.train_seconds, time.process_time() - cpu_started))
    first = models[0].name
    ratio = train_ratio(min(r[0] for r in runs), wall[first])
    cpu_ratio = train_ratio(min(r[1] for r in runs), cpu[first])
    epochs = int(config.finetune.get(modality, {}).get("epochs", protocol.max_epochs))
    shape = (n_train, n_test, n_search, protocol, config.keep, epochs)
    now = _figures(wall, ratio, *shape)
    anchor = IDLE_FINETUNES[modality]
    scale = idle_scale(anchor, models, cpu_ratio, device, cpu if anchor.dataset == name else None)
    idle = _figures(cpu, cpu_ratio, *shape, scale=scale)
    log(
        f"{name}: {len(models)} models, about {now['hours_upper']:.2f} h now, "
        f"{idle['hours_upper']:.2f} h on the idle machine ({idle['hours_if_half_the_epochs']:.2f}"
        " h if early stopping halves the epochs)"
    )
    return {
        "train": n_train,
        "test": n_test,
        "search": n_search,
        "models": [m.name for m in models],
        "protocol": protocol.describe(),
        "runs_per_model": protocol.runs_per_model(),
        "forward_ms_per_sample": {m: round(1000 * f, 2) for m, f in wall.items()},
        "forward_cpu_ms_per_sample": {m: round(1000 * f, 2) for m, f in cpu.items()},
        "train_over_forward": round(ratio, 2),
        "train_over_forward_cpu": round(cpu_ratio, 2),
        "idle_over_cpu_seconds": round(scale, 3),
        "now": now,
        "idle": idle,
    }


def idle_scale(
    anchor: IdleFinetune,
    models: Sequence[ModelRecord],
    cpu_ratio: float,
    device: str,
    cpu: Mapping[str, float] | None,
) -> float:
    """Idle seconds per CPU second measured now: the anchor's idle fine-tune over what the CPU
    measurements predict for it: its model's forward pass on its own data (`cpu` when this
    dataset is the anchor's, else timed now on a sample of it)."""
    from bench.search_vs_enumeration.data import split

    found = [m for m in models if m.name == anchor.model]
    if device.startswith("cuda") or not found:
        return 1.0
    if cpu is None:
        train, _ = split(anchor.dataset, _bench_data(), (64, 16, 0), 0)
        cpu = forward_seconds(found, _inputs(train, 32), device, rounds=6)[1]
    f = cpu[anchor.model]
    predicted = f * (anchor.epochs * cpu_ratio * anchor.train + 2 * anchor.test)
    return anchor.seconds / predicted


def _bench_data() -> Path:
    from shift_search.runtime.settings import shift_home

    return shift_home() / "bench-data"


def _inputs(dataset: Any, count: int) -> list[Any]:
    from shift_search.executor.datasets.reader import read_dataset

    rows = read_dataset(
        dataset.format, dataset.uri, input_column=dataset.input_column,
        label_column=dataset.label_column,
    )  # fmt: skip
    return list(rows.inputs[:count])


def train_ratio(finetune_seconds: float, forward: float) -> float:
    """A training sample's cost in forward passes, from a one-epoch fine-tune on CALIBRATION
    samples that also passes over EVALUATION validation and EVALUATION test samples."""
    return max(1.0, (finetune_seconds - forward * 2 * EVALUATION) / (CALIBRATION * forward))


def _figures(
    forward: Mapping[str, float],
    ratio: float,
    n_train: int,
    n_test: int,
    n_search: int,
    protocol: Protocol,
    keep: int,
    epochs: int,
    scale: float = 1.0,
) -> dict[str, Any]:
    upper = enumeration_seconds(forward, ratio, n_train, n_test, protocol, 1.0)
    half = enumeration_seconds(forward, ratio, n_train, n_test, protocol, 0.5)
    search = strategy_seconds(forward, ratio, n_train, n_search, keep, epochs)
    total_upper = scale * (sum(upper.values()) + sum(search.values()))
    total_half = scale * (sum(half.values()) + sum(search.values()))
    return {
        "enumeration_seconds_per_model_upper": {m: round(scale * s, 1) for m, s in upper.items()},
        "strategies_seconds": {k: round(scale * v, 1) for k, v in search.items()},
        "hours_upper": round(total_upper / 3600, 2),
        "hours_if_half_the_epochs": round(total_half / 3600, 2),
    }


def summary(datasets: Mapping[str, Mapping[str, Any]], config: Config) -> dict[str, Any]:
    """The whole run's figures."""
    import torch

    def total(which: str, key: str) -> float:
        return round(sum(float(d[which][key]) for d in datasets.values()), 2)

    return {
        "benchmark": "search_vs_enumeration_estimate",
        "config": config.describe(),
        "machine": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "datasets": dict(datasets),
        "now_hours_upper": total("now", "hours_upper"),
        "now_hours_if_half_the_epochs": total("now", "hours_if_half_the_epochs"),
        "idle_hours_upper": total("idle", "hours_upper"),
        "idle_hours_if_half_the_epochs": total("idle", "hours_if_half_the_epochs"),
        "note": "the enumeration (every model, the protocol) and the strategies (a fresh store"
        " each); idle: the process's CPU seconds scaled by the fine-tunes of IDLE_FINETUNES",
    }
