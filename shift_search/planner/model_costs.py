"""What one model costs on a query's data, for the cost model: its measured load and inference
costs (defaults until it is profiled), a text model's scaled to the query's text length."""

from __future__ import annotations

from collections.abc import Sequence

from shift_search.cache.records import ModelRecord
from shift_search.planner import costmodel
from shift_search.planner.bound import BoundDataset
from shift_search.runtime.profile_inputs import PROFILE_TEXT_CHARS

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
    return costmodel.ModelCost(load, per_sample)


def text_length_scale(*datasets: BoundDataset) -> float:
    """Mean text length of the datasets (weighted by size) over the profiling texts' length,
    clipped to [0.25, 8]: a transformer's work per sample grows about linearly with its tokens
    at these lengths (measured on the fine-food reviews, 5.3 times as long as the profiling
    texts and batched as the executor batches: MiniLM-L6 took 4.3–4.7 and MiniLM-L3 as ONNX
    8.6–9.3 times as long per sample; linear is the better fit for the pair, within 2x of
    either). 1 when a dataset's text length is unknown (not described yet)."""
    lengths = [(d.size, d.record.mean_input_chars) for d in datasets]
    samples = sum(size for size, _ in lengths)
    if not samples or any(chars is None for _, chars in lengths):
        return 1.0
    mean = sum(size * (chars or 0.0) for size, chars in lengths) / samples
    return min(MAX_TEXT_SCALE, max(MIN_TEXT_SCALE, mean / PROFILE_TEXT_CHARS))


def describe_scale(scale: float) -> str:
    """EXPLAIN's line for the text-length scaling of inference costs."""
    profiled = f"{PROFILE_TEXT_CHARS:.0f}"
    return f"inference costs ×{scale:.2f}: the texts' mean length over {profiled} characters"


def cost_source(models: Sequence[ModelRecord]) -> str:
    """EXPLAIN's line saying where the costs come from."""
    unprofiled = sum(m.inference_cost is None for m in models)
    if not unprofiled:
        return "measured"
    return f"defaults for {unprofiled} model(s) not yet profiled"
