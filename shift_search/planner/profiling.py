"""Measured model costs for the cost model: each model is profiled once on an executor (load
time, inference seconds per sample on a few batches) and the figures are stored in the catalog."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from shift_search.cache.calls import CacheCalls
from shift_search.cache.records import ModelRecord
from shift_search.planner.events import Event, Note
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.model_costs import needs_profile
from shift_search.planner.waiting import await_work
from shift_search.runtime.errors import ShiftError
from shift_search.tasks.results import ProfileResult
from shift_search.tasks.specs import ProfileTask


def profiled(
    models: Sequence[ModelRecord],
    pool: ExecutorPool,
    cache: CacheCalls,
    emit: Callable[[Event], None],
    cancelled: threading.Event | None = None,
) -> list[ModelRecord]:
    """The models with measured costs; unprofiled ones are measured now and stored. Once
    `cancelled` is set the profiling tasks are cancelled and Cancelled is raised."""
    missing = [m for m in models if needs_profile(m)]
    if not missing:
        return list(models)
    batch = pool.submit([ProfileTask(m) for m in missing])
    await_work(batch, cancelled or threading.Event(), None)
    updated: dict[str, ModelRecord] = {}
    for index, model in enumerate(missing):
        outcome = batch.results[index]
        if isinstance(outcome, ShiftError):
            raise outcome
        p = outcome.of(ProfileResult)
        updated[model.name] = cache.register_model(
            replace(
                model,
                inference_cost=p.infer_seconds_per_sample * 1000.0,
                load_cost=p.load_seconds,
                dimension=model.dimension or p.dimension or None,
                num_params=model.num_params or p.num_params or None,
                tags={**model.tags, "profiled_on": p.device},
            )
        )
    emit(Note(f"profiled {len(missing)} model(s) once: costs stored in the catalog"))
    return [updated.get(m.name, m) for m in models]
