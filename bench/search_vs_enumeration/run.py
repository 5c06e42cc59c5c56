"""Running the strategies through the real services: each strategy's SHiFT-QL (`queries`) on a
fresh store ("arena": an in-process server with the pool registered and profiled, the data
registered), timed from the client, so no strategy reads what another computed."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.halving import serve
from bench.search_vs_enumeration.queries import Query, candidates, how_it_ran, is_auto, queries
from bench.search_vs_enumeration.table import Outcome
from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.client import Client
from shift_search.planner.coordinator import Coordinator
from shift_search.planner.profiling import profiled
from shift_search.planner.session import Sessions
from shift_search.runtime.server import ServiceServer

Log = Callable[[str], None]


@dataclass
class Arena:
    """A running server on one store, with the pool registered and the data described."""

    server: ServiceServer
    models: list[ModelRecord]
    train: DatasetRecord
    test: DatasetRecord


@contextmanager
def arena(
    store: Path,
    device: str,
    models: Sequence[ModelRecord],
    train: DatasetRecord,
    test: DatasetRecord,
) -> Iterator[Arena]:
    """Start a server on `store`, register the pool (profiling models without costs) and the
    data (described once on the executor, as REGISTER DATASET does)."""
    server, pool = serve(store, device)
    cache = CacheClient(server.internal_address, timeout=3600)
    try:
        coordinator = Coordinator(cache, pool, Sessions())
        registered = [cache.register_model(m) for m in models]
        costed = profiled(registered, pool, cache, lambda e: None)
        described = [cache.register_dataset(coordinator.describe(d)) for d in (train, test)]
        yield Arena(server, costed, described[0], described[1])
    finally:
        cache.close()
        server.stop(grace=1.0)


@dataclass(frozen=True)
class Setting:
    """What every strategy run of one dataset shares."""

    models: Sequence[ModelRecord]
    train: DatasetRecord
    test: DatasetRecord
    modality: str
    device: str
    workdir: Path
    keep: int = 3
    finetune: Mapping[str, Any] = field(default_factory=dict)
    auto: Mapping[str, Any] = field(default_factory=dict)


def run_strategies(s: Setting, log: Log, only: Sequence[str] = ()) -> list[Outcome]:
    """Every strategy (or those named in `only`), each on a fresh store."""
    scripts = queries(s.models, s.modality, s.train.name, s.test.name, s.keep, s.finetune, s.auto)
    outcomes = []
    for query in scripts:
        if only and query.strategy not in only:
            continue
        o, costed = run_one(s, query)
        s = dataclasses.replace(s, models=costed)  # profiled once: the next stores reuse it
        outcomes.append(o)
        log(f"{o.strategy} ({o.plan}): {', '.join(o.candidates)} in {o.search_seconds:.1f}s")
    return outcomes


def run_one(s: Setting, query: Query) -> tuple[Outcome, list[ModelRecord]]:
    """One strategy's query on its own store, timed from the client to the last event; with
    the models as registered there (their costs profiled, for the next store to reuse)."""
    store = s.workdir / f"{query.strategy.replace(' ', '_').replace('+', '_')}.sqlite3"
    with (
        arena(store, s.device, s.models, s.train, s.test) as a,
        Client(a.server.address, session_id="", timeout=24 * 3600) as client,
    ):
        started = time.perf_counter()
        result = client.query(query.script, progress=False)
        seconds = time.perf_counter() - started
        costed = list(a.models)
    names = [str(row[0]) for row in result.table.rows]
    if not names:
        raise RuntimeError(f"{query.strategy} returned no model")
    plan = result.plans[-1] if result.plans else None
    decisions = dict(plan.decisions) if plan is not None else {}
    chosen = decisions.get("strategy") if is_auto(query.strategy) else None
    detail: dict[str, Any] = {"query": query.script, "returned_rows": names}
    if chosen is not None:
        detail["auto_choice"] = chosen
        detail["auto_reason"] = decisions.get("reason", "")
        if "budget" in decisions:  # the budget, and the evidence priced before it ran
            detail["auto_budget"] = decisions["budget"]
        detail["auto_estimates"] = {
            k.removeprefix("strategy."): v
            for k, v in decisions.items()
            if k.startswith("strategy.")
        }
    elif "reason" in decisions or "right.reason" in decisions:
        detail["reason"] = decisions.get("reason") or decisions.get("right.reason")
    outcome = Outcome(
        query.strategy,
        how_it_ran(query.strategy, decisions),
        candidates(query.strategy, names, chosen),
        seconds,
        detail,
    )
    return outcome, costed
