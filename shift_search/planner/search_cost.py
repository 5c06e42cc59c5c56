"""Pricing a whole task-aware search: every proxy it computes, one after the other, and what the
cache already holds.

The search runs its proxies in order, each as a search of its own, all with SH or all without
(AUTO compares the totals over every proxy). Features are shared: what one proxy embedded, the
next reads from the cache, so forward passes and model loads are paid once; a later proxy pays
its tasks' overhead and the proxy itself. With SH each proxy keeps its own survivors, and which
models an earlier proxy carried to round k is unknown: the estimate lets the first S_k models in
catalog order have reached it, and since an SH round prices its mean model, about S_k / M of a
later proxy's survivors find their slice cached (survivors independent of the proxy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shift_search.planner.costmodel import (
    DEFAULT_CONSTANTS,
    CachedWork,
    CostConstants,
    Decision,
    ModelCost,
    StepEstimate,
    choose,
    decide,
    estimate_parts,
    estimate_steps,
)
from shift_search.planner.halving import Schedule, auto_chunk, make_schedule, minimal_budget


@dataclass(frozen=True)
class Stored:
    """What the cache holds for one search, per model: features, and per proxy the training
    sample counts a result is stored for, with the result (error, key)."""

    train_samples: Sequence[int]
    test_samples: Sequence[int]
    scored: Sequence[Sequence[Mapping[int, tuple[float, str]]]]
    """[proxy][model]: (error, result key) by the training-sample count it was scored on."""

    def result(self, proxy: int, model: int, samples: int) -> tuple[float, str] | None:
        """The stored (error, key) of a model scored on `samples` training samples, if any."""
        return self.scored[proxy][model].get(samples)

    def work(self, proxy: int, samples: int) -> list[CachedWork]:
        """Cached work for proxy number `proxy`, done where scored on `samples` samples."""
        return [
            CachedWork(train, test, samples in done)
            for train, test, done in zip(
                self.train_samples, self.test_samples, self.scored[proxy], strict=True
            )
        ]

    def summary(self, samples: int) -> str:
        """What is cached, for EXPLAIN; empty when nothing is."""
        done = sum(samples in s for s in self.scored[0])
        pairs = zip(self.train_samples, self.test_samples, strict=True)
        embedded = sum(t > 0 or s > 0 for t, s in pairs)
        if not done and not embedded:
            return ""
        return (
            f"results of {done} of {len(self.scored[0])} models, features of {embedded}; "
            "cached work is read, not computed"
        )


@dataclass(frozen=True)
class ProxyCost:
    """One proxy's steps and what each is made of (`costmodel.estimate_parts`)."""

    steps: list[StepEstimate]
    parts: list[dict[str, float]]


@dataclass(frozen=True)
class SearchCost:
    """AO's choice and, for the chosen way, every proxy's steps in the order they run."""

    decision: Decision
    proxies: list[ProxyCost]

    @property
    def seconds(self) -> float:
        return sum(s.seconds for p in self.proxies for s in p.steps)


def price_search(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxies: Sequence[str],
    devices: int,
    chunk: int | None = None,
    budget: int | None = None,
    stored: Stored | None = None,
    constants: CostConstants = DEFAULT_CONSTANTS,
    use_sh: bool | None = None,
) -> SearchCost:
    """Price every proxy with and without SH and choose (None: AUTO, as `costmodel.decide`);
    `use_sh` forces one way (a benchmark comparing both)."""
    if not models:
        decision = decide(models, n_train, n_test, proxies[0], devices, constants=constants)
        return SearchCost(decision, _price(models, n_train, n_test, proxies, devices, None, None))
    m = len(models)
    budget_used = minimal_budget(m) if budget is None else budget
    chunk_used = auto_chunk(m, budget_used, n_train) if chunk is None else chunk
    schedule = make_schedule(m, budget_used, chunk_used, n_train)
    args = (models, n_train, n_test, proxies, devices)
    with_sh = _price(*args, schedule, stored, constants)
    without = _price(*args, None, stored, constants)
    total_with, total_without = _total(with_sh), _total(without)
    fixed = chunk is not None or budget is not None
    chosen, reason = choose(schedule, total_with, total_without, fixed)
    if use_sh is not None and use_sh != chosen:
        chosen, reason = use_sh, f"forced by the caller; AUTO would not: {reason}"
    decision = Decision(
        chosen, chunk_used, budget_used, total_with, total_without, reason, schedule
    )
    return SearchCost(decision, with_sh if chosen else without)


def _total(priced: list[ProxyCost]) -> float:
    return sum(s.seconds for p in priced for s in p.steps)


def _price(
    models: Sequence[ModelCost],
    n_train: int,
    n_test: int,
    proxies: Sequence[str],
    devices: int,
    schedule: Schedule | None,
    stored: Stored | None,
    constants: CostConstants = DEFAULT_CONSTANTS,
) -> list[ProxyCost]:
    """Each proxy in turn, with the features the ones before it left in the cache."""
    needed = schedule.samples[0] if schedule is not None else n_train
    m = len(models)
    features = [(0, 0)] * m
    if stored is not None:
        features = list(zip(stored.train_samples, stored.test_samples, strict=True))
    out = []
    for j, proxy in enumerate(proxies):
        done = [w.proxy_done for w in stored.work(j, needed)] if stored else [False] * m
        work = [CachedWork(t, s, d) for (t, s), d in zip(features, done, strict=True)]
        args = (models, n_train, n_test, proxy, devices, schedule, work, constants)
        out.append(ProxyCost(estimate_steps(*args), estimate_parts(*args)))
        features = _after(work, schedule, n_train, n_test)
    return out


def _after(
    work: Sequence[CachedWork], schedule: Schedule | None, n_train: int, n_test: int
) -> list[tuple[int, int]]:
    """Features cached once a proxy ran: all the data without SH; with SH the whole test set
    and the slice of the last round a model reached (the first S_k models reach round k)."""
    out = []
    for i, w in enumerate(work):
        if w.proxy_done:  # answered from the cache: nothing new embedded
            out.append((w.train_samples, w.test_samples))
            continue
        reached = n_train
        if schedule is not None:
            rounds = zip(schedule.survivors, schedule.samples, strict=True)
            reached = max(n for s, n in rounds if i < s)
        out.append((max(w.train_samples, reached), n_test))
    return out
