"""Where proxy computations run: the features' device, CUDA when present unless told otherwise."""

from __future__ import annotations

import torch

DeviceLike = str | torch.device | None


def resolve_device(device: DeviceLike = None) -> torch.device:
    """`device` as a torch.device; None picks CUDA when available, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
