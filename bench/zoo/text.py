"""Text recipes: MiniLM checkpoints fine-tuned on other tasks, layer-truncated variants, and a
randomly initialised control. Each is a Hugging Face folder (config.json, model.safetensors and
the MiniLM tokenizer files) that `load_encoder("huggingface", folder)` reads."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModel, PreTrainedModel

from bench.zoo.build import BuildContext, Built
from bench.zoo.data import finetune_summary, text_split
from bench.zoo.manifest import Spec
from shift_search.executor.finetuning.train import FinetuneProgress, finetune
from shift_search.executor.loaders.registry import load_encoder

TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
)
WEIGHTS = "model.safetensors"


def text_folder(context: BuildContext, name: str) -> Path:
    return context.root / "text" / name


def copy_tokenizer(source: Path, folder: Path) -> None:
    """Copy the tokenizer (and sentence-transformers length limit) files that exist in `source`."""
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, folder / name)


def truncate_layers(source: str | Path, folder: Path, layers: int) -> Path:
    """Save the first `layers` transformer layers of a BERT-like model (embeddings kept)."""
    model = AutoModel.from_pretrained(str(source), use_safetensors=True)
    blocks = model.encoder.layer
    if not 0 < layers < len(blocks):
        raise ValueError(f"cannot keep {layers} of {len(blocks)} layers")
    model.encoder.layer = torch.nn.ModuleList(list(blocks)[:layers])
    model.config.num_hidden_layers = layers
    return _save(model, folder, Path(source))


def random_init(source: str | Path, folder: Path, seed: int) -> Path:
    """Save a model with `source`'s configuration and seeded random weights."""
    config = AutoConfig.from_pretrained(str(source))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = AutoModel.from_config(config)
    return _save(model, folder, Path(source))


def _save(model: PreTrainedModel, folder: Path, tokenizer_from: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    copy_tokenizer(tokenizer_from, folder)
    return folder


def build_truncated(spec: Spec, context: BuildContext) -> Built:
    assert spec.parent is not None
    layers = int(spec.params["layers"])
    parent = context.records[spec.parent]
    folder = truncate_layers(
        context.parent_location(spec.parent), text_folder(context, spec.name), layers
    )
    tags = {"variant": f"truncated-{layers}-layers", **_inherited(parent.tags)}
    fields = {"finetuned": parent.finetuned, "parent": parent.parent}
    return Built(str(folder), "huggingface", [folder / WEIGHTS], fields, tags)


def build_random(spec: Spec, context: BuildContext) -> Built:
    assert spec.parent is not None
    seed = int(spec.params["seed"])
    folder = random_init(
        context.parent_location(spec.parent), text_folder(context, spec.name), seed
    )
    tags = {"variant": "random-init", "seed": str(seed)}
    return Built(str(folder), "huggingface", [folder / WEIGHTS], {}, tags)


def build_finetuned(spec: Spec, context: BuildContext) -> Built:
    """Fine-tune the parent on an upstream text task with the executor's `finetune`."""
    assert spec.parent is not None
    p = dict(spec.params)
    data = text_split(p["task"], int(p["train"]), int(p["test"]), int(p["seed"]))
    source = Path(context.parent_location(spec.parent))
    encoder = load_encoder("huggingface", str(source), device="cpu")
    folder = text_folder(context, spec.name)
    result = finetune(
        encoder, data.train_inputs, data.train_labels, data.test_inputs, data.test_labels,
        num_classes=len(data.classes), epochs=int(p["epochs"]), batch_size=int(p["batch_size"]),
        lr=float(p["lr"]), seed=int(p["seed"]), output_dir=folder,
        lineage={"parent": spec.parent, "trained_on": p["task"], "data": data.origin},
        progress=_progress(context, spec.name), progress_every=20,
    )  # fmt: skip
    copy_tokenizer(source, folder)
    accuracy = f"{result.test_accuracy:.4f}"
    context.log(f"[zoo] {spec.name}: {p['task']} test accuracy {accuracy}, {result.seconds:.0f}s")
    tags = {"variant": "finetuned", "trained_on": p["task"], "trained_on_accuracy": accuracy}
    provenance = finetune_summary(data, result)
    fields = {"finetuned": True, "parent": spec.parent}
    return Built(str(folder), "huggingface", [folder / WEIGHTS], fields, tags, provenance)


def _progress(context: BuildContext, name: str) -> Any:
    def report(event: FinetuneProgress) -> None:
        context.log(
            f"[zoo] {name}: step {event.step}/{event.total_steps} "
            f"loss {event.loss:.3f} ({event.seconds:.0f}s)"
        )

    return report


def _inherited(tags: Any) -> dict[str, str]:
    """Training provenance a derived model keeps from its parent."""
    return {k: str(v) for k, v in dict(tags).items() if k == "trained_on"}
