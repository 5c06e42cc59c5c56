"""Search against fine-tuning everything (the paper's headline): for two real text datasets and
one image dataset, fine-tune every model of the pool (the enumeration baseline), then run SHiFT's
strategies through the real services and price each against it.

Run `python -m bench.search_vs_enumeration [--quick] [--device cpu|cuda] [--datasets ...]
[--remeasure] [--estimate]` (with SHIFT_ZOO pointing at a built zoo; the `pool` extra's models
join when installed). Protocol:
- data: seeded splits written once under $SHIFT_HOME/bench-data (CPU_SIZES: test sets of 2,000
  where the source allows; --quick: 64/32 and 3 models per pool; --device cuda: 4x NOMINAL, capped
  at what the source holds);
- enumeration (the ground truth, `protocol`): per model a learning-rate grid chosen on a held-out
  validation fifth of the training set, early stopping with the best epoch kept, 3 seeds at the
  chosen rate; a model's accuracy is its mean test accuracy with a 95% interval, and fine-tuning
  it costs the grid's wall-clock seconds. ONNX models cannot be fine-tuned and are left out. A
  ledger under $SHIFT_HOME/bench-svse/ keeps every model's result, so reruns are free
  (--remeasure runs again); --estimate measures a small sample and prints the full run's CPU time;
- strategies, each on a fresh store: Q1 task-agnostic (upstream accuracy, or num_params for text
  pools without it; a real SELECT … ORDER BY … LIMIT 1), Q2 1-NN top-1, Q3 linear probe top-1, Q4
  hybrid (Q1's model ∪ the linear top-1 of the rest, both fine-tuned, the better returned); Q2-Q4
  with AO (costmodel.decide) and with forced full data. Fine-tuning what a strategy returns costs
  what the enumeration measured for that model.
Regret is against the best mean, and each row says whether it lies inside the returned model's
interval. The last line is `RESULT {json}`; the JSON goes to
bench/results/search_vs_enumeration-<device>.json with a table per dataset, and a PNG per dataset
beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pool import search_pool, zoo_file
from bench.search_vs_enumeration.data import MODALITY, SPLITTERS, capped
from bench.search_vs_enumeration.plot import plot
from bench.search_vs_enumeration.protocol import (
    PROTOCOLS,
    QUICK_PROTOCOLS,
    GroundTruth,
    Protocol,
    estimate_seconds,
    ground_truth,
    run_seconds,
)
from bench.search_vs_enumeration.run import (
    LINEAR,
    NN,
    Setting,
    run_strategies,
)
from bench.search_vs_enumeration.table import (
    Finetuned,
    Outcome,
    Scored,
    enumeration_table,
    goals,
    score,
    table,
)
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.runtime.settings import shift_home

RESULTS = Path(__file__).parent.parent / "results"
NOMINAL = {"fine_food": (1_000, 500), "tweets": (1_500, 500), "digits": (1_000, 400)}
"""The protocol's CPU sizes; a GPU run (--device cuda) takes 4x these, capped by the source."""
CPU_SIZES = {"fine_food": (1_000, 1_000), "tweets": (2_000, 2_000), "digits": (900, 897)}
"""What a full CPU run uses: test sets of 2,000 where the source allows (tweets: 38k rows);
fine-food ships 1,000 test reviews and digits 1,797 images, so those split what there is. A
fifth of each training set is held out for validation (`protocol`). Run `--estimate` for the
CPU time this costs (hours: it is not run on the shared development machine)."""
QUICK_SIZES = (64, 32)
QUICK_MODELS = 2
QUICK_DATASETS = "tweets"
"""--quick checks the pipeline on one dataset with the two smallest models (under two minutes)."""
SEED = 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="64/32 samples, the 2 smallest models, tweets"
    )
    parser.add_argument("--device", default="cpu", help="executor device: cpu or cuda")
    parser.add_argument(
        "--remeasure", action="store_true", help="fine-tune again instead of reading the cache"
    )
    parser.add_argument("--datasets", help="comma-separated subset (default: all; quick: tweets)")
    parser.add_argument(
        "--rederive",
        action="store_true",
        help="recompute tables and goals from the recorded results; measure nothing",
    )
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="measure a small sample and print the full run's CPU time; fine-tune nothing else",
    )
    parser.add_argument(
        "--remeasure-models",
        default="",
        help="comma-separated models to fine-tune again on --datasets (their recorded time was"
        " disturbed), then re-price everything",
    )
    args = parser.parse_args(argv)
    if args.datasets is None:
        args.datasets = QUICK_DATASETS if args.quick else ",".join(NOMINAL)
    return args


