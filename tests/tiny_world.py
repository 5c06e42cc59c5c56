"""A tiny, real world for service tests: a randomly initialised BERT built from a config and
small labelled CSV files whose classes use different words (so proxies can tell them apart), or
mostly different words (`noise`: so 1-NN errors are strictly between 0 and 1)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from shift_search.cache.records import DatasetRecord

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


def make_tiny_bert_classifier(
    folder: Path, seed: int = 0, classes: int = 4, informative: bool = True
) -> Path:
    """Save a 32-wide BERT with a sequence-classification head over `classes` source classes
    (LEEP and NCE read its predictions), and its word-level tokenizer. The model is "pretrained"
    for a few steps on a source task over review-like texts: with `informative`, the source
    class says the sentiment (and the length: class = 2 × negative + long, mod `classes`), so its
    predictions transfer to `write_reviews` labels; without, its source labels are random."""
    import torch
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(SPECIALS + POSITIVE + NEGATIVE) + "\n")
    tokenizer = transformers.BertTokenizer(vocab=str(folder / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(SPECIALS) + len(POSITIVE) + len(NEGATIVE),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=classes,
    )
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(config)
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(64):
        negative = i % 2
        words = [rng.choice(NEGATIVE if negative else POSITIVE) for _ in range(rng.randint(3, 8))]
        source = (2 * negative + (len(words) > 5)) % classes
        texts.append(" ".join(words))
        labels.append(source if informative else rng.randrange(classes))
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    target = torch.tensor(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(40):
        optimizer.zero_grad()
        model(**batch, labels=target).loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_tiny_tokenizer(folder: Path, seed: int) -> Path:
    """Save a word-level tokenizer for `make_tiny_bert` models whose words take other ids (the
    same vocabulary size, shuffled): the same model gives other features through it."""
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    words = POSITIVE + NEGATIVE
    random.Random(seed).shuffle(words)
    (folder / "vocab.txt").write_text("\n".join(SPECIALS + words) + "\n")
    transformers.BertTokenizer(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def write_reviews(path: Path, rows: int, seed: int = 0, noise: float = 0.0) -> Path:
    """A CSV of short reviews (column `text`) labelled pos/neg (column `label`); with `noise`,
    each word comes from the other class's words with that probability."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = "pos" if i % 2 == 0 else "neg"
            own, other = (POSITIVE, NEGATIVE) if label == "pos" else (NEGATIVE, POSITIVE)
            count = rng.randint(3, 8)
            if noise:
                words = [rng.choice(other if rng.random() < noise else own) for _ in range(count)]
            else:
                words = [rng.choice(own) for _ in range(count)]
            writer.writerow([" ".join(words), label])
    return path


def reviews_dataset(name: str, uri: str | Path) -> DatasetRecord:
    """The catalog record of a `write_reviews` CSV."""
    return DatasetRecord(
        name=name, uri=str(uri), format="csv", input_column="text", label_column="label"
    )


def register_datasets(address: str, *records: DatasetRecord) -> None:
    """Register datasets through the SHiFT server at `address`, as `shift register` does: each
    is read once there and stored described (sizes, fingerprints, classes)."""
    from shift_search.cli.register import register_all
    from shift_search.client import Client

    with Client(address) as client:
        register_all(client, list(records))
