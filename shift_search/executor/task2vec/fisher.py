"""The Task2Vec embedding of a labelled dataset through a probe network, as Achille et al.
("Task2Vec: Task Embedding for Meta-Learning", ICCV 2019) compute it with their Monte Carlo
estimator:

1. a new linear classifier head is fitted on the probe's (cached, frozen) pooled features;
2. the Fisher information of the probe's weights w, F = E_x E_{y ~ p_w(y|x)} [∇_w log p_w(y|x)²],
   is estimated on the diagonal: labels are *sampled from the model's own prediction* (not
   taken from the dataset), and the squared gradients are accumulated batch by batch. With
   sampled labels, E_y ∇ log p(y|x) = 0, so the square of a batch's summed gradient is an
   unbiased estimate of the sum of its rows' squared gradients: dividing by the rows gives F;
3. each weight tensor's entries are averaged per filter (per output unit: a convolution's output
   channel, a linear layer's output, a norm layer's channel), giving one value per filter.

The weights are those of every module of the probe with a `weight` parameter that the forward
pass uses, except embedding tables (token and position lookups are not filters) and the new
head. The probe runs in eval mode (batch norm with its running statistics, no dropout).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import prepare_lock
from shift_search.runtime.errors import Cancelled, FailedPrecondition


def task_embedding(
    encoder: Encoder,
    inputs: Sequence[Any],
    labels: np.ndarray,
    features: np.ndarray,
    *,
    head_steps: int,
    lr: float,
    batch_size: int,
    seed: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """The per-filter Fisher diagonal [one value per filter] of `encoder` on (inputs, labels);
    `features` are the encoder's pooled features of the same rows (from the cache)."""
    module = encoder.trainable()
    classes, targets = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise FailedPrecondition("Task2Vec needs a dataset with at least two classes")
    head = fit_head(features, targets, len(classes), steps=head_steps, lr=lr, seed=seed)
    head = head.to(encoder.device)
    weights = probe_weights(module)
    if not weights:
        raise FailedPrecondition(f"the probe ({type(module).__name__}) has no weights to embed")
    fisher = [torch.zeros_like(w, dtype=torch.float32) for w in weights]
    used = [False] * len(weights)
    generator = torch.Generator().manual_seed(seed)
    flags = [w.requires_grad for w in weights]
    was_training = module.training
    module.eval()
    try:
        for w in weights:
            w.requires_grad_(True)
        with torch.inference_mode(False), torch.enable_grad():
            for start in range(0, len(inputs), batch_size):
                if should_stop():
                    raise Cancelled("task cancelled")
                with prepare_lock(encoder):  # other slots may be preparing with it
                    batch = encoder.prepare(list(inputs[start : start + batch_size]))
                logits = head(encoder.forward(batch).float())
                probabilities = torch.softmax(logits.detach().float().cpu(), dim=-1)
                sampled = torch.multinomial(probabilities, 1, generator=generator).view(-1)
                loss = torch.nn.functional.cross_entropy(
                    logits, sampled.to(logits.device), reduction="sum"
                )
                grads = torch.autograd.grad(loss, weights, allow_unused=True)
                for i, grad in enumerate(grads):
                    if grad is not None:
                        fisher[i] += grad.detach().float() ** 2
                        used[i] = True
    finally:
        for w, flag in zip(weights, flags, strict=True):
            w.requires_grad_(flag)
        module.train(was_training)
    per_filter = [filterwise(f / len(inputs)) for f, u in zip(fisher, used, strict=True) if u]
    return np.concatenate(per_filter).astype(np.float32)


def probe_weights(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The `weight` of every module that has one, embedding tables excepted, in module order."""
    out: list[torch.nn.Parameter] = []
    seen: set[int] = set()
    for sub in module.modules():
        weight = getattr(sub, "weight", None)
        if isinstance(sub, torch.nn.Embedding) or not isinstance(weight, torch.nn.Parameter):
            continue
        if id(weight) not in seen:  # tied weights count once
            seen.add(id(weight))
            out.append(weight)
    return out


def filterwise(fisher: torch.Tensor) -> np.ndarray:
    """A weight's Fisher diagonal averaged per filter (its first dimension)."""
    values = fisher.detach().cpu().double()
    if values.ndim == 0:
        return values.reshape(1).numpy()
    return values.reshape(values.shape[0], -1).mean(dim=1).numpy()


def fit_head(
    features: np.ndarray, targets: np.ndarray, classes: int, *, steps: int, lr: float, seed: int
) -> torch.nn.Linear:
    """A linear head fitted on frozen features by full-batch Adam (cross-entropy, a little
    weight decay, as the authors fit theirs), from a seeded initialisation."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    y = torch.as_tensor(targets, dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], classes)
    bound = 1.0 / max(1, x.shape[1]) ** 0.5
    with torch.no_grad():
        head.weight.uniform_(-bound, bound, generator=generator)
        head.bias.uniform_(-bound, bound, generator=generator)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=1e-4)
    with torch.inference_mode(False), torch.enable_grad():
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(head(x), y).backward()
            optimizer.step()
    head.requires_grad_(False)
    return head
