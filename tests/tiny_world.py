"""A tiny, real world for service tests: a randomly initialised BERT built from a config and
small labelled CSV files whose classes use different words (so proxies can tell them apart)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

POSITIVE = ["good", "great", "fine", "nice", "love", "best", "happy", "tasty"]
NEGATIVE = ["bad", "awful", "poor", "hate", "worst", "sad", "stale", "bland"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_tiny_bert(folder: Path, seed: int = 0, layers: int = 2) -> Path:
    """Save a random 32-wide BERT and its word-level tokenizer into `folder`."""
    import torch
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(SPECIALS + POSITIVE + NEGATIVE) + "\n")
    tokenizer = transformers.BertTokenizer(vocab=str(folder / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(SPECIALS) + len(POSITIVE) + len(NEGATIVE),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(seed)
    transformers.BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_reviews(path: Path, rows: int, seed: int = 0) -> Path:
    """A CSV of short reviews (column `text`) labelled pos/neg (column `label`)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = "pos" if i % 2 == 0 else "neg"
            words = POSITIVE if label == "pos" else NEGATIVE
            writer.writerow([" ".join(rng.choice(words) for _ in range(rng.randint(3, 8))), label])
    return path
