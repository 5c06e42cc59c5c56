"""Bound queries: a statement with every name resolved against the catalog snapshot and the
session (tables and their rows, models, datasets as versions, proxies), ready for the optimizer.
`binder.Binder` makes them; nothing here reads or writes anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shift_search.cache import keys
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.parser import ast
from shift_search.planner.meta_learned import Shortlist, SimilarityKind
from shift_search.planner.predicates import literal
from shift_search.runtime.scorer_names import ScorerInfo

Row = Mapping[str, Any]


@dataclass(frozen=True)
class BoundTable:
    """A table's rows and what they are."""

    kind: str  # "models" | "datasets" | "benchmark_results"
    rows: list[dict[str, Any]]
    schema: tuple[str, ...]
    models: dict[str, ModelRecord]


@dataclass(frozen=True)
class BoundDataset:
    """Data a query trains or tests on, as one dataset version made of segments."""

    label: str
    record: DatasetRecord

    @property
    def size(self) -> int:
        return self.record.size or 0

    @property
    def segment_sizes(self) -> list[int]:
        return [s.size for s in self.record.segments]


@dataclass(frozen=True)
class Proxy:
    """A proxy to compute: canonical name, parameters, and how the query spelled it."""

    name: str
    params: Mapping[str, Any]
    label: str

    @classmethod
    def of(cls, spec: ast.ProxySpec) -> Proxy:
        params = {k: literal(v) for k, v in spec.params}
        return cls(spec.name, params, spec.text or spec.name)


@dataclass(frozen=True)
class SearchSpec:
    """One task-aware search: models, data and proxies, with CHUNK and BUDGET (None: AUTO)."""

    models: Sequence[ModelRecord]
    train: BoundDataset
    test: BoundDataset
    proxies: Sequence[Proxy]
    chunk: int | None
    budget: int | None
    descending: bool = False


@dataclass(frozen=True)
class Scan:
    """The rows of a SELECT's table that pass WHERE and OTHER THAN."""

    table: str
    kind: str
    total: int
    rows: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, name: str, table: BoundTable, rows: Sequence[Mapping[str, Any]]) -> Scan:
        return cls(name, table.kind, len(table.rows), tuple(rows))


@dataclass(frozen=True)
class BoundMetadata:
    """Restrict, or rank by a metadata column: no GPU work."""

    select: ast.Select
    scan: Scan


@dataclass(frozen=True)
class BoundRanking:
    """A task-aware ranking by one or more proxies."""

    select: ast.Select
    scan: Scan
    spec: SearchSpec
    profiled: frozenset[str] = frozenset()
    """Models whose costs were measured for this statement (their profile step ran)."""

    def with_models(self, models: Sequence[ModelRecord], profiled: frozenset[str]) -> BoundRanking:
        return replace(self, spec=replace(self.spec, models=list(models)), profiled=profiled)


@dataclass(frozen=True)
class BoundBenchmark:
    """TESTED ON BENCHMARK: one proxy on every (train, test) pair, aggregated per model."""

    select: ast.Select
    scan: Scan
    models: tuple[ModelRecord, ...]
    proxy: Proxy
    pairs: tuple[tuple[BoundDataset, BoundDataset], ...]
    func: str
    descending: bool
    profiled: frozenset[str] = frozenset()

    def with_models(
        self, models: Sequence[ModelRecord], profiled: frozenset[str]
    ) -> BoundBenchmark:
        return replace(self, models=tuple(models), profiled=profiled)


@dataclass(frozen=True)
class BoundFinetuneRanking:
    """ORDER BY FineTune(…): successive halving over fine-tuning epochs."""

    select: ast.Select
    scan: Scan
    spec: SearchSpec
    profiled: frozenset[str] = frozenset()

    @property
    def proxy(self) -> Proxy:
        return self.spec.proxies[0]

    def with_models(
        self, models: Sequence[ModelRecord], profiled: frozenset[str]
    ) -> BoundFinetuneRanking:
        return replace(self, spec=replace(self.spec, models=list(models)), profiled=profiled)