def sizes(dataset: str, quick: bool, device: str) -> tuple[int, int]:
    """Train/test sizes: tiny in quick mode, reduced on CPU, 4x the nominal ones on a GPU."""
    if quick:
        return QUICK_SIZES
    if device.startswith("cuda"):
        train, test = NOMINAL[dataset]
        return capped(dataset, 4 * train, 4 * test)
    return CPU_SIZES[dataset]


def pool_for(modality: str, quick: bool) -> tuple[list[ModelRecord], list[str]]:
    """The pool without ONNX models (they cannot be fine-tuned), and the names left out; quick
    mode keeps the smallest (models of unknown size last)."""
    models = search_pool(modality)
    excluded = [m.name for m in models if m.source == "onnx"]
    kept = [m for m in models if m.source != "onnx"]
    if quick:
        order = sorted(range(len(kept)), key=lambda i: (kept[i].num_params or 10**12, i))
        kept = [kept[i] for i in order[:QUICK_MODELS]]
    return kept, excluded


def log(message: str) -> None:
    print(f"[svse] {message}", flush=True)


def run_dataset(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Enumeration, strategies, table and plot for one dataset."""
    modality = MODALITY[name]
    n_train, n_test = sizes(name, args.quick, args.device)
    train, test = SPLITTERS[name](shift_home() / "bench-data", n_train, n_test, SEED)
    models, excluded = pool_for(modality, args.quick)
    if not models:
        log(f"{name}: skipped, no {modality} models (build the zoo, set SHIFT_ZOO: {zoo_file()})")
        return {"skipped": f"no {modality} models in {zoo_file()}"}
    log(f"{name}: train {n_train:,} / test {n_test:,}, {len(models)} {modality} models")
    protocol = protocol_for(modality, args.quick)
    enumeration = _enumerate(models, train, test, protocol, args.device, args.remeasure)
    with tempfile.TemporaryDirectory() as tmp:
        setting = Setting(models, train, test, modality, args.device, Path(tmp))
        outcomes = run_strategies(setting, log)
    scored = [score(o, enumeration) for o in outcomes]
    png = RESULTS / f"search_vs_enumeration-{_tag(args)}-{name}.png"
    measured = {
        "train": n_train,
        "test": n_test,
        "seed": SEED,
        "data_files": [train.uri, test.uri],
        "modality": modality,
        "pool_size": len(models),
        "models_finetuned": len(enumeration),
        "excluded_onnx": excluded,
        "models": {m.name: _version(m) for m in models},
        "finetune_params": protocol.describe(),
        "enumeration": {n: asdict(f) for n, f in enumeration.items()},
        "plot": str(png.relative_to(RESULTS.parent.parent)),
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    _plot(name, measured, scored, enumeration, args.device)
    return measured | derived(measured, scored, enumeration)


def derived(
    measured: Mapping[str, Any], scored: Sequence[Scored], enumeration: Mapping[str, Finetuned]
) -> dict[str, Any]:
    """What follows from one dataset's measurements (the enumeration's accuracies and seconds,
    each strategy's candidates and search seconds, priced by `priced`): the strategies, the
    tables and the goals."""
    strategies = [_strategy(s) for s in scored]
    return {
        "strategies": strategies,
        "table": table(scored, enumeration),
        "enumeration_table": enumeration_table(measured["enumeration"]),
        "goals": goals(strategies, measured["enumeration"]),
    }


def _plot(
    name: str,
    measured: Mapping[str, Any],
    scored: Sequence[Scored],
    enumeration: Mapping[str, Finetuned],
    device: str,
) -> None:
    title = (
        f"{name}: {measured['train']:,} train / {measured['test']:,} test,"
        f" {measured['pool_size']} models, {device}"
    )
    plot(RESULTS / Path(measured["plot"]).name, title, scored, enumeration)


def priced(measured: Mapping[str, Any]) -> tuple[list[Scored], dict[str, Finetuned]]:
    """The recorded strategies priced against the recorded enumeration."""
    enumeration = {n: _finetuned_from(f) for n, f in measured["enumeration"].items()}
    return [score(_outcome(s), enumeration) for s in measured["strategies"]], enumeration


_PRICED = {"returned", "accuracy", "regret_points", "total_seconds", "speedup"}


def _finetuned_from(recorded: Mapping[str, Any]) -> Finetuned:
    fields = dict(recorded)
    fields["accuracies"] = tuple(fields.get("accuracies", ()))
    return Finetuned(**fields)


def _outcome(recorded: Mapping[str, Any]) -> Outcome:
    """A strategy's recorded search, without what pricing it against the enumeration added."""
    fixed = {"strategy", "ao", "candidates", "search_seconds"}
    detail = {k: v for k, v in recorded.items() if k not in fixed | _PRICED}
    return Outcome(
        recorded["strategy"],
        recorded["ao"],
        tuple(recorded["candidates"]),
        float(recorded["search_seconds"]),
        detail,
    )


def rederive(args: argparse.Namespace) -> dict[str, Any]:
    """Recompute the derived figures of the recorded results, measuring nothing (after a
    fine-tune was re-measured, say)."""
    out, result = _recorded(args)
    return _rewrite(out, result)


def remeasure_models(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """Fine-tune the named models again on a fresh store (for times another load disturbed),
    record their new seconds for the datasets asked for, and re-price everything."""
    out, result = _recorded(args)
    for dataset in [n.strip() for n in args.datasets.split(",") if n.strip()]:
        measured = result["datasets"].get(dataset, {})
        if "enumeration" not in measured:
            raise SystemExit(f"{dataset} has no recorded enumeration in {out.name}")
        unknown = sorted(set(names) - set(measured["enumeration"]))
        if unknown:
            raise SystemExit(f"{dataset} has no fine-tune of {', '.join(unknown)} to remeasure")
        train, test = SPLITTERS[dataset](
            shift_home() / "bench-data", measured["train"], measured["test"], measured["seed"]
        )
        models = [m for m in pool_for(MODALITY[dataset], False)[0] if m.name in names]
        protocol = protocol_for(MODALITY[dataset], False)
        for name, again in _enumerate(models, train, test, protocol, args.device, True).items():
            log(
                f"{dataset}: {name} {measured['enumeration'][name]['seconds']:.1f}s → "
                f"{again.seconds:.1f}s (accuracy {again.accuracy:.4f})"
            )
            measured["enumeration"][name] = asdict(again)
    return _rewrite(out, result)


def _recorded(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    out = RESULTS / f"search_vs_enumeration-{_tag(args)}.json"
    return out, json.loads(out.read_text())


def _rewrite(out: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Re-price every measured dataset of `result`, redraw its plot, and write it to `out`."""
    for name, measured in result["datasets"].items():
        if "strategies" in measured:
            scored, enumeration = priced(measured)
            result["datasets"][name] = measured | derived(measured, scored, enumeration)
            if measured.get("plot"):
                _plot(name, measured, scored, enumeration, result["device"])
    out.write_text(json.dumps(result, indent=2))
    log(f"rederived {out.name}")
    return result


def protocol_for(modality: str, quick: bool) -> Protocol:
    return (QUICK_PROTOCOLS if quick else PROTOCOLS)[modality]


def _enumerate(
    models: list[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    protocol: Protocol,
    device: str,
    remeasure: bool,
) -> dict[str, Finetuned]:
    """Every model under the fine-tuning protocol (ledger: free when measured before)."""
    ledger = shift_home() / "bench-svse" / f"protocol-{device}.json"
    truths = ground_truth(models, train, test, protocol, device, ledger, log, remeasure)
    return {name: finetuned(t) for name, t in truths.items()}


def finetuned(truth: GroundTruth) -> Finetuned:
    """The ground truth as the table prices it: a fine-tune costs the grid's seconds."""
    return Finetuned(
        truth.model,
        truth.mean,
        truth.selection_seconds,
        truth.ci_half,
        truth.accuracies,
        truth.lr,
    )


def _strategy(s: Scored) -> dict[str, Any]:
    o = s.outcome
    return {
        "strategy": o.strategy,
        "ao": o.ao,
        "candidates": list(o.candidates),
        "returned": s.returned,
        "accuracy": s.accuracy,
        "regret_points": s.regret,
        "search_seconds": o.search_seconds,
        "total_seconds": s.total_seconds,
        "speedup": s.speedup,
        **{k: v for k, v in o.detail.items()},
    }


def _version(m: ModelRecord) -> dict[str, Any]:
    return {"revision": m.revision, "recipe": m.tags.get("zoo_recipe_hash"), "source": m.source}


def estimate(args: argparse.Namespace) -> dict[str, Any]:
    """The full run's CPU time from a measured sample: per model a forward pass per sample (32
    samples, the fastest of four interleaved rounds after a warm-up on the same batch), and per
    modality the cost of a training pass over a forward pass, from the faster of two one-epoch
    fine-tunes of the pool's first model on 64 samples: hours on the machine as loaded now. The
    idle machine's hours come from a fine-tune measured there earlier (`anchored_hours`). Writes
    bench/results/search_vs_enumeration-estimate-<device>.json."""
    import torch

    from bench.search_vs_enumeration.protocol import finetune_once, load_data

    torch.set_num_threads(2)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    out: dict[str, Any] = {}
    for name in names:
        modality = MODALITY[name]
        n_train, n_test = sizes(name, False, args.device)
        train, test = SPLITTERS[name](shift_home() / "bench-data", n_train, n_test, SEED)
        models, excluded = pool_for(modality, False)
        protocol = protocol_for(modality, False)
        data = load_data(train, test, protocol.validation_fraction)
        sample = data.train[0][:32]
        forward = _forward_seconds(models, sample, args.device)
        for m, seconds in forward.items():
            log(f"{name}: {m} forward {1000 * seconds:.1f} ms/sample")
        small = type(data)(
            (data.train[0][:64], data.train[1][:64]),
            (data.validation[0][:16], data.validation[1][:16]),
            (data.test[0][:16], data.test[1][:16]),
            data.classes,
        )
        one_epoch = type(protocol)(protocol.lr_grid[:1], 1, 0, (0,), protocol.validation_fraction)
        run = min(
            (finetune_once(models[0], small, one_epoch, protocol.lr_grid[0], 0, args.device)
             for _ in range(2)),
            key=lambda r: r.train_seconds,
        )  # fmt: skip
        first = forward[models[0].name]
        ratio = max(1.0, (run.train_seconds - first * (16 + 2 * 16)) / (64 * first))
        upper = estimate_seconds(forward, ratio, n_train, n_test, protocol, 1.0)
        typical = estimate_seconds(forward, ratio, n_train, n_test, protocol, 0.5)
        per_model = {
            m: round(run_seconds(f, ratio, n_train, n_test, protocol, protocol.max_epochs), 1)
            for m, f in forward.items()
        }
        out[name] = {
            "train": n_train,
            "test": n_test,
            "models": len(models),
            "excluded_onnx": excluded,
            "protocol": protocol.describe(),
            "runs_per_model": protocol.runs_per_model(),
            "forward_ms_per_sample": {m: round(1000 * f, 2) for m, f in forward.items()},
            "train_over_forward": round(ratio, 2),
            "calibration_finetune": {
                "model": models[0].name,
                "train": 64,
                "validation": 16,
                "test": 16,
                "epochs": 1,
                "seconds": round(run.seconds, 1),
                "train_seconds": round(run.train_seconds, 1),
            },
            "one_finetune_seconds_at_max_epochs": per_model,
            "enumeration_hours_upper": round(upper / 3600, 2),
            "enumeration_hours_if_half_the_epochs": round(typical / 3600, 2),
            "idle": anchored_hours(name, forward, n_train, n_test, protocol),
        }
        log(
            f"{name}: {len(models)} models, about {upper / 3600:.1f} h (every run to"
            f" {protocol.max_epochs} epochs) or {typical / 3600:.1f} h (half), CPU"
        )
    total = sum(d["enumeration_hours_upper"] for d in out.values())
    result = {
        "benchmark": "search_vs_enumeration_estimate",
        "device": args.device,
        "machine": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "datasets": out,
        "total_enumeration_hours_upper": round(total, 2),
        "total_enumeration_hours_if_half_the_epochs": round(
            sum(d["enumeration_hours_if_half_the_epochs"] for d in out.values()), 2
        ),
        "idle_machine_hours_upper": round(
            sum(d.get("idle", {}).get("idle_hours_upper", 0.0) for d in out.values()), 2
        ),
        "idle_machine_hours_if_half_the_epochs": round(
            sum(d.get("idle", {}).get("idle_hours_if_half_the_epochs", 0.0) for d in out.values()),
            2,
        ),
        "note": "fine-tuning only (the enumeration's ground truth); the strategies' searches"
        " add their proxies' forward passes. Measured on the shared 2-core machine: noisy.",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"search_vs_enumeration-estimate-{args.device}.json").write_text(
        json.dumps(result, indent=2)
    )
    print("RESULT " + json.dumps(result), flush=True)
    return result


TRAIN_PASSES = 3.0
"""A training pass over a sample is counted as this many forward passes (backward about 2)."""


def idle_anchor(dataset: str) -> dict[str, Any] | None:
    """An earlier fine-tune measured on this machine when it was idle (the single-run protocol
    of the recorded bench/results/search_vs_enumeration-cpu.json): the model, its seconds, and
    the seconds of one forward-pass equivalent that follow from them."""
    recorded = RESULTS / "search_vs_enumeration-cpu.json"
    if not recorded.exists():
        return None
    data = json.loads(recorded.read_text()).get("datasets", {}).get(dataset, {})
    enumeration, params = data.get("enumeration", {}), data.get("finetune_params", {})
    if not enumeration or "epochs" not in params:
        return None
    model = next(iter(enumeration))
    seconds = float(enumeration[model]["seconds"])
    passes = TRAIN_PASSES * params["epochs"] * data["train"] + 2 * data["test"]
    return {"model": model, "seconds": seconds, "train": data["train"], "test": data["test"],
            "epochs": params["epochs"], "seconds_per_pass": seconds / passes}  # fmt: skip


def anchored_hours(
    dataset: str, forward: Mapping[str, float], n_train: int, n_test: int, p: Protocol
) -> dict[str, Any]:
    """The enumeration's idle-machine hours: the anchor's seconds per forward-pass equivalent,
    scaled to each model by their forward times measured side by side now (relative costs
    survive a load that absolute ones do not)."""
    anchor = idle_anchor(dataset)
    if anchor is None or anchor["model"] not in forward:
        return {}
    unit = anchor["seconds_per_pass"] / forward[anchor["model"]]
    idle = {m: unit * f for m, f in forward.items()}
    upper = estimate_seconds(idle, TRAIN_PASSES, n_train, n_test, p, 1.0)
    half = estimate_seconds(idle, TRAIN_PASSES, n_train, n_test, p, 0.5)
    per_model = {
        m: round(run_seconds(f, TRAIN_PASSES, n_train, n_test, p, p.max_epochs), 1)
        for m, f in idle.items()
    }
    return {"anchor": anchor, "idle_finetune_seconds_at_max_epochs": per_model,
            "idle_hours_upper": round(upper / 3600, 2),
            "idle_hours_if_half_the_epochs": round(half / 3600, 2)}  # fmt: skip


def _forward_seconds(
    models: Sequence[ModelRecord], sample: Sequence[Any], device: str, rounds: int = 4
) -> dict[str, float]:
    """Forward seconds per sample of each model on `sample` (batch 32): every model is loaded
    and warmed up on the batch, then timed in `rounds` interleaved rounds, keeping each model's
    fastest. On a shared machine the load comes in bursts; interleaving spreads them over the
    models and the minimum drops them."""
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


def _tag(args: argparse.Namespace) -> str:
    return f"{args.device}{'-quick' if args.quick else ''}"


def _versions() -> dict[str, str]:
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.rederive:
        return rederive(args)
    if args.estimate:
        return estimate(args)
    if args.remeasure_models:
        return remeasure_models(args, [n.strip() for n in args.remeasure_models.split(",")])
    import torch

    torch.set_num_threads(2)
    started = time.perf_counter()
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(NOMINAL))
    if unknown:
        raise SystemExit(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(NOMINAL)}")
    datasets: dict[str, Any] = {}
    for name in names:
        datasets[name] = run_dataset(name, args)
        seconds = time.perf_counter() - started
        result = _write(args, _result(args, datasets, seconds, len(datasets) == len(names)))
    print("RESULT " + json.dumps(result), flush=True)
    return result


def _result(
    args: argparse.Namespace, datasets: dict[str, Any], seconds: float, complete: bool
) -> dict[str, Any]:
    return {
        "benchmark": "search_vs_enumeration",
        "mode": "quick" if args.quick else "full",
        "device": args.device,
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "versions": _versions(),
        "zoo": str(zoo_file()),
        "proxies": {"Q2": NN.label, "Q3": LINEAR.label, "Q4": LINEAR.label},
        "protocol": {
            "nominal_sizes": NOMINAL,
            "sizes_used": {n: [d["train"], d["test"]] for n, d in datasets.items() if "train" in d},
            "note": "full data = forced no SH; AO = costmodel.decide; fresh store per strategy",
        },
        "complete": complete,
        "wall_seconds": seconds,
        "datasets": datasets,
    }


def _write(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    """Rewritten after every dataset, so a long run leaves what it measured so far. Datasets this
    run did not measure are kept from the file (each says when it was measured)."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"search_vs_enumeration-{_tag(args)}.json"
    earlier = json.loads(out.read_text()).get("datasets", {}) if out.exists() else {}
    kept = {n: d for n, d in earlier.items() if n not in result["datasets"]}
    merged = {**result, "datasets": {**kept, **result["datasets"]}, "kept_from_earlier": list(kept)}
    out.write_text(json.dumps(merged, indent=2))
    return merged


if __name__ == "__main__":
    main()
