"""Image recipes: EfficientNet-Lite state dicts (.pth, named after their variant so the
efficientnet loader accepts them): a random-init control, pretrained stems with re-initialised top
blocks, and a checkpoint fine-tuned on synthetic shapes (never on digits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from efficientnet_lite_pytorch import EfficientNet

from bench.zoo.build import BuildContext, Built
from bench.zoo.data import finetune_summary, shapes_split
from bench.zoo.manifest import Spec
from shift_search.executor.finetuning.train import finetune
from shift_search.executor.loaders.known_models import efficientnet_weights
from shift_search.executor.loaders.registry import load_encoder

_TOP_LAYERS = ("_conv_head.", "_bn1.", "_fc.")


def pth_file(context: BuildContext, variant: str, name: str) -> Path:
    """Where a variant's weights go; the file name starts with the variant, as the loader needs."""
    suffix = name.removeprefix(variant).strip("-") or "weights"
    folder = context.root / "image"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{variant}-{suffix}.pth"


def random_state(variant: str, seed: int) -> dict[str, torch.Tensor]:
    """The library's own initialisation of `variant`, under a fixed seed."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return EfficientNet.from_name(variant).state_dict()


def reinit_top(variant: str, keep_blocks: int, seed: int) -> dict[str, torch.Tensor]:
    """Pretrained weights up to block `keep_blocks`; every later block and the head random."""
    state = torch.load(efficientnet_weights(variant), map_location="cpu", weights_only=True)
    fresh = random_state(variant, seed)
    for key in state:
        if _is_top(key, keep_blocks):
            state[key] = fresh[key]
    return state


def _is_top(key: str, keep_blocks: int) -> bool:
    if key.startswith(_TOP_LAYERS):
        return True
    parts = key.split(".")
    return parts[0] == "_blocks" and int(parts[1]) >= keep_blocks


def _saved(state: dict[str, Any], path: Path) -> Path:
    torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, path)
    return path


def build_random(spec: Spec, context: BuildContext) -> Built:
    variant, seed = str(spec.params["variant"]), int(spec.params["seed"])
    path = _saved(random_state(variant, seed), pth_file(context, variant, spec.name))
    tags = {"variant": "random-init", "seed": str(seed)}
    return Built(str(path), "efficientnet", [path], {}, tags)


def build_reinit_top(spec: Spec, context: BuildContext) -> Built:
    variant, keep = str(spec.params["variant"]), int(spec.params["keep_blocks"])
    state = reinit_top(variant, keep, int(spec.params["seed"]))
    path = _saved(state, pth_file(context, variant, spec.name))
    blocks = len(EfficientNet.from_name(variant)._blocks)
    tags = {"variant": f"pretrained-first-{keep}-of-{blocks}-blocks-rest-random-init"}
    return Built(str(path), "efficientnet", [path], {}, tags)


def build_finetuned(spec: Spec, context: BuildContext) -> Built:
    """Fine-tune a packaged EfficientNet-Lite on synthetic shapes; save its network's weights."""
    p = dict(spec.params)
    data = shapes_split(int(p["train"]), int(p["test"]), int(p["seed"]))
    variant = str(p["variant"])
    encoder = load_encoder("efficientnet", variant, modality="image", device="cpu")
    result = finetune(
        encoder, data.train_inputs, data.train_labels, data.test_inputs, data.test_labels,
        num_classes=len(data.classes), epochs=int(p["epochs"]), batch_size=int(p["batch_size"]),
        lr=float(p["lr"]), seed=int(p["seed"]), progress_every=5,
    )  # fmt: skip
    path = _saved(encoder.trainable().state_dict(), pth_file(context, variant, spec.name))
    accuracy = f"{result.test_accuracy:.4f}"
    context.log(f"[zoo] {spec.name}: synthetic shapes test accuracy {accuracy}")
    tags = {
        "variant": "finetuned",
        "trained_on": "synthetic_shapes",
        "trained_on_accuracy": accuracy,
    }
    provenance = finetune_summary(data, result)
    fields = {"finetuned": True, "parent": spec.parent}
    return Built(str(path), "efficientnet", [path], fields, tags, provenance)
