"""The source model's own predictions (softmax over its source classes) on rows of a dataset,
for LEEP and NCE, through the cache like features:

- a linear classifier on the pooled features SHiFT caches (EfficientNet-Lite's `_fc`, the head a
  torchvision-layout checkpoint keeps) is applied to those cached features: no forward pass when
  they are cached;
- a Hugging Face model whose checkpoint has a classification head (`…ForSequenceClassification`,
  `…ForImageClassification`) runs its own forward pass once per chunk, and the predictions are
  cached per chunk under the model's key with `~head` (like features: leased, float16);
- any other model has no head SHiFT can read: FailedPrecondition naming it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch

from shift_search.cache.records import ModelRecord
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.features.extract import extract_features, prepare_lock
from shift_search.executor.features.store import Block, FeatureStats, FeatureStore
from shift_search.executor.loaders.efficientnet import EfficientNetEncoder
from shift_search.executor.loaders.huggingface import (
    HuggingFaceImageEncoder,
    HuggingFaceTextEncoder,
)
from shift_search.executor.loaders.known_models import resolve_known_model
from shift_search.executor.loaders.torchvision_cnn import TorchvisionEncoder
from shift_search.executor.runner import PACKAGED, TaskEnv
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

HEAD_SUFFIX = "~head"
"""Appended to a model's key to key its cached predictions (never a key of features)."""

_HEADS: OrderedDict[str, HeadEncoder] = OrderedDict()
_HEADS_LOCK = threading.Lock()
_HEADS_KEPT = 2


class SourcePredictions(Protocol):
    """Source-class probabilities [n, Z] and labels of the rows of some blocks."""

    @property
    def stats(self) -> FeatureStats:
        """Chunks computed and read from the cache so far."""
        ...

    def gather(self, chosen: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]: ...


def no_head(model: ModelRecord, why: str) -> FailedPrecondition:
    return FailedPrecondition(
        f'model "{model.name}" has no classifier head SHiFT can read ({why}): LEEP and NCE score '
        "the source model's own predictions, so they need EfficientNet-Lite, a torchvision-layout "
        "CNN whose checkpoint keeps its classifier, or a Hugging Face model saved with a "
        "classification head"
    )


def source_predictions(env: TaskEnv, model: ModelRecord, chunk_size: int) -> SourcePredictions:
    """How this model's predictions are read. A Hugging Face model is loaded only when a chunk
    of predictions is not cached; a linear head's weights need the model loaded."""
    if _family(model) == "huggingface":

        def make() -> HeadEncoder:
            encoder = env.encoders.get(model)
            if not isinstance(encoder, HuggingFaceTextEncoder | HuggingFaceImageEncoder):
                raise no_head(model, f"a {type(encoder).__name__} has no classification head")
            return head_encoder(model, encoder)

        store = FeatureStore(
            env.cache,
            model.key + HEAD_SUFFIX,
            make,
            chunk_size,
            env.should_stop,
            phases=env.phases,
        )
        return OwnPass(store)
    encoder = env.encoders.get(model)
    match encoder:
        case EfficientNetEncoder():
            fc = encoder.network._fc
            weights = (fc.weight.detach(), fc.bias.detach())
            return OnFeatures(env.features(model, chunk_size), weights)
        case TorchvisionEncoder():
            if encoder.head is None:
                raise no_head(model, "its checkpoint keeps no linear classifier on its features")
            return OnFeatures(env.features(model, chunk_size), encoder.head)
        case _:
            raise no_head(model, f"a {type(encoder).__name__} exposes only its embeddings")


def _family(model: ModelRecord) -> str:
    """The loader family of a model (a packaged model's is where its package says)."""
    if model.uri.startswith(PACKAGED):
        return resolve_known_model(model.uri.removeprefix(PACKAGED)).source
    return model.source


