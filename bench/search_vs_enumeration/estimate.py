"""`--estimate`: what a full run costs, from a small sample measured now, before committing hours.

Per model a forward pass per sample (32 samples of the dataset, batch 32, the fastest of four
interleaved rounds after a warm-up); per modality the cost of a training pass over a forward
pass, from the faster of two one-epoch fine-tunes of the pool's first model on 64 samples. From
these:
- the enumeration: every model `runs_per_model` times, each run `protocol.run_seconds` (every
  epoch: a training and a validation pass; then one test pass), with all `max_epochs` (the upper
  bound: early stopping ends runs sooner) or half of them;
- the strategies: each embeds the training and test sets with every model (one search each on a
  fresh store: Q2, Q3, Q4, the cascade, hybrid+SH, AUTO's evidence), and hybrid+SH (and AUTO
  when it picks it) fine-tunes `keep + 1` contenders by successive halving over epochs, plus a
  few seconds per model and store for loads, profiling and task overheads.
The machine is shared, so the same figures are also given for the idle machine: the anchor
model's forward pass measured now against its seconds per forward-pass equivalent measured on the
idle machine in wave 1 (a whole fine-tune, `IDLE_ANCHORS`) gives the load factor that every
model's time is divided by.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
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
IDLE_ANCHORS = {
    "tweets": ("all-MiniLM-L6-v2", 0.00987),
    "fine_food": ("all-MiniLM-L6-v2", 0.04971),
    "digits": ("efficientnet-lite0", 0.02063),
}
"""Seconds per forward-pass equivalent of one model, measured on the idle machine in wave 1 (a
one-epoch fine-tune timed whole: bench/results/search_vs_enumeration-cpu.json of 2026-11-28).
Fine-food's is for whole reviews; cut reviews are scaled by today's forward times on both."""

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
    n_test: int,
    keep: int,
    epochs: int,
) -> dict[str, float]:
    """Seconds of the strategies: SEARCHES embeddings of all the data by every model, overheads,
    and halving over `epochs` fine-tuning epochs of `keep + 1` mean contenders."""
    mean = sum(forward.values()) / len(forward)
    embed = SEARCHES * sum(f * (n_train + n_test) for f in forward.values())
    overheads = (SEARCHES + STORES) * PER_MODEL_AND_SEARCH_SECONDS * len(forward)
    contenders = min(keep + 1, len(forward))
    schedule = epoch_schedule(contenders, epochs)
    alive = round_survivors(contenders, len(schedule))
    tune = sum(
        n * mean * (e * ratio * n_train + n_test) for n, e in zip(alive, schedule, strict=True)
    )
    return {"embeddings": embed, "overheads": overheads, "halving_over_epochs": 2 * tune}


def forward_seconds(
    models: Sequence[ModelRecord], sample: Sequence[Any], device: str, rounds: int = 4
) -> dict[str, float]:
    """Forward seconds per sample of each model on `sample` (batch 32): every model is loaded
    and warmed up on the batch, then timed in `rounds` interleaved rounds, keeping each model's
    fastest (on a shared machine load comes in bursts; the minimum drops them)."""
    from shift_search.executor.runner import open_encoder

    encoders = {m.name: open_encoder(m, device) for m in models}
    best = dict.fromkeys(encoders, float("inf"))
    for encoder in encoders.values():
        encoder.embed(list(sample), batch_size=32)
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.embed(list(sample), batch_size=32)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds / len(sample) for name, seconds in best.items()}


def estimate_dataset(
    name: str,
    models: Sequence[ModelRecord],
    train: Any,
    test: Any,
    config: Config,
    modality: str,
    device: str,
    log: Log,
    anchor_sample: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """One dataset's estimate (module docstring); `anchor_sample` is the data the idle anchor
    was measured on, when it differs from this dataset's (whole fine-food reviews)."""
    from bench.search_vs_enumeration.protocol import finetune_once, load_data

    protocol = config.protocols[modality]
    n_train, n_test = config.sizes[name]
    data = load_data(train, test, protocol.validation_fraction)
    sample = data.train[0][:32]
    forward = forward_seconds(models, sample, device)
    for m, seconds in forward.items():
        log(f"{name}: {m} forward {1000 * seconds:.1f} ms/sample")
    small = type(data)(
        (data.train[0][:64], data.train[1][:64]),
        (data.validation[0][:16], data.validation[1][:16]),
        (data.test[0][:16], data.test[1][:16]),
        data.classes,
    )
    one_epoch = Protocol(protocol.lr_grid[:1], 1, 0, (0,), protocol.validation_fraction)
    run = min(
        (finetune_once(models[0], small, one_epoch, protocol.lr_grid[0], 0, device)
         for _ in range(2)),
        key=lambda r: r.train_seconds,
    )  # fmt: skip
    first = forward[models[0].name]
    ratio = max(1.0, (run.train_seconds - first * (16 + 16)) / (64 * first))
    load = load_factor(name, models, forward, anchor_sample, device)
    epochs = int(config.finetune.get(modality, {}).get("epochs", protocol.max_epochs))
    figures = _figures(forward, ratio, n_train, n_test, protocol, config.keep, epochs, load)
    log(
        f"{name}: {len(models)} models, about {figures['now_hours_upper']:.2f} h now"
        f" ({figures['idle_hours_upper']:.2f} h on the idle machine; load factor {load:.2f})"
    )
    return {
        "train": n_train,
        "test": n_test,
        "models": [m.name for m in models],
        "protocol": protocol.describe(),
        "runs_per_model": protocol.runs_per_model(),
        "forward_ms_per_sample": {m: round(1000 * f, 2) for m, f in forward.items()},
        "train_over_forward": round(ratio, 2),
        "load_factor": round(load, 2),
        **figures,
    }


