"""REGISTER MODEL (and `shift register model`): check the record, load the model once on an
executor, and store it with its measured costs.

A model is registered only once it is known to work: its fields are checked here (a known
`source`, `modality` and `pooling`, a `uri`), then an executor profiles it (loads it and embeds
a few inputs of its modality), which both proves it loadable and measures the load and
inference costs the cost model needs, so its first search profiles nothing. Profiling costs one
load and 64 samples: what the first search would pay anyway.

Registering a name again with the same outputs (`records.MODEL_OUTPUT_FIELDS`) keeps what was
measured (costs, dimension, size, the profiling device) and loads nothing; a change of any
output field gives a new model, which is profiled again. Costs written in the statement win
over measured ones.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TypeVar

from shift_search.cache.calls import CacheCalls
from shift_search.cache.records import ModelRecord
from shift_search.cache.validation import validate_model
from shift_search.planner.events import Event
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.profiling import profiled
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

PROFILED_TAG = "profiled_on"
T = TypeVar("T")


def register_model(
    record: ModelRecord,
    cache: CacheCalls,
    pool: ExecutorPool,
    cancelled: threading.Event,
) -> tuple[ModelRecord, str]:
    """The stored record, and how it was checked (for the statement's note)."""
    try:
        validate_model(record)
    except InvalidArgument as err:
        raise InvalidArgument(f"REGISTER MODEL: {err.message}") from None
    old = _registered(cache, record.name)
    if old is not None and old.outputs_digest == record.outputs_digest and _measured(old):
        kept = kept_measurements(record, old)
        return cache.register_model(kept), "same outputs as before: its measured costs kept"
    given = (record.inference_cost, record.load_cost)
    probe = replace(record, inference_cost=None, load_cost=None)
    try:
        (measured,) = profiled([probe], pool, cache, _quiet, cancelled)
    except (NotFound, FailedPrecondition, InvalidArgument) as err:
        fields = f"source={record.source}, uri={record.uri}, modality={record.modality}"
        if record.tokenizer:
            fields += f", tokenizer={record.tokenizer}"
        raise type(err)(
            f'REGISTER MODEL "{record.name}": it cannot be loaded ({fields}): {err.message}; '
            "nothing was registered"
        ) from None
    if given != (None, None):
        measured = cache.register_model(
            replace(
                measured,
                inference_cost=given[0] if given[0] is not None else measured.inference_cost,
                load_cost=given[1] if given[1] is not None else measured.load_cost,
            )
        )
    device = measured.tags.get(PROFILED_TAG, "an executor")
    return measured, f"loaded and profiled on {device}: {_costs(measured)}"


def _quiet(event: Event) -> None:
    """Profiling's own note is left out: the registration's says what was measured."""


def kept_measurements(record: ModelRecord, old: ModelRecord) -> ModelRecord:
    """`record` with what was measured of `old` (the same model) where it gives nothing."""
    tags = dict(record.tags)
    if PROFILED_TAG in old.tags:
        tags.setdefault(PROFILED_TAG, old.tags[PROFILED_TAG])
    return replace(
        record,
        inference_cost=_first(record.inference_cost, old.inference_cost),
        load_cost=_first(record.load_cost, old.load_cost),
        dimension=_first(record.dimension, old.dimension),
        num_params=_first(record.num_params, old.num_params),
        tags=tags,
    )


def _first(value: T | None, fallback: T | None) -> T | None:
    return value if value is not None else fallback


def _measured(record: ModelRecord) -> bool:
    return record.inference_cost is not None and record.load_cost is not None


def _registered(cache: CacheCalls, name: str) -> ModelRecord | None:
    try:
        return cache.get_model(name)
    except NotFound:
        return None


def _costs(record: ModelRecord) -> str:
    load = f"{record.load_cost:.2f} s to load" if record.load_cost is not None else ""
    infer = (
        f"{record.inference_cost:.2f} s per 1,000 samples"
        if record.inference_cost is not None
        else ""
    )
    return ", ".join(x for x in (load, infer) if x) or "costs unknown"
