"""Pricing fine-tuning for EXPLAIN: FINETUNE statements, and ORDER BY FineTune's successive
halving over fine-tuning epochs.

A fine-tuning task loads its model afresh (T_load + L_i: training changes the weights, so no
loaded encoder is shared), evaluates the test set before and after training (2 N_te forward
passes) and trains for E epochs over the N_tr training samples. One training sample costs its
modality's TRAIN_FACTORS times the model's measured inference cost I_i per sample (the ModelCost
carries it; measured, the factor includes the optimiser's step). A halving round k fine-tunes
its S_k survivors for E_k epochs (each round starts again from the pre-trained weights) and
prices the mean model, on min(D, S_k) devices, like the SH rounds of `costmodel`. Data loading
and saving a registered model are not priced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shift_search.planner import halving
from shift_search.planner.costmodel import DEFAULT_CONSTANTS, CostConstants, ModelCost, StepEstimate
from shift_search.runtime.errors import InvalidArgument

DEFAULT_EPOCHS = 3
FINETUNE_FACTOR = 3.0
"""Seconds to train on one sample per second to embed it, in theory: a forward pass plus a
backward pass that costs about two forward passes (training takes ≈ 6N FLOPs per token against
2N for the forward pass alone: Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
§2.1)."""
TRAIN_FACTORS = {"text": 4.2, "image": 3.0}
"""The same, measured per modality on 2 cores against extraction's cost per sample (batches
capped as on the CPU): EfficientNet-Lite0, 2 epochs over 400 digits in batches of 8, 3.1×;
MiniLM-L6, 2 epochs in batches of 32 grouped by length, 4.25× on 800 tweets and 4.06× on 500
fine-food reviews (the optimiser's step and the loss's backward over padded batches go beyond
the theory). Evaluation costs what extraction does (0.9-1.0×)."""


def train_factor(modality: str) -> float:
    """TRAIN_FACTORS of a modality (FINETUNE_FACTOR for one not measured)."""
    return TRAIN_FACTORS.get(modality, FINETUNE_FACTOR)


def describe_train_factor(models: Sequence[ModelCost]) -> str:
    """EXPLAIN's words for the training factor of these models ("4.2×", or a range)."""
    factors = sorted({c.train_factor for c in models}) or [FINETUNE_FACTOR]
    if len(factors) == 1:
        return f"{factors[0]:g}×"
    return f"{factors[0]:g}-{factors[-1]:g}×"


def _check(n_train: int, n_test: int, devices: int) -> None:
    if devices < 1:
        raise InvalidArgument(f"need at least one device, got {devices}")
    if n_train < 0 or n_test < 0:
        raise InvalidArgument("sample counts cannot be negative")


def _mean(models: Sequence[ModelCost], per_model: list[float]) -> float:
    return sum(per_model) / len(models) if models else 0.0


def finetune_steps(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    epochs: int,
    devices: int,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> list[StepEstimate]:
    """FINETUNE: one task per model, each training for `epochs` epochs (steps sum to the cost)."""
    _check(n_train, n_test, devices)
    m, d = len(models), devices
    loads = sum(constants.load_overhead + c.load_seconds for c in models)
    infer = sum(c.infer_seconds_per_sample for c in models)
    train = sum(c.train_factor * c.infer_seconds_per_sample for c in models)
    return [
        StepEstimate(
            "task overhead", m * constants.task_overhead / d, f"{m} tasks on {d} devices", m
        ),
        StepEstimate("load models", loads / d, f"{m} loads", m),
        StepEstimate(
            "fine-tune",
            train * epochs * n_train / d,
            f"{m} models × {epochs} epoch(s) × {n_train:,} samples, "
            f"{describe_train_factor(models)} inference per sample",
            m,
        ),
        StepEstimate(
            "evaluate", 2 * infer * n_test / d, f"{m} models × {n_test:,} test samples, twice", m
        ),
    ]


def epoch_schedule(num_models: int, epochs: int) -> list[int]:
    """Epochs per round of ORDER BY FineTune: halving rounds end at the full `epochs`, each
    round doubling."""
    rounds = halving.rounds(num_models) if num_models > 1 else 1
    return [max(1, math.ceil(epochs / 2 ** (rounds - 1 - k))) for k in range(rounds)]


def survivors(num_models: int, num_rounds: int) -> list[int]:
    """S_k: models fine-tuned in round k (the better half goes on, rounded up)."""
    out = [num_models]
    for _ in range(num_rounds - 1):
        out.append(math.ceil(out[-1] / 2))
    return out


def halving_steps(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    epochs_per_round: Sequence[int],
    devices: int,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> list[StepEstimate]:
    """ORDER BY FineTune: one step per halving round over fine-tuning epochs."""
    _check(n_train, n_test, devices)
    per_epoch = [c.train_factor * c.infer_seconds_per_sample * n_train for c in models]
    fixed = [
        constants.task_overhead
        + constants.load_overhead
        + c.load_seconds
        + 2 * c.infer_seconds_per_sample * n_test
        for c in models
    ]
    counts = survivors(len(models), len(epochs_per_round))
    steps = []
    for k, (alive, epochs) in enumerate(zip(counts, epochs_per_round, strict=True)):
        mean = _mean(models, [f + epochs * e for f, e in zip(fixed, per_epoch, strict=True)])
        then = f"keep {counts[k + 1]}" if k + 1 < len(counts) else "rank them"
        steps.append(
            StepEstimate(
                f"round {k}",
                alive * mean / min(devices, max(alive, 1)),
                f"{alive} models × {epochs} epoch(s) × {n_train:,} samples, "
                f"evaluate on {n_test:,}, {then}",
                alive,
            )
        )
    return steps
