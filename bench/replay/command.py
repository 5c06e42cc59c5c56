"""Replay, at the paper's scale, every selection strategy that needs no forward pass on the
authors' 9,629 fine-tuning runs (shared/data/ftrecords.csv), and report regret distributions.

Run `python -m bench.replay [--quick] [--records CSV]`. For each replay dataset (a fine-tuning
protocol on one task with at least 20 models, see `records`), every strategy picks models using
nothing of that dataset's results (leave-one-dataset-out: results on any protocol of the same
dataset are hidden too), the picks are "fine-tuned" by looking up their recorded accuracy, and
regret is the pool's best mean accuracy minus the best pick's, in points. Strategies and their
cost in fine-tunes:
- random-1 / random-N: the exact expected regret of N uniform picks;
- size: the largest model by the paper's measured inference cost (65 text models) or by the size
  word in its name (tiny < small < base < large); regret averaged over models tied on size;
- benchmark-mean-1/3: the models with the best mean percentile rank over all other datasets;
- meta-metadata-1/3: the planner's meta-learned shortlist (`ORDER BY MetaLearned`, similarity
  from a category column: VTAB's natural / specialized / structured; sentiment, topic, tweets,
  acceptability): the best mean percentile rank over the k = 3 most similar other datasets,
  ties included (so every other dataset of the same category), the top 1 or 3 fine-tuned; the
  planner's proxy stage that follows needs forward passes and is not replayed;
- meta-probe-P+N: P random probe models are fine-tuned on the target; the K benchmark datasets
  whose accuracies correlate best with the probes' (Spearman) give the meta ranking; the best of
  the probes and the top N is returned (cost P + N; averaged over seeds);
- SH over recorded epochs where both 1- and 25-epoch runs exist (same task, slice, lr).
Datasets whose best model is within 2 points of the modal accuracy (the accuracy many runs
share exactly: majority-class where runs collapse, as most text runs of 25 epochs on 800
samples do) are *degenerate*: selection cannot matter there, so their regrets are reported
apart and never mixed into the summaries.
Writes bench/results/replay.json and replay-regret.png; the last line is `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.replay import strategies as st
from bench.replay.records import (
    COLLAPSE_POINTS,
    Run,
    Setting,
    model_sizes,
    paper_inference_ms,
    read_runs,
    seed_noise,
    settings,
    shared_data,
)
from shift_search.planner import meta_learned as ml

RESULTS = Path(__file__).resolve().parents[1] / "results"
DEGENERATE_POINTS = 2.0
PROBES, PROBE_NEIGHBOURS, PROBE_SEEDS = 5, 3, 20
COSTS = {
    "random-1": 1,
    "random-3": 3,
    "random-8": 8,
    "size": 1,
    "benchmark-mean-1": 1,
    "benchmark-mean-3": 3,
    "meta-metadata-1": 1,
    "meta-metadata-3": 3,
    f"meta-probe-{PROBES}+3": PROBES + 3,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 datasets, 3 probe seeds")
    parser.add_argument("--records", type=Path, help="ftrecords.csv (default: shared/data)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    return parser.parse_args(argv)


def is_degenerate(setting: Setting) -> bool:
    """No model beats the modal accuracy (see `Setting.modal_accuracy`) by DEGENERATE_POINTS."""
    majority = setting.modal_accuracy()
    return majority is not None and 100 * (setting.best() - majority) < DEGENERATE_POINTS


def replay_dataset(
    target: Setting,
    others: Sequence[Setting],
    sizes: Mapping[str, float],
    probe_seeds: int,
) -> dict[str, Any]:
    """Every strategy's regret on `target`, using only `others` (other datasets) as benchmark."""
    accuracy = target.accuracy
    pool = sorted(accuracy)
    benchmark = {s.name: s.accuracy for s in others}
    categories = {s.name: s.category for s in others} | {target.name: target.category}
    regrets: dict[str, float] = {
        "random-1": st.expected_random_regret(accuracy, 1),
        "random-3": st.expected_random_regret(accuracy, 3),
        "random-8": st.expected_random_regret(accuracy, PROBES + 3),
    }
    detail: dict[str, Any] = {}
    by_size = st.task_agnostic_ranking(pool, sizes)
    if by_size:
        regrets["size"] = st.expected_regret_of_ties(accuracy, by_size, sizes)
    detail["size_coverage"] = round(len(by_size) / len(pool), 3)
    prior = ml.benchmark_mean_prior(benchmark)
    ranked = st.task_agnostic_ranking(pool, prior)
    if ranked:
        regrets["benchmark-mean-1"] = st.regret_points(accuracy, ranked[:1])
        regrets["benchmark-mean-3"] = st.regret_points(accuracy, ranked[:3])
    similarity = ml.metadata_similarity(categories)
    found = ml.shortlist(benchmark, similarity, target.name, pool, k=ml.DEFAULT_K)
    if found.neighbours:  # exactly what the planner shortlists for ORDER BY MetaLearned(top=N)
        regrets["meta-metadata-1"] = st.regret_points(accuracy, found.models(1))
        regrets["meta-metadata-3"] = st.regret_points(accuracy, found.models(3))
        detail["metadata_neighbours"] = len(found.neighbours)
    probe_regrets, neighbours = [], []
    for seed in range(probe_seeds):
        probes = st.random_probes(pool, PROBES, seed)
        probe_accuracy = {m: accuracy[m] for m in probes}
        by_probe = ml.probe_similarity(benchmark, probe_accuracy)
        near = ml.most_similar_datasets(target.name, list(benchmark), by_probe, PROBE_NEIGHBOURS)
        meta = ml.meta_learned_ranking(benchmark, near, pool)
        probe_regrets.append(st.regret_points(accuracy, [*probes, *meta[:3]]))
        neighbours.append(near)
    if probe_regrets:
        regrets[f"meta-probe-{PROBES}+3"] = statistics.fmean(probe_regrets)
        detail["probe_neighbours_seed0"] = neighbours[0]
    majority = target.modal_accuracy()
    span = 100 * (target.best() - target.floor())
    return {
        "modality": target.modality,
        "category": target.category,
        "models": len(pool),
        "best": round(target.best(), 4),
        "best_model": max(pool, key=lambda m: accuracy[m]),
        "modal_accuracy": None if majority is None else round(majority, 4),
        "floor": round(target.floor(), 4),
        "collapsed_share": round(target.collapsed_share(), 3),
        "degenerate": is_degenerate(target),
        "regret_points": {k: round(v, 2) for k, v in regrets.items()},
        "normalised_regret": {
            k: round(v / span, 3) for k, v in regrets.items() if span >= DEGENERATE_POINTS
        },
        **detail,
    }


