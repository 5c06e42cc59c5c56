"""Planning ORDER BY AUTO: the evidence (CosineNN and LogME on every candidate, on all the data so
that every model is scored on the same samples), then `strategy_choice.choose`.

Until the evidence is in the cache the choice is open: the plan holds the evidence's full passes
and an undecided `StrategyChoice` that prices every strategy. The coordinator runs the evidence
first and plans the statement again (as it does after profiling), and the choice is then made
from the cached evidence: the final plan reads the evidence from the cache, shows the choice with
its reasons, and holds what the chosen strategy still runs (halving over fine-tuning epochs for
hybrid_sh; nothing for the cascade and the hybrid, which the evidence answers). A `budget` prices
the evidence as if nothing were cached, before and after it ran, so the choice does not change
once the evidence is paid for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from shift_search.planner.bound import BoundAuto, Proxy
from shift_search.planner.cached import StoredWork, empty
from shift_search.planner.finetune_cost import epoch_schedule, halving_steps
from shift_search.planner.finetune_cost import survivors as round_survivors
from shift_search.planner.model_costs import cost_source, model_cost, text_length_scale
from shift_search.planner.physical import (
    Auto,
    CacheLookup,
    Estimate,
    FinetuneHalving,
    FinetuneRound,
    FullPass,
    Halving,
    Plan,
    Step,
    StrategyChoice,
    container,
)
from shift_search.planner.ranking_steps import CostModel, profile_steps, scan_step, search_plan
from shift_search.planner.strategies import finetune_params
from shift_search.planner.strategy_choice import (
    LABELS,
    Budget,
    Choice,
    Evidence,
    Pricing,
    choose,
)
from shift_search.runtime.proxy_names import COSINE_NN, LOGME


def plan_auto(bound: BoundAuto, stored: StoredWork, costs: CostModel) -> Plan:
    spec, params = bound.spec, bound.params
    root = Auto(
        spec=spec,
        params=params,
        prior=bound.prior,
        limit=bound.select.limit,
        columns=bound.select.columns,
        wait=bound.select.wait,
    )
    decisions = {
        "models": str(len(spec.models)),
        "evidence": ", ".join(p.label for p in spec.proxies) + " on all the data",
        "trained_on": f"{spec.train.label} ({spec.train.size:,} samples)",
        "tested_on": f"{spec.test.label} ({spec.test.size:,} samples)",
        "devices": str(costs.devices),
        "target": f"expected regret ≤ {params['regret']:g} point(s)",
    }
    if bound.prior_column:
        pick = bound.prior.name if bound.prior is not None else "none (no candidate has one)"
        decisions["prior"] = f"{bound.prior_column}, highest first: {pick}"
    scan = scan_step(bound.scan, "candidates")
    if not spec.models:
        root = container(dataclasses.replace(root, children=(scan,)))
        return Plan("auto", (root,), tuple((decisions | {"reason": "no models"}).items()))
    _, searches = search_plan(spec, costs, stored.of(spec), use_sh=False)
    scale = text_length_scale(spec.train, spec.test)
    pricing = Pricing(
        {m.name: model_cost(m, scale) for m in spec.models},
        spec.train.size,
        spec.test.size,
        int(params["epochs"]),
        costs.devices,
        costs.constants,
    )
    evidence = read_evidence(searches, bound.prior.name if bound.prior else None, spec.test.size)
    budget = None
    if params.get("budget") is not None:
        unstored, _ = search_plan(spec, costs, empty(spec), use_sh=False)
        budget = Budget(float(params["budget"]), unstored.seconds)
        decisions["budget"] = budget.describe(pricing)
    choice = choose(evidence, pricing, float(params["regret"]), int(params["keep"]), budget)
    decisions |= _described(choice, pricing)
    step = StrategyChoice(
        chosen=choice.chosen,
        estimates=choice.estimates,
        reason=choice.reason,
        returns=choice.estimate(choice.chosen).returns if choice.chosen else (),
        cached=choice.chosen is not None,
    )
    after = _halving(bound, step.returns, costs) if choice.chosen == "hybrid_sh" else ()
    work = sum(s.estimate.seconds for s in (*searches, *after))
    profile = profile_steps(spec.models, bound.profiled, work, costs)
    children = (scan, *profile, *searches, step, *after)
    root = container(dataclasses.replace(root, children=children))
    decisions["costs"] = cost_source(spec.models)
    return Plan("auto", (root,), tuple(decisions.items()))


def read_evidence(
    searches: Sequence[FullPass | Halving], prior: str | None, test_samples: int
) -> Evidence | None:
    """The evidence when the cache holds it for every candidate (else None: not yet run)."""
    found: dict[str, dict[str, float]] = {}
    for search in searches:
        if not isinstance(search, FullPass):
            return None
        lookups = [c for c in search.children if isinstance(c, CacheLookup)]
        errors = {m.name: error for c in lookups for m, error, _ in c.results}
        if len(errors) < len(search.models):
            return None
        found[search.proxy.name] = errors
    return Evidence(found.get(COSINE_NN, {}), found.get(LOGME, {}), prior, test_samples)


def finetune_proxy(bound: BoundAuto) -> Proxy:
    """The FineTune AUTO's halving runs, with AUTO's epochs and fine-tuning parameters."""
    params = finetune_params(bound.params)
    label = ", ".join(f"{k}={_number(v)}" for k, v in params.items())
    return Proxy("finetune", params, f"FineTune({label})")


def _halving(
    bound: BoundAuto, names: Sequence[str], costs: CostModel
) -> tuple[FinetuneHalving, ...]:
    """Halving over fine-tuning epochs of hybrid_sh's contenders (none: one contender is
    simply fine-tuned by the user)."""
    if len(names) < 2:
        return ()
    spec = bound.spec
    by_name = {m.name: m for m in spec.models}
    models = [by_name[n] for n in names]
    proxy = finetune_proxy(bound)
    schedule = epoch_schedule(len(models), int(bound.params["epochs"]))
    scale = text_length_scale(spec.train, spec.test)
    estimates = halving_steps(
        [model_cost(m, scale) for m in models], spec.train.size, spec.test.size, schedule,
        costs.devices, costs.constants,
    )  # fmt: skip
    kept = round_survivors(len(models), len(schedule))
    rounds = tuple(
        FinetuneRound(
            round=k,
            survivors=n,
            epochs=e,
            keep=kept[k + 1] if k + 1 < len(kept) else None,
            train_samples=spec.train.size,
            test_samples=spec.test.size,
            estimate=Estimate(est.seconds, {"features": est.seconds}),
        )
        for k, (est, n, e) in enumerate(zip(estimates, kept, schedule, strict=True))
    )
    step = FinetuneHalving(
        proxy=proxy,
        models=tuple(models),
        train=spec.train,
        test=spec.test,
        limit=None,
        children=rounds,
    )
    return (container(step),)


def _described(choice: Choice, pricing: Pricing) -> dict[str, str]:
    """The choice and every strategy's estimate, as EXPLAIN's decisions."""
    unit = pricing.mean_finetune()
    out = {"strategy": choice.chosen or "decided after the evidence", "reason": choice.reason}
    for e in choice.estimates:
        if not e.available:
            out[f"strategy.{e.name}"] = f"unavailable: {e.note}"
            continue
        cost = f"{e.seconds:,.1f} s"
        if unit:
            cost += f" ({e.seconds / unit:.2f} fine-tunes)"
        regret = (
            "expected regret after the evidence"
            if e.expected_regret is None
            else f"expected regret {e.expected_regret:.2f} points"
        )
        returned = f"returns {', '.join(e.returns)}; " if e.returns else ""
        out[f"strategy.{e.name}"] = f"{LABELS[e.name]}: {returned}{cost}; {regret}"
    return out


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def priced_as_run(plan: Plan, evidence: Sequence[Estimate]) -> Plan:
    """The decided plan with AUTO's evidence steps priced as they were before they ran (their
    estimates, in order), so EXPLAIN ANALYZE sets what the evidence cost beside what it was
    expected to cost; the final plan alone would price it as cache lookups (0 s). Every step
    above them is a container, re-summed from its children."""
    left = list(evidence)

    def step(s: Step) -> Step:
        if isinstance(s, Auto):
            children = tuple(
                dataclasses.replace(c, estimate=left.pop(0))
                if isinstance(c, FullPass) and left
                else c
                for c in s.children
            )
        else:
            children = tuple(step(c) for c in s.children)
        if children == s.children:
            return s
        return container(dataclasses.replace(s, children=children))

    return dataclasses.replace(plan, steps=tuple(step(s) for s in plan.steps))
