"""Search against fine-tuning everything (the paper's headline): for two real text datasets and
one image dataset, fine-tune every model of the pool (the enumeration baseline), then run SHiFT's
strategies through the real services as SHiFT-QL and price each against it.

Run `python -m bench.search_vs_enumeration [--quick] [--device cpu|cuda] [--datasets ...]
[--strategies ...] [--enumeration-only] [--remeasure] [--estimate]` (build the zoo first,
`python -m bench.zoo`: its models join the pool, as do the `pool` extra's when installed). What
each mode runs (sizes, the models left out, the protocol) is `config.py`'s; `--estimate` prints
what a full run costs.
- enumeration (the ground truth, `protocol`): per model a learning-rate grid chosen on a
  held-out validation fifth of the training set, early stopping with the best epoch kept, 3
  seeds at the chosen rate; a model's accuracy is its mean test accuracy with a 95% interval,
  and fine-tuning it costs the grid's wall-clock seconds. ONNX models cannot be fine-tuned and
  are left out. A ledger under $SHIFT_HOME/bench-svse/ keeps every model's result, so reruns
  are free (--remeasure runs again);
- strategies (`queries`): Q1 task-agnostic, Q2 1-NN, Q3 linear, Q4 hybrid, the cascade
  (Cosine NN then LogME), hybrid+SH (linear probe's best and the task-agnostic pick, then
  halving over fine-tuning epochs) and AUTO, each its SHiFT-QL on a fresh store, AO deciding SH.
  Each is TRAINED ON the training set and TESTED ON the search split, held out from training and
  from the test set, so no strategy sees the samples its pick is judged on. Fine-tuning what a
  strategy returns costs what the enumeration measured for that model. `--enumeration-only`
  fine-tunes the pool again (after the protocol changed, say) and re-prices the recorded
  strategies, whose searches do not depend on it.
Per task and strategy: the model returned, its mean accuracy ± 95% interval, regret against the
best mean and whether it lies inside the returned model's interval, the search in seconds and in
fine-tune equivalents (a mean fine-tune of the pool), speed-up over enumeration; the goal line
(the hybrid or AUTO within 1 point of the best at a search below one fine-tune); and a plot of
regret against search cost for every strategy on every task. The last line is `RESULT {json}`;
the JSON goes to bench/results/search_vs_enumeration-<device>.json, the plot beside it.
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

from bench.pool import search_pool, zoo_file
from bench.search_vs_enumeration import estimate as estimating
from bench.search_vs_enumeration.config import NOMINAL, Config, config_for
from bench.search_vs_enumeration.data import MODALITY, split
from bench.search_vs_enumeration.plot import Panel, plot
from bench.search_vs_enumeration.protocol import GroundTruth, Protocol, ground_truth
from bench.search_vs_enumeration.queries import STRATEGIES
from bench.search_vs_enumeration.run import Setting, run_strategies
from bench.search_vs_enumeration.table import (
    Finetuned,
    Outcome,
    Scored,
    convergence,
    enumeration_table,
    goals,
    score,
    table,
)
from bench.source_revision import source_revision
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.runtime.settings import shift_home

RESULTS = Path(__file__).parent.parent / "results"
QUICK_DATASETS = "tweets"
SEED = 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="64/32 samples, the 2 smallest models, tweets, Q1, Q4, the cascade and AUTO",
    )
    parser.add_argument("--device", default="cpu", help="executor device: cpu or cuda")
    parser.add_argument(
        "--remeasure", action="store_true", help="fine-tune again instead of reading the ledger"
    )
    parser.add_argument("--datasets", help="comma-separated subset (default: all; quick: tweets)")
    parser.add_argument(
        "--strategies", default="", help=f"comma-separated subset of: {', '.join(STRATEGIES)}"
    )
    parser.add_argument(
        "--rederive",
        action="store_true",
        help="recompute tables, goals and the plot from the recorded results; measure nothing",
    )
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="measure a small sample and print the full run's CPU time; fine-tune nothing else",
    )
    parser.add_argument(
        "--enumeration-only",
        action="store_true",
        help="fine-tune the pool under the current protocol (the ledger's when measured) on"
        " --datasets and re-price the recorded strategies against it; search nothing",
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


def log(message: str) -> None:
    print(f"[svse] {message}", flush=True)


def pool_for(modality: str, config: Config) -> tuple[list[ModelRecord], dict[str, str]]:
    """The pool this mode searches, and every model left out with why: ONNX models cannot be
    fine-tuned; the slowest are left out on CPU; quick mode keeps the smallest (models of
    unknown size last)."""
    models = search_pool(modality)
    left: dict[str, str] = {}
    kept = []
    for m in models:
        if m.source == "onnx":
            left[m.name] = "ONNX: cannot be fine-tuned"
        elif m.name in config.excluded:
            left[m.name] = f"too slow for {config.name} mode"
        else:
            kept.append(m)
    if config.quick_models:
        order = sorted(range(len(kept)), key=lambda i: (kept[i].num_params or 10**12, i))
        chosen = {kept[i].name for i in order[: config.quick_models]}
        left |= {m.name: "quick mode keeps the smallest" for m in kept if m.name not in chosen}
        kept = [m for m in kept if m.name in chosen]
    return kept, left


def data_for(name: str, config: Config) -> tuple[DatasetRecord, ...]:
    """A dataset's train, test and search parts (`Config.sizes`)."""
    return split(name, shift_home() / "bench-data", config.sizes[name], SEED, config.max_chars)


