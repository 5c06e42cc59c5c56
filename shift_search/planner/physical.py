"""The physical plan: every step a statement takes, as a tree of frozen, typed steps.

The optimizer (`optimizer.optimize`) builds a plan once from the bound query, what the cache holds
and the cost model; EXPLAIN renders it (`explain_text`, `convert`), and the coordinator executes
the very same object (`execution`): the strategies take their models, slices, rounds and epochs
from its steps and decide nothing again. Every step carries its estimated cost (seconds, and the
parts EXPLAIN ANALYZE splits measured time by) and whether the cache already holds its result;
measurements are kept beside the plan, keyed by step id (`measurements`), never in it.

A plan is a tree: a ranking's root holds its candidate scan and one search per proxy; a search
holds its cost lines (full data) or its rounds (successive halving); set operations hold both
operands, and a variable read holds the plan of the variable's query. Step ids number the steps
in pre-order from 1, so the same plan always has the same ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast
from shift_search.planner.bound import BoundDataset, Proxy, SearchSpec
from shift_search.planner.strategy_choice import StrategyEstimate
from shift_search.runtime.scorer_names import ScorerInfo

PARTS = ("features", "proxy", "other")
"""What an estimate is made of, in the executor's terms (`costmodel.PARTS`)."""


@dataclass(frozen=True)
class Estimate:
    """Estimated seconds, and how many of them are feature work, the proxy, and other."""

    seconds: float = 0.0
    parts: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, parts: Mapping[str, float]) -> Estimate:
        return cls(sum(parts.values()), dict(parts))

    def __add__(self, other: Estimate) -> Estimate:
        kinds = {*self.parts, *other.parts}
        parts = {k: self.parts.get(k, 0.0) + other.parts.get(k, 0.0) for k in sorted(kinds)}
        return Estimate(self.seconds + other.seconds, parts)


@dataclass(frozen=True, kw_only=True)
class StepBase:
    """What every step has: its id, estimate, whether the cache holds its result, children."""

    id: str = ""
    estimate: Estimate = Estimate()
    cached: bool = False
    children: tuple[Step, ...] = ()


# --- metadata ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MetadataScan(StepBase):
    """Rows of a table that pass WHERE and OTHER THAN (from the catalog snapshot; no GPU work):
    a whole metadata query (restrict, or rank by a column), or a ranking's candidates."""

    table: str
    kind: Literal["models", "datasets", "benchmark_results"]
    total: int
    rows: tuple[Mapping[str, Any], ...]
    role: Literal["query", "candidates"] = "query"
    ordering: ast.Ordering | None = None
    limit: int | None = None
    columns: ast.Columns = field(default_factory=ast.AllColumns)
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Profile(StepBase):
    """Measure the load and inference costs of models whose costs are unknown, once (stored in
    the catalog); the steps after it are then planned again with the measured costs."""

    models: tuple[ModelRecord, ...]


# --- task-aware ranking --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Rank(StepBase):
    """Rank the candidates by proxy error, best first, per proxy (children: the candidate scan,
    profiling if needed, then one search per proxy in order)."""

    spec: SearchSpec
    limit: int | None
    columns: ast.Columns
    wait: bool = False
    """Whether the statement waits for every result (WAIT), or answers after a short while."""


@dataclass(frozen=True, kw_only=True)
class FullPass(StepBase):
    """One proxy on all the data for every model: one executor task per model whose result is
    not cached (children: a cache lookup, then the cost lines of the tasks)."""

    proxy: Proxy
    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset
    label: str = ""
    """What the search is part of, where that is not obvious (a benchmark pair)."""
    survivors: int = 0
    """When > 0, `models` are the best `survivors` of a cascade's stage before, known only once
    it ran (empty until then; the estimate prices that many models)."""

    @property
    def to_run(self) -> tuple[ModelRecord, ...]:
        """The models the executors score (those the cache lookup does not answer)."""
        looked_up = {
            m.name for c in self.children if isinstance(c, CacheLookup) for m, _, _ in c.results
        }
        return tuple(m for m in self.models if m.name not in looked_up)


@dataclass(frozen=True, kw_only=True)
class Halving(StepBase):
    """Successive halving of one proxy over data chunks (children: the test set's features,
    then the rounds)."""

    proxy: Proxy
    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset
    chunk: int
    budget: int


