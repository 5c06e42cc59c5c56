"""Writing a fine-tuned model: a folder with model.safetensors, head.safetensors, finetune.json
(and config.json for transformers models), published atomically with os.replace."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file, save_model

from shift_search.executor.encoders.encoder import Encoder

MODEL_FILE = "model.safetensors"
HEAD_FILE = "head.safetensors"
INFO_FILE = "finetune.json"


def save_finetuned(
    output_dir: Path,
    module: torch.nn.Module,
    head: torch.nn.Module,
    encoder: Encoder,
    run: Mapping[str, Any],
    lineage: Mapping[str, Any],
) -> Path:
    """Write the folder beside `output_dir` under a temporary name, then move it into place
    (replacing an earlier one). Nothing is left behind if writing fails."""
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = output_dir.parent / f".{output_dir.name}.partial-{uuid.uuid4().hex}"
    partial.mkdir()
    try:
        _write(partial, module, head, encoder, run, lineage)
        _publish(partial, output_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return output_dir


def _write(
    folder: Path,
    module: torch.nn.Module,
    head: torch.nn.Module,
    encoder: Encoder,
    run: Mapping[str, Any],
    lineage: Mapping[str, Any],
) -> None:
    save_model(module, str(folder / MODEL_FILE))
    head_weights = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    save_file(head_weights, str(folder / HEAD_FILE))
    config: Any = getattr(module, "config", None)
    if config is not None and hasattr(config, "to_json_file"):
        config.to_json_file(str(folder / "config.json"))
    info = {
        "num_classes": run["num_classes"],
        "dimension": encoder.dimension,
        "modality": encoder.modality,
        "run": dict(run),
        "lineage": dict(lineage),
    }
    (folder / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True, default=str))


def _publish(partial: Path, output_dir: Path) -> None:
    """Move `partial` to `output_dir`; an existing folder there is swapped out, then removed."""
    retired = None
    if output_dir.exists():
        retired = output_dir.parent / f".{output_dir.name}.old-{uuid.uuid4().hex}"
        os.replace(output_dir, retired)
    os.replace(partial, output_dir)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
