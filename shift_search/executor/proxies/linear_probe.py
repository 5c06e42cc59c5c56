"""Linear probe: one linear layer on frozen, standardised features, trained full-batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, assert_never, get_args

import numpy as np
import torch
from numpy.typing import ArrayLike

from shift_search.executor.nearest_neighbour.summary import as_labels
from shift_search.executor.proxies.device import DeviceLike, resolve_device
from shift_search.runtime.errors import Cancelled, InvalidArgument

Optimizer = Literal["sgd", "adam"]
OPTIMIZERS: tuple[Optimizer, ...] = get_args(Optimizer)
STOP_CHECK_EVERY = 50  # steps between checks for a stop request


def linear_probe_error(
    train: np.ndarray,
    train_labels: ArrayLike,
    test: np.ndarray,
    test_labels: ArrayLike,
    *,
    lr: float = 0.1,
    epochs: int = 100,
    optimizer: Optimizer = "sgd",
    seed: int = 0,
    device: DeviceLike = None,
    should_stop: Callable[[], bool] | None = None,
) -> float:
    """Test error of a softmax-regression layer trained with cross-entropy on all training rows at
    once for `epochs` steps. Test labels never seen in training count as errors. `should_stop`
    is checked every STOP_CHECK_EVERY steps (Cancelled)."""
    train_y, test_y = (
        as_labels(train_labels, "training labels"),
        as_labels(test_labels, "test labels"),
    )
    _check_shapes(train, train_y, test, test_y)
    if optimizer not in OPTIMIZERS:
        raise InvalidArgument(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")
    if epochs < 0 or not lr > 0:
        raise InvalidArgument("linear probe needs lr > 0 and epochs >= 0")
    if len(test_y) == 0:
        return 0.0
    classes, train_class = np.unique(train_y, return_inverse=True)
    target = resolve_device(device)
    x_train, x_test = _standardised(train, test, target)
    y = torch.as_tensor(train_class, device=target)
    model = _trained_layer(
        x_train,
        y,
        len(classes),
        lr=lr,
        epochs=epochs,
        optimizer=optimizer,
        seed=seed,
        should_stop=should_stop,
    )
    with torch.inference_mode():
        predicted = classes[model(x_test).argmax(dim=1).cpu().numpy()]
    return float(np.mean(predicted != test_y))


def _check_shapes(
    train: np.ndarray, train_y: np.ndarray, test: np.ndarray, test_y: np.ndarray
) -> None:
    if np.ndim(train) != 2 or np.ndim(test) != 2 or np.shape(train)[1] != np.shape(test)[1]:
        raise InvalidArgument("linear probe needs 2-D features of one width for train and test")
    if len(train) != len(train_y) or len(test) != len(test_y):
        raise InvalidArgument("features and labels must have the same number of rows")
    if len(train_y) == 0:
        raise InvalidArgument("linear probe needs at least one training point")


def _standardised(
    train: np.ndarray, test: np.ndarray, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both sets scaled by the training mean and standard deviation (constant columns kept at 0)."""
    x_train = torch.as_tensor(np.asarray(train), device=device).float()
    x_test = torch.as_tensor(np.asarray(test), device=device).float()
    mean = x_train.mean(dim=0)
    std = x_train.std(dim=0, correction=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return (x_train - mean) / std, (x_test - mean) / std


def _trained_layer(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    *,
    lr: float,
    epochs: int,
    optimizer: Optimizer,
    seed: int,
    should_stop: Callable[[], bool] | None,
) -> torch.nn.Linear:
    generator = torch.Generator().manual_seed(seed)
    layer = torch.nn.Linear(x.shape[1], num_classes)
    bound = 1.0 / max(1, x.shape[1]) ** 0.5
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    layer = layer.to(x.device)
    opt = make_optimizer(optimizer, layer.parameters(), lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    for step in range(epochs):
        if should_stop is not None and step % STOP_CHECK_EVERY == 0 and should_stop():
            raise Cancelled("task cancelled")
        opt.zero_grad(set_to_none=True)
        loss_fn(layer(x), y).backward()
        opt.step()
    return layer


def make_optimizer(
    name: Optimizer, params: Iterable[torch.nn.Parameter], lr: float
) -> torch.optim.Optimizer:
    """Plain SGD (the paper's choice) or Adam."""
    match name:
        case "sgd":
            return torch.optim.SGD(params, lr=lr)
        case "adam":
            return torch.optim.Adam(params, lr=lr)
        case _:
            assert_never(name)