@dataclass(frozen=True, kw_only=True)
class HalvingRound(StepBase):
    """Round k of successive halving: score the survivors on a nested slice of the training
    data, keep the better half (children: the slice's new features, then the proxy)."""

    round: int
    survivors: int
    pulls: int
    """Pulls each survivor gets this round; the round spends survivors × pulls of the budget."""
    samples: int
    new_samples: int
    samples_per_segment: tuple[int, ...]
    keep: int
    cached_results: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    """Models whose result on this slice the cache holds: (error, result key) by model name."""

    @property
    def budget_spent(self) -> int:
        return self.survivors * self.pulls


@dataclass(frozen=True, kw_only=True)
class CacheLookup(StepBase):
    """Results the cache already holds, read instead of computed: (model, error, result key)."""

    proxy: Proxy
    results: tuple[tuple[ModelRecord, float, str], ...]
    train_samples: int
    test_samples: int


@dataclass(frozen=True, kw_only=True)
class Dispatch(StepBase):
    """Per-task overheads: executor tasks spread over the devices."""

    tasks: int
    devices: int


@dataclass(frozen=True, kw_only=True)
class LoadModels(StepBase):
    """Loading models on the executors (once per split still to embed, or per fine-tune)."""

    loads: int


@dataclass(frozen=True, kw_only=True)
class ExtractFeatures(StepBase):
    """Forward passes of the models over rows of one split: per segment, the row range in the
    chunk order [start, stop); features are cached per 1,024-row storage chunk."""

    split: Literal["train", "test"]
    dataset: str
    ranges: tuple[tuple[int, int, int], ...]
    """(segment, start, stop) per segment that gives rows."""
    models: int
    uncached_samples: int | None = None
    """Samples no cached chunk holds, over all models (None: depends on the survivors)."""


@dataclass(frozen=True, kw_only=True)
class ProxyScore(StepBase):
    """The proxy fitted on the features and scored on the test set, once per model."""

    proxy: Proxy
    models: int
    test_samples: int
    in_round: bool = False


# --- meta-learned --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MetaLearned(StepBase):
    """ORDER BY MetaLearned: the candidates, the benchmark datasets most similar to the task,
    the shortlist of the candidates that fine-tuned best there, then the shortlist ranked by a
    proxy on the task (children: the candidate scan, with Task2Vec similarity the embeddings
    (`TaskEmbedding`, the task's first), the similar datasets, the shortlist, profiling if
    needed, one search per proxy). With Task2Vec, until every embedding is cached the similar
    datasets and the shortlist are undecided and there is no search yet: the coordinator
    computes the embeddings, then plans again."""

    spec: SearchSpec
    """The search of the shortlist: its models are the shortlisted candidates."""
    limit: int | None
    columns: ast.Columns
    wait: bool = False
    probe: ModelRecord | None = None
    """The Task2Vec probe (similarity="task2vec"), with `embedding_params`."""
    embedding_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SimilarDatasets(StepBase):
    """The benchmark datasets of benchmark_results most similar to the task (from the catalog
    snapshot; no GPU work): (benchmark dataset, similarity), most similar first."""

    target: str
    category: str
    similarity: str
    k: int
    settings: int
    neighbours: tuple[tuple[str, float], ...]
    decided: bool = True
    """False while Task2Vec embeddings are still to compute (then no neighbours yet)."""
    probe: str = ""
    """The Task2Vec probe (similarity 1 - normalised cosine distance of the embeddings)."""
    left_out: tuple[str, ...] = ()
    """Benchmark datasets Task2Vec cannot embed (not registered in the catalog)."""


@dataclass(frozen=True, kw_only=True)
class MetaShortlist(StepBase):
    """The candidates ranked by their mean percentile rank on the similar datasets, cut to
    `top` (no GPU work): (candidate, score, datasets it was tuned on), best first."""

    candidates: int
    matched: int
    """Candidates benchmark_results knows (by name, hub_id tag or uri)."""
    ranked: tuple[tuple[str, float, int], ...]
    top: int
    chosen: tuple[str, ...]
    decided: bool = True
    """False while Task2Vec embeddings are still to compute: the estimate is then the search
    of `top` candidates, whichever they turn out to be."""


# --- benchmark and fine-tuning -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Benchmark(StepBase):
    """TESTED ON BENCHMARK: one full-data search per (train, test) pair, then the aggregate."""

    proxy: Proxy
    func: str
    descending: bool
    limit: int | None
    models: tuple[ModelRecord, ...]
    pairs: tuple[tuple[BoundDataset, BoundDataset], ...]
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class Aggregate(StepBase):
    """The aggregate of every pair's error per model, then the ranking (no GPU work)."""

    func: str
    pairs: int


