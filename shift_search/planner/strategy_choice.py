"""AUTO's choice of a strategy: a pure function of cheap evidence (1-NN and LogME on every
candidate, and the task-agnostic prior's pick) and the cost model.

The strategies (each returns the models a user fine-tunes, or fine-tunes them itself):
- cascade: 1-NN keeps its best `keep`, LogME picks one of them — nothing left to search;
- hybrid: the cascade's pick and the prior's pick (the paper's Q4 with these proxies);
- hybrid_sh: the contenders (the cascade's pick and the models the evidence votes for, the
  prior's pick among them; `keep` + 1 at most) go through successive halving over fine-tuning
  epochs; the winner is fine-tuned by the search itself;
- meta: the meta-learned strategy (best fine-tuned models on similar benchmark datasets), a slot
  for when stored benchmark results exist: unavailable until then.

Expected regret, in accuracy points, from how much the evidence agrees. Each piece of evidence
votes for the model it ranks first: 1-NN one vote, shared by every model whose 1-NN error is
within two standard errors of the best (sqrt(e(1 − e) / N_test): the proxy cannot tell them
apart); LogME one vote; the prior half a vote (task-agnostic picks are the weakest, bench.replay).
A model's vote share is the chance it is the best. A strategy that leaves out a model the evidence
votes for is expected to lose what that model would add: its 1-NN advantage over the best model
the strategy keeps, and at least the proxy's noise (two standard errors, in points). So when the
evidence agrees, every strategy returning the agreed model expects no regret and the cheapest
wins (stop early); when it disagrees, only strategies that keep every voted model stay under the
target, and they cost more (spend more). AUTO takes the cheapest strategy whose expected regret is
at most the target (`regret`, 1 point by default), else the one expecting the least.

A `budget` (in fine-tunes of the mean candidate) bounds what the search itself costs: the
evidence, which every strategy pays, and what the strategy still runs after it (halving over
fine-tuning epochs); fine-tuning what it returns is the user's. AUTO then chooses as above among
the strategies within the budget; when none is (the evidence alone costs more), it takes the
cheapest search and says by how much the budget is over.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shift_search.planner import finetune_cost
from shift_search.planner.costmodel import DEFAULT_CONSTANTS, CostConstants, ModelCost

STRATEGIES = ("cascade", "hybrid", "hybrid_sh", "meta")
LABELS = {
    "cascade": "1-NN keeps the best, LogME picks one",
    "hybrid": "the cascade's pick and the prior's pick, both fine-tuned",
    "hybrid_sh": "every model the evidence votes for, halving over fine-tuning epochs",
    "meta": "meta-learned: best fine-tuned models on similar benchmark datasets",
}
META_UNAVAILABLE = "no stored benchmark results to learn from (benchmark_results is empty)"
VOTES = {"nn": 1.0, "logme": 1.0, "prior": 0.5}
NOISE_SE = 2.0
"""Standard errors of the 1-NN error within which two models are a tie."""


@dataclass(frozen=True)
class Evidence:
    """What AUTO knows before choosing: 1-NN test error and −LogME (lower is better) per
    candidate, the prior's pick, and the test set's size (for the 1-NN error's noise)."""

    nn: Mapping[str, float]
    logme: Mapping[str, float]
    prior: str | None
    test_samples: int


@dataclass(frozen=True)
class Pricing:
    """What fine-tuning costs, per candidate (seconds): a fine-tune of `epochs` epochs, and
    halving over fine-tuning epochs of a set of models (`finetune_cost`)."""

    models: Mapping[str, ModelCost]
    train_samples: int
    test_samples: int
    epochs: int
    devices: int = 1
    constants: CostConstants = DEFAULT_CONSTANTS

    def finetune(self, names: Sequence[str]) -> float:
        """Fine-tuning each of `names` once, one after the other."""
        costs = [self.models[n] for n in names]
        steps = finetune_cost.finetune_steps(
            costs, self.train_samples, self.test_samples, self.epochs, 1, self.constants
        )
        return sum(s.seconds for s in steps) if costs else 0.0

    def halving(self, names: Sequence[str]) -> float:
        """Successive halving over fine-tuning epochs of `names`, ending at `epochs`."""
        if not names:
            return 0.0
        schedule = finetune_cost.epoch_schedule(len(names), self.epochs)
        costs = [self.models[n] for n in names]
        steps = finetune_cost.halving_steps(
            costs, self.train_samples, self.test_samples, schedule, self.devices, self.constants
        )
        return sum(s.seconds for s in steps)

    def mean_finetune(self) -> float:
        """One fine-tune of the mean candidate: the unit of "fine-tune equivalents"."""
        names = list(self.models)
        return self.finetune(names) / len(names) if names else 0.0


@dataclass(frozen=True)
class StrategyEstimate:
    """One strategy, priced: the models it returns, what it still runs after the evidence, the
    fine-tuning of what it returns (none when its search fine-tunes), its expected regret
    (None before the evidence is in) and whether it can run at all."""

    name: str
    available: bool
    returns: tuple[str, ...] = ()
    search_seconds: float = 0.0
    finetune_seconds: float = 0.0
    expected_regret: float | None = None
    note: str = ""

    @property
    def seconds(self) -> float:
        return self.search_seconds + self.finetune_seconds


@dataclass(frozen=True)
class Choice:
    """The strategy AUTO runs (None before the evidence), every estimate, and why."""

    chosen: str | None
    estimates: tuple[StrategyEstimate, ...]
    reason: str
    votes: Mapping[str, float] = field(default_factory=dict)

    def estimate(self, name: str) -> StrategyEstimate:
        return next(e for e in self.estimates if e.name == name)


# --- the evidence ------------------------------------------------------------------------------


def best_first(scores: Mapping[str, float]) -> list[str]:
    """Names by score, lowest first (NaN last), ties by name."""
    return sorted(scores, key=lambda n: (math.isnan(scores[n]), scores[n], n))


def noise(error: float, test_samples: int) -> float:
    """The standard error of a test error rate measured on `test_samples` samples."""
    e = min(max(error, 0.0), 1.0)
    return math.sqrt(max(e * (1 - e), 1.0 / max(test_samples, 1)) / max(test_samples, 1))


def cascade_order(ev: Evidence, keep: int) -> list[str]:
    """1-NN's best `keep`, ordered by LogME (the cascade's survivors, its pick first)."""
    kept = best_first(ev.nn)[:keep]
    return best_first({n: ev.logme.get(n, math.inf) for n in kept})


def votes(ev: Evidence) -> dict[str, float]:
    """Each candidate's share of the evidence's votes: the chance it is the best (see the
    module's docstring)."""
    tally: dict[str, float] = {}
    order = best_first(ev.nn)
    if order:
        best = ev.nn[order[0]]
        ties = [n for n in order if ev.nn[n] - best <= NOISE_SE * noise(best, ev.test_samples)]
        for name in ties:
            tally[name] = tally.get(name, 0.0) + VOTES["nn"] / len(ties)
    if ev.logme:
        top = best_first(ev.logme)[0]
        tally[top] = tally.get(top, 0.0) + VOTES["logme"]
    if ev.prior is not None:
        tally[ev.prior] = tally.get(ev.prior, 0.0) + VOTES["prior"]
    total = sum(tally.values())
    return {n: v / total for n, v in tally.items()} if total else {}


def expected_regret(ev: Evidence, kept: Sequence[str]) -> float:
    """Points a strategy keeping (fine-tuning) `kept` is expected to lose (module docstring)."""
    if not kept:
        return math.inf
    share = votes(ev)
    best_kept = min(ev.nn.get(n, math.inf) for n in kept)
    order = best_first(ev.nn)
    floor = 100.0 * NOISE_SE * noise(ev.nn[order[0]], ev.test_samples) if order else 0.0
    lost = 0.0
    for name, p in share.items():
        if name in kept:
            continue
        advantage = 100.0 * (best_kept - ev.nn.get(name, math.inf))
        lost += p * max(floor, advantage)
    return lost


# --- the strategies ----------------------------------------------------------------------------


def contenders(ev: Evidence, keep: int) -> list[str]:
    """What hybrid_sh fine-tunes: the cascade's pick, then the models the evidence votes for
    (the prior's pick among them), most votes first (ties: lower 1-NN error), `keep` + 1 in all."""
    share = votes(ev)
    out = cascade_order(ev, keep)[:1]
    voted = sorted(share, key=lambda n: (-share[n], ev.nn.get(n, math.inf), n))
    out += [n for n in voted if n not in out]
    return out[: keep + 1]


def returns(name: str, ev: Evidence, keep: int) -> tuple[str, ...]:
    """The models a strategy returns given the evidence (hybrid_sh: its contenders)."""
    pick = cascade_order(ev, keep)[:1]
    match name:
        case "cascade":
            return tuple(pick)
        case "hybrid":
            prior = [ev.prior] if ev.prior is not None and ev.prior not in pick else []
            return (*pick, *prior)
        case "hybrid_sh":
            return tuple(contenders(ev, keep))
        case _:
            return ()


def estimate(name: str, ev: Evidence | None, pricing: Pricing, keep: int) -> StrategyEstimate:
    """A strategy priced (and its regret expected, once the evidence is in)."""
    if name == "meta":
        return StrategyEstimate(name, False, note=META_UNAVAILABLE)
    if ev is None:  # before the evidence: priced for the most models it may return
        size = min(len(pricing.models), keep + 1)
        stand_in = list(pricing.models)[:size]
        count = {"cascade": 1, "hybrid": min(2, size), "hybrid_sh": size}[name]
        models = stand_in[:count]
    else:
        models = list(returns(name, ev, keep))
    regret = expected_regret(ev, models) if ev is not None else None
    if name == "hybrid_sh":
        search = pricing.halving(models) if len(models) > 1 else 0.0
        tune = pricing.finetune(models) if len(models) == 1 else 0.0
        return StrategyEstimate(name, True, tuple(models) if ev else (), search, tune, regret)
    returned = tuple(models) if ev is not None else ()
    return StrategyEstimate(name, True, returned, 0.0, pricing.finetune(models), regret)


@dataclass(frozen=True)
class Budget:
    """What the search may cost, in fine-tunes of the mean candidate (`Pricing.mean_finetune`),
    and what the evidence costs of it (seconds, priced as if nothing were cached: what it
    costs is what it cost, not what is left to run)."""

    finetunes: float
    evidence_seconds: float

    def search(self, e: StrategyEstimate) -> float:
        """A strategy's search: the evidence and what it still runs after it."""
        return self.evidence_seconds + e.search_seconds

    def describe(self, pricing: Pricing) -> str:
        allowed = self.finetunes * pricing.mean_finetune()
        return (
            f"search ≤ {self.finetunes:g} fine-tune(s) = {allowed:,.1f} s;"
            f" the evidence costs {self.evidence_seconds:,.1f} s"
        )


def choose(
    ev: Evidence | None,
    pricing: Pricing,
    target: float,
    keep: int,
    budget: Budget | None = None,
) -> Choice:
    """AUTO's choice: among the available strategies whose search fits `budget` (all without
    one), the cheapest expecting at most `target` points of regret, else the one expecting the
    least (ties: the cheaper); when none fits the budget, the cheapest search. None before the
    evidence."""
    estimates = tuple(estimate(name, ev, pricing, keep) for name in STRATEGIES)
    limit = f" within a search of {budget.finetunes:g} fine-tune(s)" if budget else ""
    if ev is None:
        reason = (
            f"decided once the evidence is in: the cheapest strategy{limit} expecting at most "
            f"{target:g} point(s) of regret, else the one expecting the least"
        )
        return Choice(None, estimates, reason)
    runnable = [e for e in estimates if e.available and e.expected_regret is not None]
    if budget is not None:
        unit = pricing.mean_finetune()
        fits = [e for e in runnable if budget.search(e) <= budget.finetunes * unit + 1e-9]
        if not fits:
            best = min(runnable, key=lambda e: (budget.search(e), e.expected_regret, e.seconds))
            over = budget.search(best) / unit if unit else 0.0
            why = (
                f"no strategy's search fits {budget.finetunes:g} fine-tune(s), the evidence"
                f" alone costs {budget.evidence_seconds:,.1f} s: the cheapest search"
                f" ({over:.2f} fine-tunes)"
            )
            return Choice(best.name, estimates, _reason(best, why, ev, pricing), votes(ev))
        runnable = fits
    within = [e for e in runnable if e.expected_regret <= target + 1e-9]  # type: ignore[operator]
    if within:
        best = min(within, key=lambda e: (e.seconds, len(e.returns), STRATEGIES.index(e.name)))
        why = f"the cheapest{limit} expecting at most {target:g} point(s) of regret"
    else:
        best = min(runnable, key=lambda e: (e.expected_regret, e.seconds))
        why = (
            f"none{limit} expects at most {target:g} point(s) of regret: the one expecting the"
            " least"
        )
    return Choice(best.name, estimates, _reason(best, why, ev, pricing), votes(ev))


def _reason(best: StrategyEstimate, why: str, ev: Evidence, pricing: Pricing) -> str:
    share = votes(ev)
    voted = ", ".join(f"{n} {p:.0%}" for n, p in sorted(share.items(), key=lambda kv: -kv[1]))
    agree = "agrees" if len(share) == 1 else "disagrees"
    unit = pricing.mean_finetune()
    cost = f"{best.seconds:,.1f} s" + (f" = {best.seconds / unit:.2f} fine-tunes" if unit else "")
    regret = best.expected_regret or 0.0
    return (
        f"{best.name} ({why}): expected regret {regret:.2f} points, {cost}; "
        f"the evidence {agree} (chance of being the best: {voted})"
    )