FULL_RUN = "every strategy and the enumeration"
"""What a run without `--strategies` ran, as a dataset's runs list it."""
ENUMERATION_RUN = "the enumeration"
"""What an `--enumeration-only` run ran."""


def run_dataset(
    name: str, args: argparse.Namespace, config: Config, commit: str | None
) -> dict[str, Any]:
    """Enumeration, strategies and tables for one dataset (a `--strategies` run joins the
    recording of the same data, protocol and models: see `_earlier`); `commit` is the code that
    runs it (`source_revision`, read when the process started)."""
    started = time.perf_counter()
    modality = MODALITY[name]
    n_train, n_test, n_search = config.sizes[name]
    train, test, search = data_for(name, config)
    models, left_out = pool_for(modality, config)
    if not models:
        log(f"{name}: skipped, no {modality} models (build the zoo, set SHIFT_ZOO: {zoo_file()})")
        return {"skipped": f"no {modality} models in {zoo_file()}"}
    log(
        f"{name}: train {n_train:,} / test {n_test:,} / search {n_search:,},"
        f" {len(models)} {modality} models"
    )
    protocol = config.protocols[modality]
    data = (train, test, search)
    only = [s.strip() for s in args.strategies.split(",") if s.strip()] or config.strategies
    outcomes: list[Outcome] = []
    if args.enumeration_only:
        earlier = _searched(name, args, models, data, config)
        enumeration = _enumerate(models, train, test, protocol, args.device, args.remeasure)
        ran = [ENUMERATION_RUN]
    else:
        earlier = {} if args.remeasure else _earlier(name, args, models, data, protocol)
        if earlier:
            when = earlier.get("measured_at", "earlier")
            log(f"{name}: joins the recording of {when}: its enumeration and other strategies")
            enumeration = _recorded_enumeration(earlier)
        else:
            enumeration = _enumerate(models, train, test, protocol, args.device, args.remeasure)
        with tempfile.TemporaryDirectory() as tmp:
            setting = Setting(
                models, train, search, modality, args.device, Path(tmp), config.keep,
                config.finetune[modality], config.auto,
            )  # fmt: skip
            outcomes = run_strategies(setting, log, only)
        ran = list(only) if args.strategies.strip() else [FULL_RUN]
    scored = _with_earlier([score(o, enumeration) for o in outcomes], earlier, enumeration)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    run = {
        "at": now,
        "strategies": ran,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "commit": commit,
    }
    measured = {
        "train": n_train,
        "test": n_test,
        "search": n_search,
        "seed": SEED,
        "data_files": [train.uri, test.uri],
        "search_file": search.uri,
        "max_chars": config.max_chars if name == "fine_food" else None,
        "modality": modality,
        "pool_size": len(models),
        "models_finetuned": len(enumeration),
        "left_out": left_out,
        "models": {m.name: _version(m) for m in models},
        "finetune_params": protocol.describe(),
        "strategy_params": {"keep": config.keep, "finetune": dict(config.finetune[modality])},
        "enumeration": {n: asdict(f) for n, f in enumeration.items()},
        # when its enumeration was measured
        "measured_at": now if args.enumeration_only else earlier.get("measured_at", now),
        "runs": [*_runs_of(earlier), run],
    }
    return measured | derived(measured, scored, enumeration)