LADDER = ((":800", 1), (":80%", 25))
"""The only multi-fidelity pairs in the records: 1 epoch on 800 samples, then 25 epochs on 80%
of the training set (same task, learning rate and evaluation split), for 8-18 text models per
task. No (model, task) has two epoch budgets on the same data."""


def successive_halving(runs: Sequence[Run], eta: int = 4) -> dict[str, Any]:
    """SH up the recorded ladder: every model gets the first rung, the best 1/eta the second.
    Regret against the best second-rung accuracy; cost in the records' GPU seconds (a rung-0
    run is paid for every model, a rung-1 run only for survivors) against running rung 1 for
    all."""
    low = {
        (s.task, s.lr, s.split): s
        for s in settings(runs, 8)
        if (s.train_slice, s.epochs) == LADDER[0]
    }
    out = {}
    for s in settings(runs, 8):
        if (s.train_slice, s.epochs) != LADDER[1] or (s.task, s.lr, s.split) not in low:
            continue
        first = low[(s.task, s.lr, s.split)]
        shared = sorted(set(first.accuracy) & set(s.accuracy))
        if len(shared) < 8:
            continue
        rung0 = {m: first.accuracy[m] for m in shared}
        rung1 = {m: s.accuracy[m] for m in shared}
        chosen, _ = st.successive_halving_over_epochs([rung0, rung1], [1, 25], eta=eta)
        survivors = max(1, -(-len(shared) // eta))
        kept = sorted(shared, key=lambda m: (-rung0[m], m))[:survivors]
        cost = sum(first.seconds[m] for m in shared) + sum(s.seconds[m] for m in kept)
        everything = sum(s.seconds[m] for m in shared)
        out[f"{s.task} lr{s.lr:g} {s.split}"] = {
            "models": len(shared),
            "survivors": survivors,
            "returned": chosen,
            "regret_points": round(st.regret_points(rung1, [chosen]), 2),
            "random_expected_regret_points": round(st.expected_random_regret(rung1, 1), 2),
            "best_final": round(max(rung1.values()), 4),
            "best_final_model": max(shared, key=lambda m: rung1[m]),
            "rank_correlation_rungs": round(
                ml.spearman([rung0[m] for m in shared], [rung1[m] for m in shared]), 3
            ),
            "gpu_seconds": round(cost),
            "enumeration_gpu_seconds": round(everything),
            "speedup": round(everything / cost, 2),
            "degenerate_final": is_degenerate(s),
        }
    return out


def summaries(datasets: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Per modality (and all), per strategy: the regret distribution over non-degenerate
    datasets, and the count of degenerate ones left out."""
    out: dict[str, Any] = {}
    for modality in ("vision", "text", "all"):
        chosen = [
            d for d in datasets.values()
            if not d["degenerate"] and modality in ("all", d["modality"])
        ]  # fmt: skip
        left_out = sum(
            d["degenerate"] and modality in ("all", d["modality"]) for d in datasets.values()
        )
        per: dict[str, Any] = {}
        for name in COSTS:
            values = [d["regret_points"][name] for d in chosen if name in d["regret_points"]]
            if values:
                per[name] = {"cost_finetunes": COSTS[name], **st.distribution(values)}
        out[modality] = {"strategies": per, "degenerate_left_out": left_out}
    return out


def summary_table(summary: Mapping[str, Any]) -> dict[str, Any]:
    columns = ["modality", "strategy", "fine-tunes", "datasets", "mean", "median", "p75", "p90"]
    columns += ["max", "share ≤ 1 pt"]
    rows = []
    for modality in ("vision", "text"):
        for name, d in summary[modality]["strategies"].items():
            rows.append(
                [modality, name, d["cost_finetunes"], d["datasets"], d["mean"], d["median"],
                 d["p75"], d["p90"], d["max"], d["share_le_1_point"]]
            )  # fmt: skip
    return {"columns": columns, "rows": rows}


def plot(path: Path, datasets: Mapping[str, Mapping[str, Any]]) -> None:
    """Regret distributions per strategy (box plots), vision and text side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, modality in zip(axes, ("vision", "text"), strict=True):
        chosen = [d for d in datasets.values() if d["modality"] == modality and not d["degenerate"]]
        names = [n for n in COSTS if any(n in d["regret_points"] for d in chosen)]
        data = [[d["regret_points"][n] for d in chosen if n in d["regret_points"]] for n in names]
        if data:
            ax.boxplot(data, showmeans=True)
            ax.set_xticks(range(1, len(names) + 1), [f"{n}\n({COSTS[n]} FT)" for n in names])
        ax.tick_params(axis="x", labelsize=6, rotation=60)
        ax.set_yscale("symlog", linthresh=1.0)
        ax.axhline(1.0, color="tab:red", lw=0.8, ls="--")
        ax.set_title(f"{modality}: {len(chosen)} non-degenerate datasets", fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_ylabel("regret, accuracy points (symlog; red: 1 point)")
    fig.suptitle("Replay on the authors' fine-tuning runs (leave-one-dataset-out)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    data = shared_data()
    records = args.records or data / "ftrecords.csv"
    if not records.is_file():
        raise SystemExit(f"no fine-tuning records at {records} (pass --records)")
    runs = read_runs(records)
    every = settings(runs)
    sizes = model_sizes(
        {r.model for r in runs}, paper_inference_ms(records.parent / "paper_nlp_pool_65.csv")
    )
    usable = [s for s in every if not is_degenerate(s)]
    targets = every[:: max(1, len(every) // 8)][:8] if args.quick else every
    seeds = 3 if args.quick else PROBE_SEEDS
    datasets = {}
    for target in targets:
        others = [
            s for s in usable if s.dataset != target.dataset and s.modality == target.modality
        ]
        datasets[target.name] = replay_dataset(target, others, sizes, seeds)
        r = datasets[target.name]
        flag = " (degenerate)" if r["degenerate"] else ""
        print(f"[replay] {target.name}{flag}: {json.dumps(r['regret_points'])}", flush=True)
    summary = summaries(datasets)
    result = {
        "benchmark": "replay",
        "mode": "quick" if args.quick else "full",
        "records": str(records),
        "runs": len(runs),
        "models": {
            "text": len({r.model for r in runs if r.modality == "text"}),
            "vision": len({r.model for r in runs if r.modality == "vision"}),
        },
        "datasets_replayed": len(datasets),
        "degenerate": sum(d["degenerate"] for d in datasets.values()),
        "protocol": {
            "min_models": 20,
            "degenerate_if_best_minus_majority_below_points": DEGENERATE_POINTS,
            "collapsed_if_within_points_of_majority": COLLAPSE_POINTS,
            "leave_out": "every protocol of the target's dataset (train_dataset_name)",
            "benchmark": "other non-degenerate datasets of the same modality",
            "probes": PROBES,
            "probe_neighbours": PROBE_NEIGHBOURS,
            "probe_seeds": seeds,
            "similarity": "meta-metadata: the planner's MetaLearned shortlist, similarity from a"
            " category column (VTAB groups, text kinds), k=3 neighbours with ties;"
            " meta-probe: Spearman correlation of accuracies over probe models fine-tuned on"
            " the target",
            "strategy_code": "shift_search.planner.meta_learned (shortlist, metadata_similarity,"
            " probe_similarity, meta_learned_ranking, benchmark_mean_prior)",
        },
        "seed_noise": seed_noise(every),
        "summary": summary,
        "table": summary_table(summary),
        "successive_halving": successive_halving(runs),
        "datasets": datasets,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "device": "cpu",
    }
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "replay.json").write_text(json.dumps(result, indent=1))
        plot(args.out / "replay-regret.png", datasets)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    result = run(parse_args(argv))
    compact = {k: v for k, v in result.items() if k not in ("datasets", "table")}
    print("RESULT " + json.dumps(compact))
    return result


if __name__ == "__main__":
    main()
