"""The enumeration's fine-tuning protocol: what a model's fine-tuned accuracy *is*, measured so
that a difference between two models means something.

Per model: hold out a stratified validation split of the training data (fixed, seed 0); for
every learning rate of a small grid, fine-tune (seed 0) with early stopping on validation
accuracy, keeping the best epoch; take the learning rate with the best validation accuracy; run
the other seeds at that rate. The ground truth is the mean test accuracy over the seeds with a
95% Student-t interval. What it costs a user to fine-tune a model is the grid (choosing the rate
is part of fine-tuning); the extra seeds are measurement only, recorded apart.

Fine-tunes run in this process through the executor's `finetune` (no service: the proto of a
fine-tune result has no validation accuracy), timed by wall clock, and are kept in a ledger
under $SHIFT_HOME/bench-svse/ so reruns are free.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shift_search.cache.records import DatasetRecord, ModelRecord

Log = Callable[[str], None]
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


@dataclass(frozen=True)
class Protocol:
    """How every model of a pool is fine-tuned for the ground truth."""

    lr_grid: tuple[float, ...]
    max_epochs: int
    patience: int
    seeds: tuple[int, ...]
    validation_fraction: float = 0.2
    batch_size: int = 32
    optimizer: str = "adamw"
    batchnorm_momentum: float | None = None
    """BatchNorm's running-statistics momentum while fine-tuning; None for pools without
    BatchNorm (transformers normalise by layer), where `finetune`'s default applies unrecorded."""

    def describe(self) -> dict[str, Any]:
        described = {**asdict(self), "lr_grid": list(self.lr_grid), "seeds": list(self.seeds)}
        if self.batchnorm_momentum is None:
            del described["batchnorm_momentum"]
        return described

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:12]

    def runs_per_model(self) -> int:
        return len(self.lr_grid) + len(self.seeds) - 1


@dataclass(frozen=True)
class Run:
    """One fine-tune of the protocol."""

    lr: float
    seed: int
    validation_accuracy: float
    test_accuracy: float
    best_epoch: int
    epochs_run: int
    seconds: float  # wall clock, loading the model included (what a fine-tune costs)
    train_seconds: float = 0.0  # `finetune` alone: training and its evaluation passes


@dataclass(frozen=True)
class GroundTruth:
    """A model's fine-tuned accuracy under the protocol."""

    model: str
    mean: float
    ci_half: float  # half-width of the 95% interval of the mean over seeds
    accuracies: tuple[float, ...]  # test accuracy per seed at the chosen rate
    lr: float
    selection_seconds: float  # the grid: what fine-tuning this model costs a user
    measurement_seconds: float  # the extra seeds
    runs: tuple[Run, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "runs": [asdict(r) for r in self.runs]}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> GroundTruth:
        fields = {k: v for k, v in data.items() if k != "runs"}
        fields["accuracies"] = tuple(fields["accuracies"])
        return GroundTruth(**fields, runs=tuple(Run(**r) for r in data.get("runs", ())))


def interval(values: Sequence[float]) -> tuple[float, float]:
    """(mean, half-width of the two-sided 95% Student-t interval; 0 for one value)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, 0.0
    t = T_975.get(len(values) - 1, 1.96)
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


def choose_rate(runs: Sequence[Run]) -> float:
    """The grid's rate with the best validation accuracy (the smaller rate on ties)."""
    return max(runs, key=lambda r: (r.validation_accuracy, -r.lr)).lr


@dataclass(frozen=True)
class Data:
    """Training, validation and test inputs with labels in one class numbering."""

    train: tuple[list[Any], list[int]]
    validation: tuple[list[Any], list[int]]
    test: tuple[list[Any], list[int]]
    classes: int


def load_data(train: DatasetRecord, test: DatasetRecord, fraction: float) -> Data:
    """Read both datasets, number the test labels like the training ones, hold out validation
    rows (stratified, seed 0)."""
    from shift_search.executor.datasets.reader import read_dataset
    from shift_search.executor.finetuning.validation import validation_split

    def read(d: DatasetRecord) -> Any:
        return read_dataset(
            d.format, d.uri, input_column=d.input_column, label_column=d.label_column
        )

    tr, te = read(train), read(test)
    index = {value: i for i, value in enumerate(tr.classes)}
    unknown = sorted({str(te.classes[y]) for y in te.labels} - {str(c) for c in tr.classes})
    if unknown:
        raise ValueError(f"test labels {unknown} never occur in the training data")
    test_y = [index[te.classes[y]] for y in te.labels]
    rows, held = validation_split(tr.labels, fraction, seed=0)
    train_y = [int(y) for y in tr.labels]
    return Data(
        ([tr.inputs[i] for i in rows], [train_y[i] for i in rows]),
        ([tr.inputs[i] for i in held], [train_y[i] for i in held]),
        (list(te.inputs), test_y),
        len(tr.classes),
    )


