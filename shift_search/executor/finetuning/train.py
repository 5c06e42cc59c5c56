"""Fine-tuning: an encoder plus a linear classification head, trained end to end.

The encoder's weights change in place: reload it before using it for frozen features again.
Weights are written only when training and evaluation complete (see `finetune_store`), so a
cancelled or failed run leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, assert_never, get_args

import numpy as np
import torch

from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import all_text, device_batch_size, length_order
from shift_search.executor.finetuning.store import save_finetuned
from shift_search.runtime.errors import Cancelled, FailedPrecondition, InvalidArgument

FinetuneOptimizer = Literal["adamw", "sgd"]
FINETUNE_OPTIMIZERS: tuple[FinetuneOptimizer, ...] = get_args(FinetuneOptimizer)
_MAX_GRAD_NORM = 1.0
LENGTH_GROUP = 8
"""Training batches of texts are drawn from runs of this many batches of shuffled rows, each run
sorted by length, and then the batches shuffled (Hugging Face's `group_by_length` does the same
with runs of 50): a batch of 32 random tweets pads to its longest, 1.6-1.9x their mean tokens,
and MiniLM-L6's 2 epochs on 800 tweets trained in 67 s that way and in 46 s grouped, at the same
accuracy (0.699 and 0.697 on 2,000 test tweets)."""
BATCHNORM_MOMENTUM = 0.1
"""Every BatchNorm layer's running-statistics momentum while fine-tuning (PyTorch's default), so
that the statistics evaluation uses follow the weights as they train, whatever momentum the
model was built with. EfficientNet-Lite's TensorFlow port builds its layers with 0.01 (a decay
of 0.99, meant for ImageNet's hundreds of thousands of steps): over a fine-tune of a few hundred
steps its statistics stay near where they started, stale for every layer that training moves.
On 320 digits (batches of 8, lr 3e-4), EfficientNet-Lite0 with its top 8 blocks re-initialised
stayed at chance (validation accuracy 0.089 for 3 epochs, test 0.17 after 4) and reached 0.91
(validation 0.95 at epoch 3) with 0.1."""


@dataclass(frozen=True)
class FinetuneProgress:
    """Reported every few steps: optimiser steps done, of how many, and the running mean loss."""

    step: int
    total_steps: int
    epoch: int
    loss: float
    seconds: float


@dataclass(frozen=True)
class FinetuneResult:
    """Outcome of a completed fine-tune; `saved_to` is None when no output folder was asked for."""

    test_accuracy: float
    train_loss: float  # mean loss over the last epoch
    steps: int
    seconds: float
    head_accuracy_before: float  # test accuracy of the untrained head on the frozen encoder
    saved_to: Path | None
    validation_accuracy: float | None = None  # of the kept epoch, when validation data was given
    best_epoch: int = 0  # 1-based epoch whose weights were kept (the last without validation)
    epochs_run: int = 0


@dataclass(frozen=True)
class FinetuneConfig:
    """Hyper-parameters of one run."""

    num_classes: int
    epochs: int = 3
    batch_size: int = 32
    lr: float = 2e-5
    optimizer: FinetuneOptimizer = "adamw"
    weight_decay: float = 0.01
    seed: int = 0
    progress_every: int = 10
    patience: int = 0  # with validation data: stop after this many epochs without improvement
    batchnorm_momentum: float = BATCHNORM_MOMENTUM

    def check(self) -> None:
        """InvalidArgument naming the first bad hyper-parameter."""
        positive = {"num_classes": self.num_classes, "epochs": self.epochs, "lr": self.lr}
        positive |= {"batch_size": self.batch_size, "progress_every": self.progress_every}
        for name, value in positive.items():
            if not value > 0:
                raise InvalidArgument(f"fine-tuning needs {name} > 0, not {value}")
        if self.weight_decay < 0:
            raise InvalidArgument("fine-tuning needs weight_decay >= 0")
        if self.patience < 0:
            raise InvalidArgument("fine-tuning needs patience >= 0")
        if not 0 < self.batchnorm_momentum <= 1:
            raise InvalidArgument(
                f"fine-tuning needs 0 < batchnorm_momentum <= 1, not {self.batchnorm_momentum}"
            )
        if self.optimizer not in FINETUNE_OPTIMIZERS:
            known = ", ".join(FINETUNE_OPTIMIZERS)
            raise InvalidArgument(f"unknown optimizer {self.optimizer!r}; known: {known}")


def finetune(
    encoder: Encoder,
    train_inputs: Sequence[Any],
    train_labels: Sequence[int] | np.ndarray,
    test_inputs: Sequence[Any],
    test_labels: Sequence[int] | np.ndarray,
    *,
    num_classes: int,
    epochs: int = 3,
    batch_size: int = 32,
    lr: float = 2e-5,
    optimizer: FinetuneOptimizer = "adamw",
    weight_decay: float = 0.01,
    seed: int = 0,
    progress: Callable[[FinetuneProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    output_dir: Path | None = None,
    lineage: Mapping[str, Any] | None = None,
    progress_every: int = 10,
    validation: tuple[Sequence[Any], Sequence[int] | np.ndarray] | None = None,
    patience: int = 0,
    evaluate_before: bool = True,
    batchnorm_momentum: float = BATCHNORM_MOMENTUM,
) -> FinetuneResult:
    """Train `encoder.trainable()` and a fresh linear head on the training data; report accuracy.

    With `validation` (inputs, labels), accuracy on it is measured after every epoch, the
    weights of the best epoch (the earliest on ties) are kept and evaluated on the test set, and
    with `patience` > 0 training stops once that many epochs in a row did not improve it:
    `epochs` is then the most it may run. `seed` fixes the head's initialisation, the batch
    order (texts in length-grouped batches: `epoch_order`) and dropout. `should_stop` is polled
    before every batch; when it returns True, Cancelled is raised before the next batch runs.
    FailedPrecondition if the encoder cannot be trained (e.g. ONNX). `evaluate_before=False`
    skips the untrained head's test pass (`head_accuracy_before` is then NaN): a benchmark
    measuring only the result saves it. Every BatchNorm layer runs with `batchnorm_momentum`
    while training (see `BATCHNORM_MOMENTUM`) and gets the model's own back afterwards.
    """
    config = FinetuneConfig(
        num_classes, epochs, batch_size, lr, optimizer, weight_decay, seed, progress_every,
        patience, batchnorm_momentum,
    )  # fmt: skip
    config.check()
    train_y = _labels(train_labels, len(train_inputs), num_classes, "training")
    test_y = _labels(test_labels, len(test_inputs), num_classes, "test")
    held_out: tuple[Sequence[Any], np.ndarray] | None = None
    if validation is not None:
        labels = _labels(validation[1], len(validation[0]), num_classes, "validation")
        held_out = (validation[0], labels)
    module = _trainable(encoder)  # before the length orders: an ONNX model fails here
    test = _Split.of(encoder, test_inputs, test_y)
    checked = None if held_out is None else _Split.of(encoder, *held_out)
    run = _Run(encoder, module, config, should_stop or (lambda: False), progress)
    start = time.perf_counter()
    with (
        torch.random.fork_rng(devices=_cuda_devices(encoder.device)),
        _batchnorm_momentum(module, config.batchnorm_momentum),
    ):
        torch.manual_seed(seed)
        head = torch.nn.Linear(encoder.dimension, num_classes).to(encoder.device)
        before = run.accuracy(head, test) if evaluate_before else float("nan")
        outcome = run.train(head, train_inputs, train_y, start, checked)
        after = run.accuracy(head, test)
    saved_to = None
    if output_dir is not None:
        summary: dict[str, Any] = {"test_accuracy": after, "train_loss": outcome.loss}
        summary |= {"steps": outcome.steps}
        summary |= {"best_epoch": outcome.best_epoch, "validation_accuracy": outcome.validation}
        saved_to = save_finetuned(
            output_dir, module, head, encoder, asdict(config) | summary, lineage or {}
        )
    return FinetuneResult(
        after,
        outcome.loss,
        outcome.steps,
        time.perf_counter() - start,
        before,
        saved_to,
        outcome.validation,
        outcome.best_epoch,
        outcome.epochs_run,
    )


class _Split(NamedTuple):
    """Data a run evaluates on, with the order it is batched in, found once per run: texts
    longest first (in input order each batch pads to its longest text: MiniLM-L6's 2-epoch
    fine-tune on 800 tweets, evaluated twice on 2,000, took 127 s that way and 110 s sorted, on
    2 cores)."""

    inputs: Sequence[Any]
    labels: np.ndarray
    order: np.ndarray

    @classmethod
    def of(cls, encoder: Encoder, inputs: Sequence[Any], labels: np.ndarray) -> _Split:
        return cls(inputs, labels, length_order(encoder, inputs))


@dataclass(frozen=True)
class _Trained:
    steps: int
    loss: float  # mean loss of the kept epoch
    best_epoch: int
    epochs_run: int
    validation: float | None


@dataclass
class _Run:
    """One fine-tuning run's moving parts."""

    encoder: Encoder
    module: torch.nn.Module
    config: FinetuneConfig
    should_stop: Callable[[], bool]
    progress: Callable[[FinetuneProgress], None] | None

    def batches(
        self, count: int, order: np.ndarray | None = None, size: int = 0
    ) -> Iterator[np.ndarray]:
        """Row positions per batch of `size` (the configured batch size when 0), checking for
        cancellation before each one."""
        rows = np.arange(count) if order is None else order
        size = size or self.config.batch_size
        for begin in range(0, count, size):
            if self.should_stop():
                raise Cancelled("fine-tuning was cancelled")
            yield rows[begin : begin + size]

    def logits(
        self, head: torch.nn.Module, inputs: Sequence[Any], rows: np.ndarray
    ) -> torch.Tensor:
        batch = self.encoder.prepare([inputs[int(i)] for i in rows])
        return head(self.encoder.forward(batch))

    def accuracy(self, head: torch.nn.Module, split: _Split) -> float:
        """Share of correctly classified rows, with the encoder in eval mode; batched as feature
        extraction batches (in `split.order`, at most `CPU_BATCH_CAP` on the CPU)."""
        self.module.eval()
        correct = 0
        encoder = self.encoder
        size = device_batch_size(encoder.device, encoder.modality, self.config.batch_size)
        with torch.no_grad():
            for rows in self.batches(len(split.labels), split.order, size):
                predicted = self.logits(head, split.inputs, rows).argmax(dim=1).cpu().numpy()
                correct += int((predicted == split.labels[rows]).sum())
        return correct / len(split.labels)

    def train(
        self,
        head: torch.nn.Module,
        inputs: Sequence[Any],
        labels: np.ndarray,
        start: float,
        validation: _Split | None = None,
    ) -> _Trained:
        """Run the epochs (early-stopped on `validation` when given, keeping the best epoch's
        weights in `self.module` and `head`)."""
        params = [*self.module.parameters(), *head.parameters()]
        optimiser = _optimiser(self.config, params)
        shuffler = np.random.default_rng(self.config.seed)
        rank = None
        if all_text(inputs):
            rank = np.empty(len(labels), dtype=np.int64)
            rank[length_order(self.encoder, inputs)] = np.arange(len(labels))
        per_epoch = -(-len(labels) // self.config.batch_size)
        total = per_epoch * self.config.epochs
        targets = torch.as_tensor(labels, dtype=torch.long)
        step, epoch_loss, seen = 0, torch.zeros(()), 0
        best: tuple[float, int, float, dict[str, Any]] | None = None  # accuracy, epoch, loss, state
        epochs_run, since_best = 0, 0
        self.module.train()
        for epoch in range(self.config.epochs):
            epoch_loss, seen = torch.zeros((), device=self.encoder.device), 0
            order = epoch_order(shuffler, len(labels), self.config.batch_size, rank)
            for rows in self.batches(len(labels), order):
                logits = self.logits(head, inputs, rows)
                loss = torch.nn.functional.cross_entropy(logits, targets[rows].to(logits.device))
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, _MAX_GRAD_NORM)
                optimiser.step()
                epoch_loss += loss.detach() * len(rows)
                step, seen = step + 1, seen + len(rows)
                if self.progress and (step % self.config.progress_every == 0 or step == total):
                    elapsed = time.perf_counter() - start
                    mean = float(epoch_loss) / seen
                    self.progress(FinetuneProgress(step, total, epoch, mean, elapsed))
            epochs_run = epoch + 1
            if validation is None:
                continue
            accuracy = self.accuracy(head, validation)
            self.module.train()
            if best is None or accuracy > best[0]:
                state = {"module": _snapshot(self.module), "head": _snapshot(head)}
                best = (accuracy, epochs_run, float(epoch_loss) / len(labels), state)
                since_best = 0
            else:
                since_best += 1
                if self.config.patience and since_best >= self.config.patience:
                    break
        if best is None:
            return _Trained(step, float(epoch_loss) / len(labels), epochs_run, epochs_run, None)
        self.module.load_state_dict(best[3]["module"])
        head.load_state_dict(best[3]["head"])
        return _Trained(step, best[2], best[1], epochs_run, best[0])