@dataclass(frozen=True)
class MetaTask2Vec:
    """MetaLearned(similarity="task2vec"): the data embedded through the probe (the task's
    TRAINED ON data, then every benchmark dataset the catalog holds), and, once the cache holds
    every embedding, their distances to the task's."""

    probe: ModelRecord
    params: Mapping[str, Any]
    target: BoundDataset
    datasets: tuple[BoundDataset, ...]
    """The benchmark datasets registered in the catalog, one per name."""
    setting_datasets: Mapping[str, str]
    """Benchmark dataset (setting) → the registered dataset it was fine-tuned on."""
    benchmark: Mapping[str, Mapping[str, float]]
    """The settings on those datasets: {model: accuracy} each."""
    order: tuple[str, ...]
    """The candidates' names in benchmark_results, in candidate order."""
    left_out: tuple[str, ...] = ()
    """Benchmark datasets named in benchmark_results that the catalog does not hold (the
    authors' CSV): nothing to embed, so no neighbours."""
    held: frozenset[str] = frozenset()
    """Keys of the embeddings the cache holds (read as stored work, like cached results)."""
    distances: Mapping[str, float] | None = None
    """Dataset name → normalised cosine distance to the target, once every embedding is held."""

    def key(self, data: BoundDataset) -> str:
        """Where the embedding of `data` through the probe is stored."""
        return keys.task_embedding(self.probe.key, data.record.fingerprint, self.params)

    @property
    def embedded(self) -> tuple[BoundDataset, ...]:
        """Every dataset to embed, the target first, each version once."""
        out: dict[str, BoundDataset] = {}
        for data in (self.target, *self.datasets):
            out.setdefault(self.key(data), data)
        return tuple(out.values())


@dataclass(frozen=True)
class BoundMetaLearned:
    """ORDER BY MetaLearned(k, top, proxy, similarity): the candidates ranked by how they
    fine-tuned on the k benchmark datasets most similar to the task (`shortlist`, from the
    catalog snapshot's benchmark_results), then the first `top` searched with a proxy on the
    task (`spec`, whose models are that shortlist). With Task2Vec similarity the shortlist is
    None (and `spec` has no models) until the cache holds every embedding (`task2vec`)."""

    select: ast.Select
    scan: Scan
    candidates: tuple[ModelRecord, ...]
    spec: SearchSpec
    shortlist: Shortlist | None
    k: int
    top: int
    similarity: SimilarityKind
    target_category: str
    settings: int
    """Benchmark datasets (settings) in benchmark_results the strategy chose among."""
    benchmark_names: Mapping[str, str] = field(default_factory=dict)
    """The benchmark model each candidate is known as there (catalog name → benchmark name)."""
    profiled: frozenset[str] = frozenset()
    task2vec: MetaTask2Vec | None = None

    def with_models(
        self, models: Sequence[ModelRecord], profiled: frozenset[str]
    ) -> BoundMetaLearned:
        return replace(self, spec=replace(self.spec, models=list(models)), profiled=profiled)

    def with_probe(self, probe: ModelRecord, profiled: frozenset[str]) -> BoundMetaLearned:
        """The Task2Vec probe with its measured costs."""
        assert self.task2vec is not None
        task2vec = replace(self.task2vec, probe=probe)
        return replace(self, task2vec=task2vec, profiled=self.profiled | profiled)


