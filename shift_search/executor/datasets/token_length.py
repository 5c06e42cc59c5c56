"""How many tokens a text dataset's inputs are, by one reference tokenizer (all-MiniLM-L6-v2's
WordPiece), so the cost model can scale a text model's profiled cost per sample to the data.

Tokens, not characters: a transformer's work grows with its tokens, and characters misjudge
them (tweets, with mentions, links and mis-decoded emoji, run 0.32 tokens per character against
0.22 for the profiling texts: MiniLM-L6 took 2.7x their time per tweet where characters said
1.3x and tokens 1.8x, and once batches were sorted by tokens, 1.9x)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from shift_search.executor.loaders.known_models import minilm_tokenizer_dir
from shift_search.executor.loaders.tokenizers import apply_sequence_limit, token_counts
from shift_search.runtime.errors import NotFound

SAMPLE = 10_000
"""Texts counted at most, evenly spaced over the dataset: the mean is all the planner needs."""

_LOCK = threading.Lock()  # a fast tokenizer refuses concurrent use
log = logging.getLogger("shift.executor.datasets")


@functools.cache
def reference_tokenizer() -> Any | None:
    """all-MiniLM-L6-v2's tokenizer, or None where its package is not installed or its files do
    not load (the lengths are a hint to the cost model: describing data never fails for them)."""
    try:
        folder = minilm_tokenizer_dir()
    except NotFound:
        return None
    from transformers import AutoTokenizer  # here: describing image data never needs it

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as error:
        log.warning("text lengths in characters only: tokenizer in %s: %s", folder, error)
        return None
    return apply_sequence_limit(tokenizer, folder)


def mean_tokens(texts: Sequence[str]) -> float | None:
    """Mean tokens per text (special tokens included, cut where the reference model cuts), or
    None for no texts or without the reference tokenizer."""
    tokenizer = reference_tokenizer()
    if tokenizer is None or not texts:
        return None
    picked = np.linspace(0, len(texts) - 1, num=min(SAMPLE, len(texts))).round().astype(int)
    with _LOCK:
        counts = token_counts(tokenizer, [texts[i] for i in picked], tokenizer.model_max_length)
    return float(counts.mean())