def load_factor(
    name: str,
    models: Sequence[ModelRecord],
    forward: Mapping[str, float],
    anchor_sample: Sequence[Any] | None,
    device: str,
) -> float:
    """How much slower the machine is now than when idle (1 on a GPU or without an anchor)."""
    anchor, idle = IDLE_ANCHORS.get(name, ("", 0.0))
    found = [m for m in models if m.name == anchor]
    if device.startswith("cuda") or not found or not idle:
        return 1.0
    now = forward[anchor]
    if anchor_sample is not None:  # the anchor was measured on other data: time it there
        now = forward_seconds(found, anchor_sample, device)[anchor]
    return max(now / idle, 1e-3)


def _figures(
    forward: Mapping[str, float],
    ratio: float,
    n_train: int,
    n_test: int,
    protocol: Protocol,
    keep: int,
    epochs: int,
    load: float,
) -> dict[str, Any]:
    upper = enumeration_seconds(forward, ratio, n_train, n_test, protocol, 1.0)
    half = enumeration_seconds(forward, ratio, n_train, n_test, protocol, 0.5)
    search = strategy_seconds(forward, ratio, n_train, n_test, keep, epochs)
    now_upper = sum(upper.values()) + sum(search.values())
    now_half = sum(half.values()) + sum(search.values())
    return {
        "enumeration_seconds_per_model_upper": {m: round(s, 1) for m, s in upper.items()},
        "strategies_seconds": {k: round(v, 1) for k, v in search.items()},
        "now_hours_upper": round(now_upper / 3600, 2),
        "now_hours_if_half_the_epochs": round(now_half / 3600, 2),
        "idle_hours_upper": round(now_upper / load / 3600, 2),
        "idle_hours_if_half_the_epochs": round(now_half / load / 3600, 2),
    }


def summary(datasets: Mapping[str, Mapping[str, Any]], config: Config) -> dict[str, Any]:
    """The whole run's figures."""
    import torch

    def total(key: str) -> float:
        return round(sum(float(d.get(key, 0.0)) for d in datasets.values()), 2)

    return {
        "benchmark": "search_vs_enumeration_estimate",
        "config": config.describe(),
        "machine": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "datasets": dict(datasets),
        "now_hours_upper": total("now_hours_upper"),
        "now_hours_if_half_the_epochs": total("now_hours_if_half_the_epochs"),
        "idle_hours_upper": total("idle_hours_upper"),
        "idle_hours_if_half_the_epochs": total("idle_hours_if_half_the_epochs"),
        "note": "the enumeration (every model, the protocol) and the strategies (a fresh store"
        " each); measured on the shared machine and scaled to the idle one by IDLE_ANCHORS",
    }


def first_inputs(dataset: Any, count: int) -> list[Any]:
    """The first `count` inputs of a dataset file (the data an idle anchor was timed on)."""
    from shift_search.executor.datasets.reader import read_dataset

    rows = read_dataset(
        dataset.format, dataset.uri, input_column=dataset.input_column,
        label_column=dataset.label_column,
    )  # fmt: skip
    return list(rows.inputs[:count])