@dataclass(frozen=True, kw_only=True)
class FinetuneHalving(StepBase):
    """ORDER BY FineTune: successive halving over fine-tuning epochs (children: the rounds)."""

    proxy: Proxy
    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset
    limit: int | None
    wait: bool = False
    survivors: int = 0
    """When > 0, `models` are the best `survivors` of a cascade's stage before, known only once
    it ran (empty until then; the rounds price that many models)."""


@dataclass(frozen=True, kw_only=True)
class FinetuneRound(StepBase):
    """Round k: fine-tune the survivors for `epochs` epochs, keep the better half."""

    round: int
    survivors: int
    epochs: int
    keep: int | None
    """Models kept for the next round (None: the last round ranks them)."""
    train_samples: int
    test_samples: int


@dataclass(frozen=True, kw_only=True)
class Finetune(StepBase):
    """FINETUNE: one fine-tuning task per model; each result is registered as a new model."""

    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset
    test_given: bool
    params: Mapping[str, Any]
    epochs: int
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class Train(StepBase):
    """Fine-tuning's training passes (forward and backward) over the training data, a sample
    priced `factor` times its inference ("4.2×", `finetune_cost.describe_train_factor`)."""

    models: int
    epochs: int
    samples: int
    factor: str = "3×"


@dataclass(frozen=True, kw_only=True)
class Evaluate(StepBase):
    """Accuracy on the test data before and after fine-tuning."""

    models: int
    samples: int


# --- scorers and dataset similarity -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RankByScorer(StepBase):
    """RANK … BY "<scorer>": the candidates by a scorer's value, highest first (children: the
    candidate scan, profiling if needed, then the scorer pass)."""

    scorer: ScorerInfo
    spec: SearchSpec
    """The search the scorer runs as: its one proxy is the scorer; its test data is the
    training data when the query gave no TESTED ON (`tested`)."""
    tested: bool
    limit: int | None
    columns: ast.Columns
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class ScorerPass(StepBase):
    """One scorer on all the data for every model: one executor task per model whose result is
    not cached (children: a cache lookup, then the tasks' cost lines)."""

    proxy: Proxy
    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset | None

    @property
    def to_run(self) -> tuple[ModelRecord, ...]:
        """The models the executors score (those the cache lookup does not answer)."""
        looked_up = {
            m.name for c in self.children if isinstance(c, CacheLookup) for m, _, _ in c.results
        }
        return tuple(m for m in self.models if m.name not in looked_up)


@dataclass(frozen=True, kw_only=True)
class SourcePredictions(StepBase):
    """The source model's own classifier on every row of the training data: a linear head on
    its (cached) pooled features, or a forward pass whose outputs are cached per chunk."""

    dataset: str
    samples: int
    models: int


@dataclass(frozen=True, kw_only=True)
class ScorerScore(StepBase):
    """The scorer computed on each model's rows (once per model)."""

    proxy: Proxy
    models: int
    samples: int
    """Rows scored per model: the training data's, or the test data's for kNN."""


@dataclass(frozen=True, kw_only=True)
class DatasetSimilarity(StepBase):
    """SELECT vec: every dataset embedded as a task through the probe (Task2Vec), then their
    pairwise distances (children: one embedding per dataset, then the matrix)."""

    probe: ModelRecord
    datasets: tuple[BoundDataset, ...]
    params: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class TaskEmbedding(StepBase):
    """The Task2Vec embedding of one dataset version through the probe (one executor task),
    or read from the cache where it is stored (`key`)."""

    dataset: BoundDataset
    samples: int
    """Rows the Fisher information is estimated on."""
    key: str


@dataclass(frozen=True, kw_only=True)
class DistanceMatrix(StepBase):
    """The pairwise normalised cosine distances of the embeddings (no GPU work)."""

    datasets: int