def finetune_once(
    model: ModelRecord, data: Data, protocol: Protocol, lr: float, seed: int, device: str
) -> Run:
    """One early-stopped fine-tune from fresh weights, timed (loading included)."""
    from shift_search.executor.finetuning.train import BATCHNORM_MOMENTUM, finetune
    from shift_search.executor.runner import open_encoder

    started = time.perf_counter()
    encoder = open_encoder(model, device)
    momentum = protocol.batchnorm_momentum
    result = finetune(
        encoder, *data.train, *data.test, num_classes=data.classes,
        epochs=protocol.max_epochs, batch_size=protocol.batch_size, lr=lr,
        optimizer=protocol.optimizer,  # type: ignore[arg-type]
        seed=seed, validation=data.validation, patience=protocol.patience,
        evaluate_before=False,
        batchnorm_momentum=BATCHNORM_MOMENTUM if momentum is None else momentum,
    )  # fmt: skip
    assert result.validation_accuracy is not None
    return Run(
        lr, seed, result.validation_accuracy, result.test_accuracy, result.best_epoch,
        result.epochs_run, time.perf_counter() - started, result.seconds,
    )  # fmt: skip


def measure(
    model: ModelRecord, data: Data, protocol: Protocol, device: str, log: Log
) -> GroundTruth:
    """The protocol for one model: the grid at seed 0, then the other seeds at the chosen rate."""
    grid = []
    for lr in protocol.lr_grid:
        grid.append(finetune_once(model, data, protocol, lr, protocol.seeds[0], device))
        r = grid[-1]
        log(
            f"{model.name} lr {lr:g}: val {r.validation_accuracy:.4f} test {r.test_accuracy:.4f}"
            f" best epoch {r.best_epoch}/{r.epochs_run} ({r.seconds:.0f}s)"
        )
    lr = choose_rate(grid)
    chosen = next(r for r in grid if r.lr == lr)
    extra = [finetune_once(model, data, protocol, lr, s, device) for s in protocol.seeds[1:]]
    accuracies = (chosen.test_accuracy, *(r.test_accuracy for r in extra))
    mean, half = interval(accuracies)
    log(f"{model.name}: lr {lr:g}, test {mean:.4f} ± {half:.4f} over seeds {protocol.seeds}")
    return GroundTruth(
        model.name, mean, half, accuracies, lr,
        sum(r.seconds for r in grid), sum(r.seconds for r in extra), (*grid, *extra),
    )  # fmt: skip


def ledger_key(model: ModelRecord, train: DatasetRecord, test: DatasetRecord, p: Protocol) -> str:
    return f"{model.key}|{train.uri}|{test.uri}|{p.digest()}"


def ground_truth(
    models: Sequence[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
    protocol: Protocol,
    device: str,
    ledger: Path,
    log: Log,
    remeasure: bool = False,
) -> dict[str, GroundTruth]:
    """Every model under the protocol, from the ledger when measured before (unless
    `remeasure`); the ledger is rewritten after each model, so an interrupted run keeps what
    it measured."""
    seen = json.loads(ledger.read_text()) if ledger.exists() else {}
    data: Data | None = None
    out = {}
    for model in models:
        key = ledger_key(model, train, test, protocol)
        if key in seen and not remeasure:
            out[model.name] = GroundTruth.from_json(seen[key])
            log(f"{model.name}: {out[model.name].mean:.4f} (ledger)")
            continue
        data = data or load_data(train, test, protocol.validation_fraction)
        out[model.name] = measure(model, data, protocol, device, log)
        seen[key] = out[model.name].to_json()
        ledger.parent.mkdir(parents=True, exist_ok=True)
        ledger.write_text(json.dumps(seen, indent=1))
    return out


def run_seconds(
    forward: float, train_ratio: float, n_train: int, n_test: int, p: Protocol, epochs: float
) -> float:
    """Seconds of one protocol run: per epoch a training pass (`train_ratio` forward passes per
    sample) and a validation pass, plus the test pass of the kept weights (`finetune_once`
    skips the untrained head's)."""
    n_val = round(n_train * p.validation_fraction)
    return forward * (epochs * (train_ratio * (n_train - n_val) + n_val) + n_test)


def estimate_seconds(
    forward: Mapping[str, float],
    train_ratio: float,
    n_train: int,
    n_test: int,
    p: Protocol,
    epochs_fraction: float = 1.0,
) -> float:
    """Seconds of the protocol for every model of `forward` (measured seconds per forward pass
    per sample): runs_per_model runs each, `epochs_fraction` of max_epochs (early stopping ends
    runs sooner; 1.0 is the upper bound)."""
    epochs = max(1.0, p.max_epochs * epochs_fraction)
    per_model = [run_seconds(f, train_ratio, n_train, n_test, p, epochs) for f in forward.values()]
    return p.runs_per_model() * sum(per_model)