def _earlier(
    name: str,
    args: argparse.Namespace,
    models: Sequence[ModelRecord],
    data: tuple[DatasetRecord, DatasetRecord, DatasetRecord],
    protocol: Protocol,
) -> dict[str, Any]:
    """What the results file recorded for this dataset when a `--strategies` run joins it: the
    same train and test data, protocol and models (name, revision, recipe, source) with their
    enumeration, and its strategies only when they searched the same search split; else
    nothing, and the run replaces the recording as a full run does."""
    if not args.strategies.strip():
        return {}
    train, test, search = data
    earlier = _recorded_dataset(name, args)
    same = (
        earlier.get("data_files") == [train.uri, test.uri]
        and earlier.get("finetune_params") == protocol.describe()
        and earlier.get("models") == {m.name: _version(m) for m in models}
        and set(earlier.get("enumeration", {})) == {m.name for m in models}
        and "strategies" in earlier
    )
    if not same:
        return {}
    if earlier.get("search_file") != search.uri:
        log(f"{name}: the recording's strategies searched other data: only this run's are kept")
        return {k: v for k, v in earlier.items() if k != "strategies"}
    return earlier


def _searched(
    name: str,
    args: argparse.Namespace,
    models: Sequence[ModelRecord],
    data: tuple[DatasetRecord, DatasetRecord, DatasetRecord],
    config: Config,
) -> dict[str, Any]:
    """The recording whose strategies an `--enumeration-only` run re-prices: the same data,
    search split, models and strategy parameters (their searches do not depend on the
    enumeration's protocol); an error when there is none, since the run searches nothing."""
    recorded = _recorded_dataset(name, args)
    train, test, search = data
    modality = MODALITY[name]
    wanted = {
        "data_files": [train.uri, test.uri],
        "search_file": search.uri,
        "models": {m.name: _version(m) for m in models},
        "strategy_params": {"keep": config.keep, "finetune": dict(config.finetune[modality])},
    }
    differs = [k for k, v in wanted.items() if recorded.get(k) != v]
    if "strategies" not in recorded or differs:
        why = ", ".join(differs) if recorded.get("strategies") else "no recorded strategies"
        raise SystemExit(
            f"--enumeration-only: {_results_path(args).name} holds no strategies of {name} to"
            f" re-price ({why} differ from this run's); run the dataset in full instead"
        )
    return recorded


