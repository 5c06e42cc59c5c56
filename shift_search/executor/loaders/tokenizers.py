"""Tokenizer settings a model folder declares beyond the tokenizer's own files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SENTENCE_TRANSFORMERS_CONFIG = "sentence_bert_config.json"


def apply_sequence_limit(tokenizer: Any, folder: str | Path) -> Any:
    """Honour a sentence-transformers `max_seq_length` (the length the model was trained with,
    e.g. 256 for all-MiniLM-L6-v2, where the tokenizer alone says 512)."""
    config = Path(folder) / SENTENCE_TRANSFORMERS_CONFIG
    if config.is_file():
        limit = json.loads(config.read_text()).get("max_seq_length")
        if isinstance(limit, int) and limit > 0:
            tokenizer.model_max_length = min(limit, tokenizer.model_max_length)
    return tokenizer


def token_counts(tokenizer: Any, texts: Sequence[str], max_length: int) -> np.ndarray:
    """Tokens per text, special tokens included, cut at `max_length` as `prepare` cuts them."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    return np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(texts))