@dataclass(frozen=True)
class BoundCascade:
    """ORDER BY Cascade(…): the first stage ranks every candidate (`spec` holds the stages'
    proxies other than FineTune), each next stage the best `keep[i]` of the stage before;
    `prior` is the task-agnostic pick that joins the first stage's survivors (the hybrid)."""

    select: ast.Select
    scan: Scan
    spec: SearchSpec
    stages: tuple[Proxy, ...]
    keep: tuple[int, ...]
    """Models kept after each stage but the last (one count per step between stages)."""
    prior: ModelRecord | None = None
    prior_column: str | None = None
    profiled: frozenset[str] = frozenset()

    @property
    def finetune(self) -> Proxy | None:
        """The last stage when it is FineTune (halving over fine-tuning epochs)."""
        return self.stages[-1] if self.stages[-1].name == "finetune" else None

    def with_models(self, models: Sequence[ModelRecord], profiled: frozenset[str]) -> BoundCascade:
        by_name = {m.name: m for m in models}
        prior = by_name.get(self.prior.name, self.prior) if self.prior is not None else None
        spec = replace(self.spec, models=list(models))
        return replace(self, spec=spec, prior=prior, profiled=profiled)


@dataclass(frozen=True)
class BoundAuto:
    """ORDER BY AUTO: cheap evidence on every candidate (`spec`: its proxies), then the strategy
    chosen from it (`strategy_choice`); `prior` is the task-agnostic pick, `params` tune it."""

    select: ast.Select
    scan: Scan
    spec: SearchSpec
    params: Mapping[str, Any]
    prior: ModelRecord | None = None
    prior_column: str | None = None
    profiled: frozenset[str] = frozenset()

    def with_models(self, models: Sequence[ModelRecord], profiled: frozenset[str]) -> BoundAuto:
        by_name = {m.name: m for m in models}
        prior = by_name.get(self.prior.name, self.prior) if self.prior is not None else None
        spec = replace(self.spec, models=list(models))
        return replace(self, spec=spec, prior=prior, profiled=profiled)


@dataclass(frozen=True)
class BoundFinetune:
    """FINETUNE models WITH data USING params."""

    models: tuple[ModelRecord, ...]
    train: BoundDataset
    test: BoundDataset
    test_given: bool
    params: Mapping[str, Any] = field(default_factory=dict)
    wait: bool = False


@dataclass(frozen=True)
class BoundSetOperation:
    op: ast.SetOp
    left: BoundQuery
    right: BoundQuery


@dataclass(frozen=True)
class BoundVariable:
    """A DECLAREd variable used as a query: its query, bound again."""

    name: str
    query: BoundQuery


@dataclass(frozen=True)
class BoundScorerRanking:
    """RANK … BY "<scorer>": the candidates scored by a scorer on TRAINED ON (and TESTED ON)."""

    rank: ast.Rank
    scan: Scan
    scorer: ScorerInfo
    spec: SearchSpec
    """Its one proxy is the scorer; its test data is the training data when not `tested`."""
    tested: bool
    profiled: frozenset[str] = frozenset()

    def with_models(
        self, models: Sequence[ModelRecord], profiled: frozenset[str]
    ) -> BoundScorerRanking:
        return replace(self, spec=replace(self.spec, models=list(models)), profiled=profiled)


@dataclass(frozen=True)
class BoundSimilarity:
    """SELECT vec: datasets embedded through a probe model (Task2Vec), compared pairwise."""

    datasets: tuple[BoundDataset, ...]
    probe: ModelRecord
    params: Mapping[str, Any]
    profiled: frozenset[str] = frozenset()

    def with_probe(self, probe: ModelRecord, profiled: frozenset[str]) -> BoundSimilarity:
        return replace(self, probe=probe, profiled=profiled)


BoundQuery = (
    BoundMetadata
    | BoundRanking
    | BoundBenchmark
    | BoundFinetuneRanking
    | BoundMetaLearned
    | BoundCascade
    | BoundAuto
    | BoundSetOperation
    | BoundVariable
    | BoundScorerRanking
    | BoundSimilarity
)
BoundStatement = BoundQuery | BoundFinetune
GpuBound = (
    BoundRanking
    | BoundBenchmark
    | BoundFinetuneRanking
    | BoundMetaLearned
    | BoundCascade
    | BoundAuto
)
"""The bound queries that run on the executors and may need their models profiled."""