def _recorded_dataset(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """What the results file holds for one dataset (nothing without a file)."""
    path = _results_path(args)
    return json.loads(path.read_text())["datasets"].get(name, {}) if path.exists() else {}


def _runs_of(earlier: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The runs a joined recording lists; one recorded before runs were listed was a full run
    of unrecorded length."""
    if not earlier or "runs" in earlier:
        return list(earlier.get("runs", ()))
    at = earlier.get("measured_at", "earlier")
    return [{"at": at, "strategies": [FULL_RUN], "wall_seconds": None}]


def _recorded_enumeration(earlier: Mapping[str, Any]) -> dict[str, Finetuned]:
    """The enumeration a joined recording holds (the ledger is one machine's cache; the results
    file travels with the code), so a `--strategies` run fine-tunes nothing."""
    return {n: _finetuned_from(f) for n, f in earlier["enumeration"].items()}


def _with_earlier(
    scored: list[Scored], earlier: Mapping[str, Any], enumeration: Mapping[str, Finetuned]
) -> list[Scored]:
    """The strategies of this run and, for the ones it did not run, the joined recording's,
    each priced against `enumeration`."""
    ran = {s.outcome.strategy for s in scored}
    kept = [score(_outcome(s), enumeration) for s in earlier.get("strategies", ())]
    kept = [s for s in kept if s.outcome.strategy not in ran]
    order = {n: i for i, n in enumerate(STRATEGIES)}
    return sorted([*kept, *scored], key=lambda s: order.get(s.outcome.strategy, len(order)))


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
        "convergence": convergence(
            measured["enumeration"], int(measured["finetune_params"]["max_epochs"])
        ),
        "goals": goals(strategies, measured["enumeration"]),
    }


def plot_all(result: Mapping[str, Any], tag: str) -> str | None:
    """The regret-against-search-cost figure of every measured dataset; its path."""
    panels: list[Panel] = []
    for name, measured in result["datasets"].items():
        if "strategies" not in measured:
            continue
        scored, enumeration = priced(measured)
        title = (
            f"{name}: {measured['train']:,} train / {measured['test']:,} test,"
            f" {measured['pool_size']} models"
        )
        panels.append((title, scored, enumeration))
    if not panels:
        return None
    path = RESULTS / f"search_vs_enumeration-{tag}-regret.png"
    plot(path, panels)
    return str(path.relative_to(RESULTS.parent.parent))


def priced(measured: Mapping[str, Any]) -> tuple[list[Scored], dict[str, Finetuned]]:
    """The recorded strategies priced against the recorded enumeration."""
    enumeration = {n: _finetuned_from(f) for n, f in measured["enumeration"].items()}
    return [score(_outcome(s), enumeration) for s in measured["strategies"]], enumeration


_PRICED = {"returned", "accuracy", "regret_points", "total_seconds", "speedup"}
_PRICED |= {"search_in_finetunes", "ci_half"}


def _finetuned_from(recorded: Mapping[str, Any]) -> Finetuned:
    fields = dict(recorded)
    for name in ("accuracies", "best_epochs", "epochs_run"):
        fields[name] = tuple(fields.get(name, ()))
    return Finetuned(**fields)


def _outcome(recorded: Mapping[str, Any]) -> Outcome:
    """A strategy's recorded search, without what pricing it against the enumeration added
    (records of wave 1 say `ao` where later ones say how the plan ran)."""
    fixed = {"strategy", "plan", "ao", "candidates", "search_seconds"}
    detail = {k: v for k, v in recorded.items() if k not in fixed | _PRICED}
    ao: dict[Any, str] = {True: "AO", False: "all the data"}
    plan = recorded.get("plan") or ao.get(recorded.get("ao"), "metadata")
    return Outcome(
        recorded["strategy"],
        str(plan),
        tuple(recorded["candidates"]),
        float(recorded["search_seconds"]),
        detail,
    )


def rederive(args: argparse.Namespace) -> dict[str, Any]:
    """Recompute the derived figures of the recorded results, measuring nothing (after a
    fine-tune was re-measured, say)."""
    out, result = _recorded(args)
    return _rewrite(out, result, _tag(args))


def remeasure_models(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """Fine-tune the named models again (for times another load disturbed), record their new
    seconds for the datasets asked for, and re-price everything."""
    out, result = _recorded(args)
    config = config_for(args.quick, args.device)
    for dataset in [n.strip() for n in args.datasets.split(",") if n.strip()]:
        measured = result["datasets"].get(dataset, {})
        if "enumeration" not in measured:
            raise SystemExit(f"{dataset} has no recorded enumeration in {out.name}")
        unknown = sorted(set(names) - set(measured["enumeration"]))
        if unknown:
            raise SystemExit(f"{dataset} has no fine-tune of {', '.join(unknown)} to remeasure")
        train, test, _ = data_for(dataset, config)
        models = [m for m in pool_for(MODALITY[dataset], config)[0] if m.name in names]
        protocol = config.protocols[MODALITY[dataset]]
        for name, again in _enumerate(models, train, test, protocol, args.device, True).items():
            log(
                f"{dataset}: {name} {measured['enumeration'][name]['seconds']:.1f}s → "
                f"{again.seconds:.1f}s (accuracy {again.accuracy:.4f})"
            )
            measured["enumeration"][name] = asdict(again)
    return _rewrite(out, result, _tag(args))


def _results_path(args: argparse.Namespace) -> Path:
    return RESULTS / f"search_vs_enumeration-{_tag(args)}.json"


def _recorded(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    out = _results_path(args)
    return out, json.loads(out.read_text())


def _in_nominal_order(datasets: dict[str, Any]) -> dict[str, Any]:
    """The datasets in `NOMINAL`'s order (any other after them), so the report's order does not
    depend on which datasets the last run measured."""
    names = [*(n for n in NOMINAL if n in datasets), *(n for n in datasets if n not in NOMINAL)]
    return {n: datasets[n] for n in names}


def _rewrite(out: Path, result: dict[str, Any], tag: str) -> dict[str, Any]:
    """Re-price every measured dataset of `result`, redraw the plot, write it to `out`."""
    result["datasets"] = _in_nominal_order(result["datasets"])
    for name, measured in result["datasets"].items():
        if "strategies" in measured:
            scored, enumeration = priced(measured)
            result["datasets"][name] = measured | derived(measured, scored, enumeration)
    result["plot"] = plot_all(result, tag)
    result["goal_line"] = goal_line(result)
    out.write_text(json.dumps(result, indent=2))
    log(f"rederived {out.name}")
    return result


def _enumerate(
    models: list[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    protocol: Protocol,
    device: str,
    remeasure: bool,
) -> dict[str, Finetuned]:
    """Every model under the protocol (ledger: free when measured before)."""
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
        tuple(r.best_epoch for r in truth.runs),
        tuple(r.epochs_run for r in truth.runs),
    )


def _strategy(s: Scored) -> dict[str, Any]:
    o = s.outcome
    return {
        "strategy": o.strategy,
        "plan": o.plan,
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


def goal_line(result: Mapping[str, Any]) -> dict[str, Any]:
    """Per dataset: whether the hybrid or AUTO came within 1 point at under one fine-tune."""
    return {
        name: d["goals"].get("goal_met", False)
        for name, d in result["datasets"].items()
        if "goals" in d
    }


def estimate(args: argparse.Namespace) -> dict[str, Any]:
    """The full run's time from a sample (`estimate`); writes
    bench/results/search_vs_enumeration-estimate-<device>.json."""
    import torch

    torch.set_num_threads(2)
    config = config_for(False, args.device)
    out: dict[str, Any] = {}
    for name in [n.strip() for n in args.datasets.split(",") if n.strip()]:
        modality = MODALITY[name]
        train, test, _ = data_for(name, config)
        models, _ = pool_for(modality, config)
        out[name] = estimating.estimate_dataset(
            name, models, train, test, config, modality, args.device, log
        )
    result = estimating.summary(out, config)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"search_vs_enumeration-estimate-{args.device}.json").write_text(
        json.dumps(result, indent=2)
    )
    print("RESULT " + json.dumps(result), flush=True)
    return result


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
    commit = source_revision()  # the code this process loaded, before anything can move HEAD
    config = config_for(args.quick, args.device)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = sorted(set(names) - set(NOMINAL))
    if unknown:
        raise SystemExit(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(NOMINAL)}")
    datasets: dict[str, Any] = {}
    result: dict[str, Any] = {}
    for name in names:
        datasets[name] = run_dataset(name, args, config, commit)
        seconds = time.perf_counter() - started
        result = _write(args, _result(args, config, datasets, seconds, len(datasets) == len(names)))
    print("RESULT " + json.dumps(result), flush=True)
    return result


def _result(
    args: argparse.Namespace,
    config: Config,
    datasets: dict[str, Any],
    seconds: float,
    complete: bool,
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
        "config": config.describe(),
        "strategies": list(STRATEGIES),
        "protocol": {
            "note": "each strategy's SHiFT-QL on a fresh store, CHUNK/BUDGET left to AO; "
            "a fine-tune costs the enumeration's measured grid for that model"
        },
        "complete": complete,
        "wall_seconds": seconds,
        "datasets": datasets,
    }


def _write(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    """Rewritten after every dataset, so a long run leaves what it measured so far. Datasets this
    run did not measure are kept from the file (each says when it was measured)."""
    RESULTS.mkdir(exist_ok=True)
    out = _results_path(args)
    earlier = json.loads(out.read_text()).get("datasets", {}) if out.exists() else {}
    kept = {n: d for n, d in earlier.items() if n not in result["datasets"]}
    datasets = _in_nominal_order({**kept, **result["datasets"]})
    merged = {**result, "datasets": datasets, "kept_from_earlier": list(kept)}
    merged["plot"] = plot_all(merged, _tag(args))
    merged["goal_line"] = goal_line(merged)
    out.write_text(json.dumps(merged, indent=2))
    return merged


if __name__ == "__main__":
    main()