class OnFeatures:
    """A linear classifier applied to the model's cached pooled features."""

    def __init__(self, features: FeatureStore, head: tuple[torch.Tensor, torch.Tensor]) -> None:
        self.features = features
        weight, bias = head
        self.weight = weight.detach().float().cpu().numpy()
        self.bias = bias.detach().float().cpu().numpy()

    @property
    def stats(self) -> FeatureStats:
        return self.features.stats

    def gather(self, chosen: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
        x, labels = self.features.gather(chosen)
        logits = x.astype(np.float64) @ self.weight.T.astype(np.float64) + self.bias
        return softmax(logits), labels


class OwnPass:
    """Predictions of the model's own head, cached per chunk like features."""

    def __init__(self, store: FeatureStore) -> None:
        self.store = store

    @property
    def stats(self) -> FeatureStats:
        return self.store.stats

    def gather(self, chosen: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
        probabilities, labels = self.store.gather(chosen)
        total = probabilities.sum(axis=1, keepdims=True)  # float16 storage: sums near 1
        return probabilities / np.where(total > 0, total, 1.0), labels


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return out


class HeadEncoder:
    """A Hugging Face classification model as an `Encoder` whose features are its softmax
    outputs; inputs are prepared by the model's own encoder (tokenizer, image processor)."""

    def __init__(self, model: torch.nn.Module, encoder: Encoder, classes: int) -> None:
        self.model = model.to(encoder.device).eval()
        self.encoder = encoder
        self.modality = encoder.modality
        self.device = encoder.device
        self.dimension = classes

    def prepare(self, inputs: Sequence[Any]) -> dict[str, torch.Tensor]:
        with prepare_lock(self.encoder):  # its tokenizer may be preparing features elsewhere
            return self.encoder.prepare(inputs)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        on_device = {k: t.to(self.device, non_blocking=True) for k, t in batch.items()}
        logits = self.model(**on_device).logits.float()
        return torch.softmax(logits, dim=-1)

    def trainable(self) -> torch.nn.Module:
        return self.model

    def embed(self, inputs: Sequence[Any], batch_size: int = 64) -> np.ndarray:
        return extract_features(self, inputs, batch_size=batch_size)


def head_encoder(
    model: ModelRecord, encoder: HuggingFaceTextEncoder | HuggingFaceImageEncoder
) -> HeadEncoder:
    """The model's classification head, loaded once (a few are kept, like encoders)."""
    with _HEADS_LOCK:
        if model.key in _HEADS:
            _HEADS.move_to_end(model.key)
            return _HEADS[model.key]
    head = _load_head(model, encoder)
    with _HEADS_LOCK:
        _HEADS[model.key] = head
        while len(_HEADS) > _HEADS_KEPT:
            _HEADS.popitem(last=False)
    return head


def _load_head(
    model: ModelRecord, encoder: HuggingFaceTextEncoder | HuggingFaceImageEncoder
) -> HeadEncoder:
    from transformers import AutoModelForImageClassification, AutoModelForSequenceClassification

    config = encoder.model.config
    text = encoder.modality == "text"
    wanted = "ForSequenceClassification" if text else "ForImageClassification"
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith(wanted) for a in architectures):
        saved = ", ".join(architectures) or "no architecture recorded"
        raise no_head(model, f"its checkpoint was saved as {saved}, not a …{wanted}")
    auto: Callable[..., Any] = (
        AutoModelForSequenceClassification.from_pretrained
        if text
        else AutoModelForImageClassification.from_pretrained
    )
    location = str(encoder.model.name_or_path)
    try:
        loaded = auto(
            location, use_safetensors=True, trust_remote_code=False, local_files_only=True
        )
    except OSError as error:
        raise NotFound(
            f"the classification head of {model.name} is not available: {error}"
        ) from error
    except ValueError as error:
        raise InvalidArgument(
            f"cannot load the classification head of {model.name}: {error}"
        ) from error
    return HeadEncoder(loaded, encoder, int(loaded.config.num_labels))
