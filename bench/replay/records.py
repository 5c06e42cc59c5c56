"""The authors' fine-tuning runs (shared/data/ftrecords.csv) as benchmark datasets.

A *setting* is one fine-tuning protocol on one task: (task, training slice, epochs, learning
rate, evaluation split), where the task is the dataset plus the label it predicts (clevr counts
and clevr distances are two tasks). Each setting with enough models is one replay dataset; a
model's accuracy there is the mean of its runs (most have one run; repeated runs give the
seed-noise estimate). The CSV is read by the planner's reader
(`shift_search.planner.benchmark_csv`, what `shift register benchmark-results` loads), which
also gives each dataset its category (VTAB's groups, the kind of each text task).
"""

from __future__ import annotations

import csv
import os
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shift_search.planner.benchmark_csv import read_benchmark_csv


def shared_data() -> Path:
    """shared/data beside the repository (or above it): $SHIFT_SHARED_DATA wins."""
    configured = os.environ.get("SHIFT_SHARED_DATA")
    if configured:
        return Path(configured)
    root = Path(__file__).resolve().parents[2]
    for folder in (root, *root.parents):
        candidate = folder / "shared" / "data"
        if (candidate / "ftrecords.csv").is_file():
            return candidate
    return root.parent / "shared" / "data"


MIN_MODELS = 20
COLLAPSE_POINTS = 0.5  # a run within this many points of the majority-class accuracy collapsed


@dataclass(frozen=True)
class Run:
    model: str
    task: str  # dataset[label]
    dataset: str  # the train_dataset_name
    modality: str  # text | vision
    category: str  # modality/group, the planner's metadata similarity (image/natural)
    train_slice: str
    epochs: int
    lr: float
    split: str
    test_accuracy: float
    seconds: float


@dataclass
class Setting:
    """One replay dataset: a protocol on a task, and each model's accuracy under it."""

    name: str
    task: str
    dataset: str
    modality: str
    train_slice: str
    epochs: int
    lr: float
    split: str
    accuracy: dict[str, float] = field(default_factory=dict)  # mean over a model's runs
    runs: dict[str, list[float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    category: str = ""  # modality/group (image/natural): the planner's metadata similarity

    def modal_accuracy(self) -> float | None:
        """The most frequent accuracy (4 digits) when at least 3 runs and 5% of them share it
        exactly, else None. Learned accuracies are rarely repeated to 4 digits, so this is the
        plateau many runs sit on: the majority-class accuracy where runs collapse (SST-2 0.5092,
        CoLA 0.6913, AG News 0.25), or a common ceiling (amazon_polarity's 0.9532)."""
        values = [round(a, 4) for runs in self.runs.values() for a in runs]
        mode = statistics.mode(values)
        count = values.count(mode)
        return mode if count >= max(3, 0.05 * len(values)) else None

    def floor(self) -> float:
        """The modal accuracy where there is one, else the worst mean accuracy."""
        majority = self.modal_accuracy()
        return majority if majority is not None else min(self.accuracy.values())

    def collapsed_share(self) -> float:
        """Share of models whose mean accuracy is within COLLAPSE_POINTS of the modal one."""
        majority = self.modal_accuracy()
        if majority is None:
            return 0.0
        close = [abs(a - majority) * 100 <= COLLAPSE_POINTS for a in self.accuracy.values()]
        return sum(close) / len(close)

    def best(self) -> float:
        return max(self.accuracy.values())


def read_runs(path: Path) -> list[Run]:
    """Every run of the CSV, read as `shift register benchmark-results` reads it (settings
    whose runs all scored 0, as clevr's unreadable `test` split, are dropped by `settings`)."""
    runs = []
    for result in read_benchmark_csv(path):
        modality = "text" if result.modality == "text" else "vision"
        runs.append(
            Run(
                model=result.model,
                task=f"{result.dataset}[{result.label}]",
                dataset=result.dataset,
                modality=modality,
                category=result.category or f"{result.modality or modality}/other",
                train_slice=result.train_slice,
                epochs=result.epochs or 0,
                lr=result.learning_rate or 0.0,
                split=result.test_split,
                test_accuracy=result.test_accuracy,
                seconds=result.seconds or 0.0,
            )
        )
    return runs


def settings(runs: Iterable[Run], min_models: int = MIN_MODELS) -> list[Setting]:
    """Group runs into settings; keep those with at least `min_models` models and some spread
    (a setting where every run scored 0, as clevr's unreadable test split, is dropped)."""
    groups: dict[tuple[str, str, int, float, str], list[Run]] = defaultdict(list)
    for run in runs:
        groups[(run.task, run.train_slice, run.epochs, run.lr, run.split)].append(run)
    out = []
    for (task, train_slice, epochs, lr, split), members in sorted(groups.items()):
        first = members[0]
        setting = Setting(
            f"{task} {train_slice} {epochs}ep lr{lr:g} {split}",
            task, first.dataset, first.modality, train_slice, epochs, lr, split,
            category=first.category,
        )  # fmt: skip
        for run in members:
            setting.runs.setdefault(run.model, []).append(run.test_accuracy)
            setting.seconds[run.model] = run.seconds
        setting.accuracy = {m: statistics.fmean(v) for m, v in setting.runs.items()}
        if len(setting.accuracy) >= min_models and setting.best() > 0:
            out.append(setting)
    return out


def seed_noise(all_settings: Iterable[Setting]) -> dict[str, float]:
    """How far two runs of one model under one protocol differ (points): their mean and median
    absolute difference, over every model with repeated runs."""
    gaps = [
        100 * abs(runs[0] - runs[1])
        for s in all_settings
        for runs in s.runs.values()
        if len(runs) >= 2
    ]
    if not gaps:
        return {"pairs": 0}
    return {
        "pairs": len(gaps),
        "mean_points": round(statistics.fmean(gaps), 2),
        "median_points": round(statistics.median(gaps), 2),
    }


def paper_inference_ms(path: Path) -> dict[str, float]:
    """Inference cost per model from the paper's NLP pool (a size proxy for 65 text models);
    empty when the file is absent."""
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        return {row["model"]: float(row["inference_ms"]) for row in csv.DictReader(handle)}


SIZE_TOKENS = {"tiny": 1, "small": 2, "mini": 2, "base": 3, "medium": 3, "large": 4}
SIZE_TOKENS |= {"xlarge": 5, "huge": 5, "giant": 6}


def size_from_name(model: str) -> float | None:
    """A size rank read from a model id (tiny < small < base < large < huge; mit-bN as N), or
    None when the name says nothing."""
    words = model.lower().replace("/", "-").replace("_", "-").split("-")
    ranks = [SIZE_TOKENS[w] for w in words if w in SIZE_TOKENS]
    mit = [int(w[1:]) for w in words if len(w) == 2 and w[0] == "b" and w[1].isdigit()]
    if "mit" in words and mit:
        return 1 + mit[0] / 2
    return float(max(ranks)) if ranks else None


def model_sizes(models: Iterable[str], inference_ms: Mapping[str, float]) -> dict[str, float]:
    """Size proxy per model: the paper's inference cost where listed, else the name's rank."""
    out = {}
    for model in models:
        if model in inference_ms:
            out[model] = 100 + inference_ms[model]  # above any name rank: a measured size
        else:
            rank = size_from_name(model)
            if rank is not None:
                out[model] = rank
    return out
