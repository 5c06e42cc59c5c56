"""Search against fine-tuning everything (the paper's headline): for two real text datasets and
one image dataset, fine-tune every model of the pool (the enumeration baseline), then run SHiFT's
strategies through the real services and price each against it.

Run `python -m bench.search_vs_enumeration [--quick] [--device cpu|cuda] [--datasets ...]
[--remeasure]` (with SHIFT_ZOO pointing at a built zoo). Protocol:
- data: seeded splits written once under $SHIFT_HOME/bench-data (CPU_SIZES, reduced from the
  NOMINAL ones; --quick: 64/32 and 3 models per pool; --device cuda: 4x NOMINAL, capped at what the
  source holds);
- enumeration: every model fine-tuned once with a fixed protocol (FINETUNE_PARAMS), one task at a
  time (slots=1), timed by wall clock; ONNX models cannot be fine-tuned and are left out. Its
  store and a ledger of the measured seconds live under $SHIFT_HOME/bench-svse/, so reruns are free
  (--remeasure fine-tunes again on a fresh store and rewrites the ledger);
- strategies, each on a fresh store: Q1 task-agnostic (upstream accuracy, or num_params for text
  pools without it; a real SELECT … ORDER BY … LIMIT 1), Q2 1-NN top-1, Q3 linear probe top-1, Q4
  hybrid (Q1's model ∪ the linear top-1 of the rest, both fine-tuned, the better returned); Q2-Q4
  with AO (costmodel.decide) and with forced full data. Fine-tuning what a strategy returns costs
  what the enumeration measured for that model.
The last line is `RESULT {json}`; the JSON goes to bench/results/search_vs_enumeration-<device>.json
with a table per dataset, and a PNG per dataset beside it.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pool import text_pool, zoo_file, zoo_models
from bench.search_vs_enumeration.data import MODALITY, SPLITTERS, capped
from bench.search_vs_enumeration.plot import plot
from bench.search_vs_enumeration.run import (
    FINETUNE_PARAMS,
    LINEAR,
    NN,
    Setting,
    arena,
    enumerate_pool,
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
CPU_SIZES = {"fine_food": (1_000, 500), "tweets": (1_500, 500), "digits": (400, 160)}
"""What a full CPU run uses: on 2 shared cores one MiniLM-L6 fine-tune costs about 0.05 s per
sample pass (train passes count 3x) and an EfficientNet one about 0.15 s, so the text sizes are
the nominal ones (about 40 min per text dataset) and digits is cut to 400/160 (about 25 min):
at the nominal 1,000/400 its enumeration alone would take about an hour."""
QUICK_SIZES = (64, 32)
QUICK_MODELS = 3
SEED = 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64/32 samples, 3 models")
    parser.add_argument("--device", default="cpu", help="executor device: cpu or cuda")
    parser.add_argument(
        "--remeasure", action="store_true", help="fine-tune again instead of reading the cache"
    )
    parser.add_argument("--datasets", default=",".join(NOMINAL), help="comma-separated subset")
    parser.add_argument(
        "--rederive",
        action="store_true",
        help="recompute tables and goals from the recorded results; measure nothing",
    )
    parser.add_argument(
        "--remeasure-models",
        default="",
        help="comma-separated models to fine-tune again on --datasets (their recorded time was"
        " disturbed), then re-price everything",
    )
    return parser.parse_args(argv)


def sizes(dataset: str, quick: bool, device: str) -> tuple[int, int]:
    """Train/test sizes: tiny in quick mode, reduced on CPU, 4x the nominal ones on a GPU."""
    if quick:
        return QUICK_SIZES
    if device.startswith("cuda"):
        train, test = NOMINAL[dataset]
        return capped(dataset, 4 * train, 4 * test)
    return CPU_SIZES[dataset]


def pool_for(modality: str, quick: bool) -> tuple[list[ModelRecord], list[str]]:
    """The pool without ONNX models (they cannot be fine-tuned), and the names left out."""
    models = text_pool() if modality == "text" else zoo_models("image")
    excluded = [m.name for m in models if m.source == "onnx"]
    kept = [m for m in models if m.source != "onnx"]
    return (kept[:QUICK_MODELS] if quick else kept), excluded


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
    params = FINETUNE_PARAMS[modality]
    enumeration = _enumerate(models, train, test, params, args.device, args.remeasure)
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
        "finetune_params": dict(params),
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
    enumeration = {n: Finetuned(**f) for n, f in measured["enumeration"].items()}
    return [score(_outcome(s), enumeration) for s in measured["strategies"]], enumeration


_PRICED = {"returned", "accuracy", "regret_points", "total_seconds", "speedup"}


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
        params = FINETUNE_PARAMS[MODALITY[dataset]]
        for name, again in _enumerate(models, train, test, params, args.device, True).items():
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


def _enumerate(
    models: list[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    params: Mapping[str, Any],
    device: str,
    remeasure: bool,
) -> dict[str, Finetuned]:
    """Every model fine-tuned on the kept store (cached: free), or on a fresh one to remeasure."""
    folder = shift_home() / "bench-svse"
    folder.mkdir(parents=True, exist_ok=True)
    store, ledger = folder / f"enumeration-{device}.sqlite3", folder / f"enumeration-{device}.json"
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "enumeration.sqlite3" if remeasure else store
        with arena(store, device, models, train, test) as a:
            return enumerate_pool(a, params, ledger, log)


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