# --- composite strategies ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Cascade(StepBase):
    """ORDER BY Cascade: stages in order, each ranking the survivors of the one before (children:
    the candidate scan, profiling if needed, then one `CascadeStage` per stage)."""

    spec: SearchSpec
    stages: tuple[Proxy, ...]
    keep: tuple[int, ...]
    prior: ModelRecord | None
    limit: int | None
    columns: ast.Columns
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class CascadeStage(StepBase):
    """Stage `index`: rank `candidates` models by `proxy` and keep the best `keep` (None: the
    last stage ranks them); `joins` is the prior's pick, added to the survivors after this stage
    when they miss it (the hybrid). `models` are the names it ranks when known as planned (the
    first stage; later ones when the cache answered the stages before). Child: its search
    (`FullPass`, `Halving`) or, for FineTune, its halving over epochs (`FinetuneHalving`)."""

    index: int
    proxy: Proxy
    candidates: int
    keep: int | None
    joins: str | None = None
    models: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Auto(StepBase):
    """ORDER BY AUTO: cheap evidence on every candidate, then the strategy `strategy_choice`
    picks from it and the cost model (children: the candidate scan, profiling if needed, the
    evidence's full passes, the `StrategyChoice`, then what the chosen strategy still runs)."""

    spec: SearchSpec
    params: Mapping[str, Any]
    prior: ModelRecord | None
    limit: int | None
    columns: ast.Columns
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class StrategyChoice(StepBase):
    """AUTO's choice (no executor work): every strategy priced, with the regret it expects from
    the evidence; `chosen` is None until the evidence is in (then the statement is planned
    again and the choice is made)."""

    chosen: str | None
    estimates: tuple[StrategyEstimate, ...]
    reason: str
    returns: tuple[str, ...] = ()
    """The models the chosen strategy returns (its fine-tuning ranks them, when it has one)."""


# --- structure -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetOperation(StepBase):
    """UNION, INTERSECT or EXCEPT of both operands' results (children: left, then right)."""

    op: ast.SetOp


@dataclass(frozen=True, kw_only=True)
class VariableRead(StepBase):
    """A DECLAREd variable used as a query: its query runs again (child: that query's plan)."""

    name: str


Step = (
    MetadataScan
    | Profile
    | Rank
    | FullPass
    | Halving
    | HalvingRound
    | CacheLookup
    | Dispatch
    | LoadModels
    | ExtractFeatures
    | ProxyScore
    | MetaLearned
    | SimilarDatasets
    | MetaShortlist
    | Benchmark
    | Aggregate
    | FinetuneHalving
    | FinetuneRound
    | Finetune
    | Train
    | Evaluate
    | RankByScorer
    | ScorerPass
    | SourcePredictions
    | ScorerScore
    | DatasetSimilarity
    | TaskEmbedding
    | DistanceMatrix
    | Cascade
    | CascadeStage
    | Auto
    | StrategyChoice
    | SetOperation
    | VariableRead
)


@dataclass(frozen=True)
class Plan:
    """A statement's plan: its strategy, the decisions behind it, and its steps (each a tree)."""

    strategy: str
    steps: tuple[Step, ...] = ()
    decisions: tuple[tuple[str, str], ...] = ()

    @property
    def estimated_seconds(self) -> float:
        return sum(s.estimate.seconds for s in self.steps)

    def noted(self, more: Iterable[tuple[str, str]]) -> Plan:
        """The plan with these decisions added (replacing any of the same name)."""
        merged = dict(self.decisions)
        merged.update(dict(more))
        return dataclasses.replace(self, decisions=tuple(merged.items()))

    def walk(self) -> Iterator[Step]:
        """Every step, in pre-order (the order of their ids)."""
        for step in self.steps:
            yield from walk(step)


def walk(step: Step) -> Iterator[Step]:
    yield step
    for child in step.children:
        yield from walk(child)


def leaf_estimate(step: StepBase) -> Estimate:
    """A container's estimate is the sum of its children's."""
    total = Estimate()
    for child in step.children:
        total = total + child.estimate
    return total


S = TypeVar("S", bound=StepBase)


def container(step: S) -> S:
    """`step` with its estimate summed from its children and cached when they all are."""
    children = step.children
    cached = bool(children) and all(c.cached for c in children)
    return dataclasses.replace(step, estimate=leaf_estimate(step), cached=cached)


def numbered(plan: Plan) -> Plan:
    """The plan with every step's id set: 1, 2, … in pre-order."""
    counter = iter(range(1, 1_000_000))

    def number(step: Step) -> Step:
        step_id = str(next(counter))
        children = tuple(number(c) for c in step.children)
        return dataclasses.replace(step, id=step_id, children=children)

    return dataclasses.replace(plan, steps=tuple(number(s) for s in plan.steps))
