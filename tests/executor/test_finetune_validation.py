"""Fine-tuning with a validation split: early stopping, keeping the best epoch, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from shift_search.executor.finetuning.train import finetune
from shift_search.executor.finetuning.validation import validation_split
from shift_search.runtime.errors import InvalidArgument
from tests.executor.test_finetune import MlpEncoder, vectors


def test_training_stops_once_validation_stops_improving() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(160, 0), vectors(80, 1)
    result = finetune(
        MlpEncoder(), train_x, train_y, test_x, test_y, num_classes=2, epochs=30,
        batch_size=16, lr=1e-2, validation=(test_x, test_y), patience=2,
    )  # fmt: skip
    assert result.validation_accuracy == 1.0  # separable: it cannot improve past this
    assert result.epochs_run == result.best_epoch + 2 < 30
    assert result.steps == 10 * result.epochs_run
    assert result.test_accuracy == 1.0


def test_the_best_epoch_is_kept_not_the_last() -> None:
    """Validation labels are the test labels flipped, so the longer training runs the worse
    validation gets: the weights kept are those after epoch 1, as a one-epoch run gives."""
    (train_x, train_y), (test_x, test_y) = vectors(160, 2), vectors(80, 3)
    common = dict(num_classes=2, batch_size=16, lr=1e-2, seed=5)
    kept = finetune(
        MlpEncoder(), train_x, train_y, test_x, test_y, epochs=5,
        validation=(test_x, 1 - test_y), **common,
    )  # fmt: skip
    one_epoch = finetune(MlpEncoder(), train_x, train_y, test_x, test_y, epochs=1, **common)
    assert kept.best_epoch == 1 and kept.epochs_run == 5
    assert kept.test_accuracy == one_epoch.test_accuracy
    assert kept.train_loss == pytest.approx(one_epoch.train_loss)


def test_the_seed_fixes_the_run_and_another_seed_changes_it() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(96, 4), vectors(48, 5)

    def run(seed: int) -> tuple[float, float]:
        result = finetune(
            MlpEncoder(), train_x, train_y, test_x, test_y, num_classes=2, epochs=2,
            batch_size=16, lr=1e-2, seed=seed,
        )  # fmt: skip
        return result.test_accuracy, result.train_loss

    assert run(1) == run(1)
    assert run(1)[1] != run(2)[1]


def test_without_validation_every_epoch_runs_and_none_is_reported() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(64, 6), vectors(32, 7)
    result = finetune(
        MlpEncoder(), train_x, train_y, test_x, test_y, num_classes=2, epochs=3, patience=1
    )
    assert result.validation_accuracy is None
    assert result.epochs_run == result.best_epoch == 3


def test_validation_split_is_stratified_disjoint_and_seeded() -> None:
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    training, held = validation_split(labels, 0.2, seed=3)
    assert set(training).isdisjoint(held) and len(training) + len(held) == 100
    assert [int((labels[held] == c).sum()) for c in range(3)] == [10, 6, 4]
    again = validation_split(labels, 0.2, seed=3)
    assert np.array_equal(again[1], held)
    assert not np.array_equal(validation_split(labels, 0.2, seed=4)[1], held)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_validation_split_rejects_fractions_outside_zero_one(fraction: float) -> None:
    with pytest.raises(InvalidArgument, match="validation_fraction"):
        validation_split([0, 1, 0, 1], fraction, seed=0)


def test_bad_validation_labels_and_patience_are_invalid() -> None:
    (train_x, train_y), (test_x, test_y) = vectors(32, 8), vectors(16, 9)
    with pytest.raises(InvalidArgument, match="validation"):
        finetune(
            MlpEncoder(), train_x, train_y, test_x, test_y, num_classes=2,
            validation=(test_x, test_y[:3]),
        )  # fmt: skip
    with pytest.raises(InvalidArgument, match="patience"):
        finetune(MlpEncoder(), train_x, train_y, test_x, test_y, num_classes=2, patience=-1)
