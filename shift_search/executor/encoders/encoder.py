"""The `Encoder` protocol: what every loaded model offers to feature extraction and fine-tuning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch


@runtime_checkable
class Encoder(Protocol):
    """A frozen-or-trainable feature extractor for one modality.

    `prepare` runs on CPU and returns a padded batch; `forward` moves it to `device` and returns
    pooled features [B, D] with gradients; `embed` is the inference path returning float32 [N, D]
    in input order.
    """

    modality: str  # "text" | "image"
    dimension: int  # feature width
    device: torch.device

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Tokenise / preprocess on CPU into one padded batch."""
        ...

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Pooled features [B, D]; differentiable (no inference_mode inside)."""
        ...

    def trainable(self) -> torch.nn.Module:
        """The module to fine-tune; raises FailedPrecondition when the model cannot be trained."""
        ...

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        """Float32 features [N, D] under inference_mode, in input order."""
        ...


@runtime_checkable
class TokenCounter(Protocol):
    """A text encoder that can say how many tokens each text becomes, so feature extraction
    batches texts of like token counts together (characters misjudge tweets, URLs and emoji)."""

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens per text as `prepare` cuts them (special tokens included), int64 [N]."""
        ...
