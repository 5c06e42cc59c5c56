"""What one model costs on a query's data, for the cost model: its measured load and inference
costs (defaults until it is profiled), a text model's scaled to the query's text length."""

from __future__ import annotations

from collections.abc import Sequence

from shift_search.cache.records import ModelRecord
from shift_search.planner import costmodel, finetune_cost
from shift_search.planner.bound import BoundDataset
from shift_search.runtime.profile_inputs import PROFILE_TEXT_CHARS, PROFILE_TEXT_TOKENS

DEFAULT_LOAD_SECONDS = 5.0
"""A model's load before it is profiled: a packaged transformer's first load in an executor
(imports included) takes seconds, an ONNX model's under one."""
DEFAULT_INFER_SECONDS = 5e-3  # per sample, when a model was never profiled
MIN_TEXT_SCALE, MAX_TEXT_SCALE = 0.25, 8.0


def needs_profile(model: ModelRecord) -> bool:
    """Whether a model's costs are unknown (never profiled, none registered)."""
    return model.inference_cost is None or model.load_cost is None


def model_cost(record: ModelRecord, text_scale: float = 1.0) -> costmodel.ModelCost:
    """A model's load and per-sample cost; a text model's is scaled by `text_scale`, how much
    longer the query's texts are than the ones it was profiled on (`text_length_scale`)."""
    per_sample = (
        record.inference_cost / 1000.0
        if record.inference_cost is not None
        else DEFAULT_INFER_SECONDS
    )
    if record.modality == "text":
        per_sample *= text_scale
    load = record.load_cost if record.load_cost is not None else DEFAULT_LOAD_SECONDS
    return costmodel.ModelCost(load, per_sample, finetune_cost.train_factor(record.modality))


def text_length_scale(*datasets: BoundDataset) -> float:
    """How much longer the datasets' texts are (weighted by size) than the profiling texts,
    clipped to [0.25, 8]: in tokens where every dataset's are known (the reference tokenizer's),
    else in characters; 1 when a dataset's length is unknown (not described yet).

    A transformer's work per sample grows about linearly with its tokens at these lengths:
    MiniLM-L6 on 2 cores took 0.21-0.24 ms per token on the profiling texts repeated 1-4 times
    (18-66 tokens), on tweets and on fine-food reviews alike once batches are sorted by tokens;
    characters misjudge tokens (0.32 per character in tweets, 0.22 in the profiling texts)."""
    samples = sum(d.size for d in datasets)
    unit, profiled = _text_length_unit(*datasets)
    lengths = [_mean_length(d, unit) for d in datasets]
    if not samples or any(n is None for n in lengths):
        return 1.0
    mean = sum(d.size * (n or 0.0) for d, n in zip(datasets, lengths, strict=True)) / samples
    return min(MAX_TEXT_SCALE, max(MIN_TEXT_SCALE, mean / profiled))


def _text_length_unit(*datasets: BoundDataset) -> tuple[str, float]:
    """What `text_length_scale` measures the texts in (tokens where every dataset's are known),
    and the profiling texts' length in it."""
    if all(d.record.mean_input_tokens is not None for d in datasets):
        return "tokens", PROFILE_TEXT_TOKENS
    return "characters", PROFILE_TEXT_CHARS


def _mean_length(dataset: BoundDataset, unit: str) -> float | None:
    record = dataset.record
    return record.mean_input_tokens if unit == "tokens" else record.mean_input_chars


def describe_scale(scale: float, *datasets: BoundDataset) -> str:
    """EXPLAIN's line for the text-length scaling of inference costs."""
    unit, profiled = _text_length_unit(*datasets)
    return (
        f"inference costs ×{scale:.2f}: the texts' mean length in {unit} over the profiling"
        f" texts' {profiled:.0f}"
    )


def cost_source(models: Sequence[ModelRecord]) -> str:
    """EXPLAIN's line saying where the costs come from."""
    unprofiled = sum(m.inference_cost is None for m in models)
    if not unprofiled:
        return "measured"
    return f"defaults for {unprofiled} model(s) not yet profiled"
