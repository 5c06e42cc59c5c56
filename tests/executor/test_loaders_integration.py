"""Real packaged models: MiniLM (safetensors), paraphrase-MiniLM (ONNX), EfficientNet-Lite0."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from shift_search.executor.datasets.reader import read_dataset
from shift_search.executor.datasets.token_length import mean_tokens
from shift_search.executor.encoders.encoder import Encoder
from shift_search.executor.loaders.known_models import known_model_names, resolve_known_model
from shift_search.executor.loaders.registry import load_encoder
from shift_search.runtime.errors import FailedPrecondition, NotFound
from shift_search.runtime.profile_inputs import PROFILE_TEXT_TOKENS, profile_texts

pytestmark = pytest.mark.integration

SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing an acoustic guitar.",
    "The central bank raised interest rates again.",
]


def load_known(name: str) -> Encoder:
    known = resolve_known_model(name)
    return load_encoder(
        known.source,
        known.uri,
        modality=known.modality,
        pooling=known.pooling,
        tokenizer=known.tokenizer,
    )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "paraphrase-MiniLM-L3-v2"])
def test_text_models_rank_the_paraphrase_above_an_unrelated_sentence(name: str) -> None:
    encoder = load_known(name)
    features = encoder.embed(SENTENCES)
    assert features.shape == (3, 384) and encoder.dimension == 384
    assert cosine(features[0], features[1]) > cosine(features[0], features[2]) + 0.3


def test_onnx_model_is_inference_only() -> None:
    with pytest.raises(FailedPrecondition):
        load_known("paraphrase-MiniLM-L3-v2").trainable()


def test_every_known_model_resolves_and_unknown_names_get_suggestions() -> None:
    for name in known_model_names():
        assert resolve_known_model(name).source in {"huggingface", "onnx", "efficientnet"}
    with pytest.raises(NotFound, match="all-MiniLM-L6-v2"):
        resolve_known_model("all-minilm-l6")


def test_efficientnet_lite0_digit_features_support_a_linear_probe() -> None:
    digits = read_dataset("builtin", "digits", input_column=None, label_column=None, slice=":600")
    features = load_known("efficientnet-lite0").embed(digits.inputs, batch_size=50)
    assert features.shape == (600, 1280)
    probe = LogisticRegression(max_iter=2000).fit(features[:450], digits.labels[:450])
    assert probe.score(features[450:], digits.labels[450:]) > 0.8


@pytest.mark.parametrize("name", ["efficientnet-lite1", "efficientnet-lite2"])
def test_larger_efficientnets_load_their_packaged_weights(name: str) -> None:
    encoder = load_known(name)
    assert encoder.embed([np.zeros((8, 8), np.uint8)]).shape == (1, encoder.dimension)


def test_the_reference_tokenizer_counts_the_profiling_texts_as_the_planner_assumes() -> None:
    assert mean_tokens(profile_texts()) == PROFILE_TEXT_TOKENS
    tweets = ["@lilmay0 is they the google car?!? \u00d5\u00f4\u00d2_\u00d1_ http://t.co/x1y2z3"]
    assert mean_tokens(tweets) is not None and mean_tokens(tweets) > len(tweets[0]) * 0.25
    assert mean_tokens([]) is None
