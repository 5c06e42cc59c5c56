"""Pooling token (or patch) states into one feature vector per input."""

from __future__ import annotations

from typing import Literal, assert_never, get_args

import torch

from shift_search.runtime.errors import FailedPrecondition, InvalidArgument

Pooling = Literal["mean", "pooler", "first"]
Modality = Literal["text", "image"]


def parse_pooling(name: str) -> Pooling:
    """Validate a pooling name coming from a request."""
    for pooling in get_args(Pooling):
        if name == pooling:
            return pooling
    raise InvalidArgument(
        f"unknown pooling {name!r}; expected one of {', '.join(get_args(Pooling))}"
    )


def parse_modality(name: str) -> Modality:
    """Validate a modality name coming from a request."""
    for modality in get_args(Modality):
        if name == modality:
            return modality
    raise InvalidArgument(f"unknown modality {name!r}; expected text or image")


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token states [B, T, D] over the positions where mask [B, T] is non-zero."""
    weights = mask.to(states.dtype).unsqueeze(-1)
    return (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def pool(
    pooling: Pooling,
    states: torch.Tensor,
    mask: torch.Tensor | None,
    pooler_output: torch.Tensor | None,
) -> torch.Tensor:
    """Features [B, D] from the last hidden states ([B, T, D] or conv maps [B, C, H, W])."""
    match pooling:
        case "mean":
            if states.ndim == 4:
                return states.mean(dim=(2, 3))
            if mask is None:
                return states.mean(dim=1)
            return masked_mean(states, mask)
        case "first":
            if states.ndim != 3:
                raise FailedPrecondition(
                    "'first' pooling needs token states, this model gives maps"
                )
            return states[:, 0]
        case "pooler":
            if pooler_output is None:
                raise FailedPrecondition("this model has no pooler output; use mean or first")
            return pooler_output.flatten(start_dim=1)
        case _:
            assert_never(pooling)
