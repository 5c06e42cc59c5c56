"""What every model family's loader is given besides the uri."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from shift_search.executor.encoders.pooling import Modality, Pooling


@dataclass(frozen=True)
class LoadOptions:
    """What a loader needs besides the uri."""

    modality: Modality
    pooling: Pooling
    tokenizer: str | None
    device: torch.device
