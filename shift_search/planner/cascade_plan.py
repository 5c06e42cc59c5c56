"""Planning ORDER BY Cascade(…): one `CascadeStage` per stage, each priced.

- The first stage is a search like any ranking's (AO chooses SH or a full pass, the cache
  answers what it holds).
- A later proxy stage scores the survivors on the features the first stage embedded: its
  tasks and the proxy, no forward pass when the first stage ran on all the data (after SH the
  survivors' training features reach the last round's slice, the rest is embedded).
- A FineTune stage (always last) is halving over fine-tuning epochs of the survivors.
- With a prior, the prior's pick joins the first stage's survivors when they miss it.

Which models survive a stage is known when the plan is made only if the cache answers that
stage whole (its order is replayed as the run would find it); otherwise a later stage is priced
for as many models as can reach it and takes them when the stage before has run.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence

from shift_search.planner import costmodel, halving
from shift_search.planner.bound import BoundCascade, Proxy, SearchSpec
from shift_search.planner.cached import StoredWork
from shift_search.planner.costmodel import CachedWork, ModelCost
from shift_search.planner.finetune_cost import DEFAULT_EPOCHS, epoch_schedule, halving_steps
from shift_search.planner.finetune_cost import survivors as round_survivors
from shift_search.planner.model_costs import (
    cost_source,
    describe_scale,
    model_cost,
    text_length_scale,
)
from shift_search.planner.physical import (
    CacheLookup,
    Cascade,
    CascadeStage,
    Estimate,
    FinetuneHalving,
    FinetuneRound,
    FullPass,
    Halving,
    HalvingRound,
    Plan,
    Step,
    container,
)
from shift_search.planner.ranking_steps import (
    CostModel,
    cost_line,
    full_pass,
    profile_steps,
    scan_step,
    search_plan,
)
from shift_search.planner.search_cost import Stored
from shift_search.planner.task_aware import best_first


def plan_cascade(bound: BoundCascade, stored: StoredWork, costs: CostModel) -> Plan:
    spec = bound.spec
    root = Cascade(
        spec=spec,
        stages=bound.stages,
        keep=bound.keep,
        prior=bound.prior,
        limit=bound.select.limit,
        columns=bound.select.columns,
        wait=bound.select.wait,
    )
    decisions = {
        "models": str(len(spec.models)),
        "stages": " → ".join(s.label for s in bound.stages),
        "keep": " → ".join(str(k) for k in bound.keep),
        "trained_on": f"{spec.train.label} ({spec.train.size:,} samples)",
        "tested_on": f"{spec.test.label} ({spec.test.size:,} samples)",
        "devices": str(costs.devices),
    }
    if bound.prior_column:
        pick = bound.prior.name if bound.prior is not None else "none (no candidate has one)"
        decisions["prior"] = f"{bound.prior_column}, highest first: {pick} joins the survivors"
    scan = scan_step(bound.scan, "candidates")
    if not spec.models:
        root = container(dataclasses.replace(root, children=(scan,)))
        return Plan("cascade", (root,), tuple((decisions | {"reason": "no models"}).items()))
    planner = _StagePlanner(bound, stored.of(spec), costs)
    stages = planner.stages()
    decisions |= planner.decisions
    decisions["costs"] = cost_source(spec.models)
    scale = text_length_scale(spec.train, spec.test)
    if scale != 1.0:
        decisions["text length"] = describe_scale(scale, spec.train, spec.test)
    work = sum(s.estimate.seconds for s in stages)
    profile = profile_steps(spec.models, bound.profiled, work, costs)
    root = container(dataclasses.replace(root, children=(scan, *profile, *stages)))
    return Plan("cascade", (root,), tuple(decisions.items()))


class _StagePlanner:
    """Plans the stages one after the other, following which models reach each."""

    def __init__(self, bound: BoundCascade, stored: Stored, costs: CostModel) -> None:
        self.bound, self.stored, self.costs = bound, stored, costs
        self.spec = bound.spec
        scale = text_length_scale(self.spec.train, self.spec.test)
        self.model_costs = {m.name: model_cost(m, scale) for m in self.spec.models}
        self.by_name = {m.name: m for m in self.spec.models}
        self.index = {m.name: i for i, m in enumerate(self.spec.models)}
        self.train_features = self.spec.train.size
        """Training samples the survivors have embedded once the first stage ran."""
        self.decisions: dict[str, str] = {}

    def stages(self) -> list[CascadeStage]:
        names = [m.name for m in self.spec.models]
        alive: list[str] | None = names
        count = len(names)
        out = []
        for i, proxy in enumerate(self.bound.stages):
            last = i + 1 == len(self.bound.stages)
            keep = None if last else min(self.bound.keep[i], count)
            joins = self.bound.prior.name if i == 0 and self.bound.prior is not None else None
            child = self._search(i, proxy, alive, count)
            out.append(
                container(
                    CascadeStage(
                        index=i,
                        proxy=proxy,
                        candidates=count,
                        keep=keep,
                        joins=joins,
                        models=tuple(alive or ()),
                        children=(child,),
                    )
                )
            )
            if keep is None:
                break
            order = replayed_order(child) if alive is not None else None
            alive = survivors_of(order, keep, joins) if order is not None else None
            count = len(alive) if alive is not None else keep + (joins is not None)
        return out

    def _search(
        self, i: int, proxy: Proxy, alive: list[str] | None, count: int
    ) -> FullPass | Halving | FinetuneHalving:
        if proxy.name == "finetune":
            return self._finetune(proxy, alive, count)
        if i == 0:
            first = dataclasses.replace(self.spec, proxies=[proxy])
            priced, (search,) = search_plan(first, self.costs, _only(self.stored, 0))
            decision = priced.decision
            if decision.use_sh and decision.schedule is not None:
                self.train_features = decision.schedule.samples[-1]
            self.decisions |= {
                "first stage": (
                    f"successive halving, chunk {decision.chunk}, budget {decision.budget}"
                    if decision.use_sh
                    else "all the data"
                ),
                "reason": decision.reason,
            }
            return search
        return self._later(i, proxy, alive, count)

    def _later(self, j: int, proxy: Proxy, alive: list[str] | None, count: int) -> FullPass:
        """A later proxy stage: the survivors on the features the first stage embedded."""
        spec = self.spec
        names = alive if alive is not None else []
        costs = [self.model_costs[n] for n in names] or [_mean(self.model_costs.values())] * count
        done = [self.stored.result(j, self.index[n], spec.train.size) is not None for n in names]
        work = [CachedWork(self.train_features, spec.test.size, d) for d in done] or [
            CachedWork(self.train_features, spec.test.size, False)
        ] * count
        args = (costs, spec.train.size, spec.test.size, proxy.name, self.costs.devices, None, work)
        steps = costmodel.estimate_steps(*args, constants=self.costs.constants)
        parts = costmodel.estimate_parts(*args, constants=self.costs.constants)
        lines = list(zip(steps, parts, strict=True))
        if alive is not None:
            models = [self.by_name[n] for n in alive]
            sub = SearchSpec(models, spec.train, spec.test, [proxy], None, None)
            return full_pass(sub, 0, lines, self.costs.devices, self._subset(j, alive))
        stand_in = SearchSpec([spec.models[0]] * count, spec.train, spec.test, [proxy], None, None)
        children = tuple(cost_line(stand_in, 0, e, p, self.costs.devices) for e, p in lines)
        step = FullPass(
            proxy=proxy,
            models=(),
            train=spec.train,
            test=spec.test,
            survivors=count,
            children=children,
        )
        return container(step)

    def _subset(self, j: int, names: Sequence[str]) -> Stored:
        """What the cache holds for proxy `j` and the models `names`, in their order."""
        rows = [self.index[n] for n in names]
        return Stored(
            [max(self.stored.train_samples[i], self.train_features) for i in rows],
            [self.spec.test.size] * len(rows),
            [[self.stored.scored[j][i] for i in rows]],
        )

    def _finetune(self, proxy: Proxy, alive: list[str] | None, count: int) -> FinetuneHalving:
        """Halving over fine-tuning epochs of the survivors (as ORDER BY FineTune)."""
        spec = self.spec
        epochs = int(proxy.params.get("epochs", DEFAULT_EPOCHS))
        schedule = epoch_schedule(count, epochs)
        names = alive if alive is not None else []
        costs = [self.model_costs[n] for n in names] or [_mean(self.model_costs.values())] * count
        estimates = halving_steps(
            costs, spec.train.size, spec.test.size, schedule, self.costs.devices,
            self.costs.constants,
        )  # fmt: skip
        kept = round_survivors(count, len(schedule))
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
        self.decisions["fine-tuning"] = (
            f"{count} models, halving over epochs {' → '.join(str(e) for e in schedule)}"
        )
        step = FinetuneHalving(
            proxy=proxy,
            models=tuple(self.by_name[n] for n in names),
            train=spec.train,
            test=spec.test,
            limit=None,
            survivors=0 if alive is not None else count,
            children=rounds,
        )
        return container(step)


def survivors_of(order: Sequence[str], keep: int, joins: str | None) -> list[str]:
    """The best `keep` of a stage's order, and the prior's pick when they miss it."""
    kept = list(order[:keep])
    if joins is not None and joins not in kept and joins in order:
        kept.append(joins)
    return kept


def replayed_order(step: Step) -> list[str] | None:
    """A stage's order, best first, when the cache answers it whole (as the run would find it:
    `task_aware.Search`); None when something is still to compute."""
    match step:
        case FullPass():
            found = {
                m.name: error
                for c in step.children
                if isinstance(c, CacheLookup)
                for m, error, _ in c.results
            }
            if not step.models or len(found) < len(step.models):
                return None
            return best_first(found, False)
        case Halving():
            return _replayed_halving(step)
        case _:
            return None


def _replayed_halving(step: Halving) -> list[str] | None:
    alive = [m.name for m in step.models]
    eliminated: list[str] = []
    scores: dict[str, float] = {}
    for rnd in (c for c in step.children if isinstance(c, HalvingRound)):
        if not all(n in rnd.cached_results for n in alive):
            return None
        scores = {n: rnd.cached_results[n][0] for n in alive}
        kept = halving.eliminate(scores, rnd.keep)
        eliminated = [n for n in best_first(scores, False) if n not in kept] + eliminated
        alive = kept
    return best_first({n: scores[n] for n in alive}, False) + eliminated


def _only(stored: Stored, j: int) -> Stored:
    """The stored work of proxy `j` alone."""
    return Stored(stored.train_samples, stored.test_samples, [stored.scored[j]])


def _mean(costs: Iterable[ModelCost]) -> ModelCost:
    values = list(costs)
    return ModelCost(
        statistics.fmean(c.load_seconds for c in values),
        statistics.fmean(c.infer_seconds_per_sample for c in values),
        statistics.fmean(c.train_factor for c in values),
    )