def epoch_order(
    rng: np.random.Generator, count: int, batch_size: int, rank: np.ndarray | None = None
) -> np.ndarray:
    """One epoch's order of `count` rows, read in batches of `batch_size`: a shuffle; with
    `rank` (each row's place, longest first), every `LENGTH_GROUP` batches' rows sorted by it,
    then the full batches shuffled and the short one (if any) kept last."""
    order = rng.permutation(count)
    if rank is None:
        return order
    span = batch_size * LENGTH_GROUP
    groups = [order[i : i + span] for i in range(0, count, span)]
    rows = np.concatenate([g[np.argsort(rank[g], kind="stable")] for g in groups])
    full = count // batch_size
    batches = rows[: full * batch_size].reshape(full, batch_size)[rng.permutation(full)]
    return np.concatenate([batches.reshape(-1), rows[full * batch_size :]])


@contextmanager
def _batchnorm_momentum(module: torch.nn.Module, momentum: float) -> Iterator[None]:
    """Every BatchNorm layer of `module` with `momentum` inside the block, as built after it."""
    layers = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    built = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = momentum
    try:
        yield
    finally:
        for layer, value in zip(layers, built, strict=True):
            layer.momentum = value


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the module's weights and buffers (on their device)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _optimiser(config: FinetuneConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    match config.optimizer:
        case "adamw":
            return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        case "sgd":
            return torch.optim.SGD(
                params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay
            )
        case _:
            assert_never(config.optimizer)


def _trainable(encoder: Encoder) -> torch.nn.Module:
    """The encoder's trainable module, or FailedPrecondition saying why there is none."""
    try:
        return encoder.trainable()
    except FailedPrecondition:
        raise
    except (NotImplementedError, TypeError, ValueError, RuntimeError) as exc:
        raise FailedPrecondition(f"this model cannot be fine-tuned: {exc}") from exc


def _labels(
    labels: Sequence[int] | np.ndarray, count: int, num_classes: int, what: str
) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) != count or count == 0:
        raise InvalidArgument(f"fine-tuning needs one label per {what} input, and some inputs")
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() >= num_classes:
        raise InvalidArgument(f"{what} labels must be class ids in [0, {num_classes})")
    return array.astype(np.int64)


def _cuda_devices(device: torch.device) -> list[int]:
    return [device.index or 0] if device.type == "cuda" else []
