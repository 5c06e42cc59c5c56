"""Binding names in a query against a catalog snapshot and the session: tables, columns,
datasets, variables, proxies. Unknown names fail with NotFound and the closest known names.

Binding reads and writes nothing: datasets were described when they were registered, and one
that was not (written to the cache directly) is a FailedPrecondition that says how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any, assert_never

from shift_search.cache.dataset_versions import (
    Replacement,
    changed_segment_fingerprint,
    segment_of,
    version_fingerprint,
)
from shift_search.cache.records import ChangeRecord, DatasetRecord, ModelRecord, SegmentRecord
from shift_search.parser import ast, names
from shift_search.planner import meta_learned, predicates, strategies
from shift_search.planner.bound import (
    BoundAuto,
    BoundBenchmark,
    BoundCascade,
    BoundDataset,
    BoundFinetune,
    BoundFinetuneRanking,
    BoundMetadata,
    BoundMetaLearned,
    BoundQuery,
    BoundRanking,
    BoundScorerRanking,
    BoundSetOperation,
    BoundSimilarity,
    BoundTable,
    BoundVariable,
    MetaTask2Vec,
    Proxy,
    Scan,
    SearchSpec,
)
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.grouping import aggregated_columns, check_grouping, is_grouped
from shift_search.planner.predicates import literal
from shift_search.planner.session import Session
from shift_search.planner.statements import sort_rows
from shift_search.planner.tables import (
    BENCHMARK_COLUMNS,
    DATASET_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TABLES,
    benchmark_row,
    dataset_row,
    known_columns,
    model_row,
)
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from shift_search.runtime.proxy_names import FINETUNE, PROXY_NAMES
from shift_search.runtime.scorer_names import closest_scorers, find_scorer, known_scorers
from shift_search.runtime.task_similarity import TASK2VEC_PARAMS


class Binder:
    def __init__(self, catalog: CatalogSnapshot, session: Session) -> None:
        self.catalog = catalog
        self.session = session

    # --- statements ---------------------------------------------------------------------------

    def query(self, query: ast.Query) -> BoundQuery:
        """A query with every name resolved (errors in the order a reader meets the names)."""
        match query:
            case ast.Select() if is_task_aware(query):
                return self._task_aware(query)
            case ast.Select():
                table = self.table(query.table)
                rows = self.filter(query, table)
                check_metadata_columns(query, table, self)
                return BoundMetadata(query, Scan.of(query.table.name, table, rows))
            case ast.SetOperation(op=op, left=left, right=right):
                return BoundSetOperation(op, self.query(left), self.query(right))
            case ast.VariableRef(name=name):
                return BoundVariable(name, self.query(self.session.get(name).query))
            case ast.Rank():
                return self.scorer_ranking(query)
            case ast.SelectVec():
                return self.similarity(query)
            case _:
                assert_never(query)

    def _task_aware(
        self, select: ast.Select
    ) -> (
        BoundRanking
        | BoundBenchmark
        | BoundFinetuneRanking
        | BoundMetaLearned
        | BoundCascade
        | BoundAuto
    ):
        group_by = [c.name for c in select.group_by]
        if is_grouped(select.columns, group_by, None):
            raise InvalidArgument(
                "GROUP BY and aggregates apply to tables (models, datasets, benchmark_results), "
                "not to a ranking by proxies"
            )
        table = self.table(select.table)
        rows = self.filter(select, table)
        scan = Scan.of(select.table.name, table, rows)
        models = candidates(table, rows)
        if (ordering := meta_ordering(select)) is not None:
            return self._meta_learned(select, scan, models, ordering)
        key = select.order.key if select.order is not None else None
        if isinstance(key, ast.Cascade | ast.AutoStrategy):
            return self._strategy(select, scan, table, models, key)
        proxies = proxies_of(select)
        if select.test_mode == "BENCHMARK":
            func, descending = aggregate_of(select)
            pairs = tuple(self.benchmark_pairs(select))
            return BoundBenchmark(select, scan, tuple(models), proxies[0], pairs, func, descending)
        spec = self.search_spec(select, models, proxies)
        if proxies[0].name == "finetune":
            return BoundFinetuneRanking(select, scan, spec)
        return BoundRanking(select, scan, spec)

    def scorer_ranking(self, rank: ast.Rank) -> BoundScorerRanking:
        """RANK … BY "<scorer>": candidates as a SELECT's, then the data, then the scorer."""
        select = rank.query
        _check_rank_clauses(select)
        table = self.table(select.table)
        rows = self.filter(select, table)
        check_metadata_columns(select, table, self)
        models = candidates(table, rows)
        train = self.dataset(select.trained_on) if select.trained_on is not None else None
        test = self.dataset(select.tested_on) if select.tested_on is not None else None
        scorer = find_scorer(rank.scorer)
        if scorer is None:
            known = ", ".join(s.spelling for s in known_scorers().values())
            raise NotFound(
                f"unknown scorer {rank.scorer!r} (known: {known}; plug-ins register under the "
                "entry-point group shift.scorers)",
                closest_scorers(rank.scorer),
            )
        if train is None:
            raise FailedPrecondition(
                f'RANK … BY "{scorer.spelling}" needs TRAINED ON <dataset>: the data it scores on'
            )
        if scorer.needs_test and test is None:
            raise FailedPrecondition(f'scorer "{scorer.spelling}" needs TESTED ON <dataset>')
        proxy = Proxy(scorer.name, dict(scorer.params), scorer.spelling)
        spec = SearchSpec(list(models), train, test or train, [proxy], None, None)
        scan = Scan.of(select.table.name, table, rows)
        return BoundScorerRanking(rank, scan, scorer, spec, test is not None)

    def similarity(self, vec: ast.SelectVec) -> BoundSimilarity:
        """SELECT vec: the datasets (a variable, `datasets` for all, or a name) and the probe
        (a variable holding one model, or a model's name)."""
        records = self._similarity_datasets(vec.datasets)
        datasets = tuple(BoundDataset(r.name, described(r)) for r in records)
        if not datasets:
            raise FailedPrecondition("SELECT vec has no datasets to compare")
        return BoundSimilarity(datasets, self._probe(vec.probe), dict(TASK2VEC_PARAMS))

    def _similarity_datasets(self, name: str) -> list[DatasetRecord]:
        if self.session.has(name):
            var = self.session.get(name)
            if var.kind != "datasets":
                raise FailedPrecondition(
                    f"variable {name!r} holds models; SELECT vec FROM takes datasets"
                )
            return [self.catalog.dataset(n) for n in var.members]
        if name.lower() in ("datasets", "readers"):
            return list(self.catalog.datasets)
        return [self.catalog.dataset(name)]

    def _probe(self, name: str) -> ModelRecord:
        if not self.session.has(name):
            return self.catalog.model(name)
        var = self.session.get(name)
        if var.kind != "models" or len(var.members) != 1:
            held = f"{len(var.members)} {var.kind}"
            raise FailedPrecondition(
                f"probe variable {name!r} holds {held}: a probe is one model (DECLARE it with "
                "LIMIT 1)"
            )
        return self.catalog.model(var.members[0])

    def _meta_learned(
        self,
        select: ast.Select,
        scan: Scan,
        models: Sequence[ModelRecord],
        ordering: ast.ProxySpec,
    ) -> BoundMetaLearned:
        """The shortlist, decided from the catalog snapshot: benchmark_results grouped into
        benchmark datasets, the k most similar to the TESTED ON data, the candidates ranked on
        them; the search is of the first `top`. With Task2Vec similarity, what to embed: the
        shortlist is decided from the embeddings' distances (`meta_embeddings`), not here."""
        options = MetaOptions.of(ordering)
        if select.test_mode == "BENCHMARK":
            raise InvalidArgument(
                "MetaLearned ranks models for one task (TESTED ON a dataset); TESTED ON "
                "BENCHMARK aggregates a proxy over several with ORDER BY avg(err)"
            )
        proxies = meta_proxies(select, options)
        spec = self.search_spec(select, models, proxies)
        settings = meta_learned.benchmark_settings(self.catalog.benchmark_results)
        if not settings.accuracy:
            raise FailedPrecondition(
                "MetaLearned learns from the table benchmark_results, which holds no benchmark "
                "dataset with two or more models: load fine-tuning runs with `shift register "
                "benchmark-results FILE`, or fine-tune models (FINETUNE adds its runs)"
            )
        known = {m for accuracy in settings.accuracy.values() for m in accuracy}
        names = meta_learned.benchmark_names(models, known)
        order = [names.get(m.name, m.name) for m in models]
        bound = BoundMetaLearned(
            select,
            scan,
            tuple(models),
            replace(spec, models=[]),
            None,
            options.k,
            options.top,
            options.similarity,
            "",
            len(settings.accuracy),
            names,
        )
        match options.similarity:
            case "task2vec":
                task2vec = self._meta_task2vec(spec, settings, order, options)
                return replace(bound, task2vec=task2vec, settings=len(task2vec.benchmark))
            case "metadata":
                pass
            case _:
                assert_never(options.similarity)
        target = spec.test.record
        category = meta_learned.target_category(target.tags, target.modality)
        categories = {**settings.category, TARGET: category}
        similarity = meta_learned.similarity_for(options.similarity, categories)
        found = meta_learned.shortlist(settings.accuracy, similarity, TARGET, order, options.k)
        if not found.neighbours:
            raise FailedPrecondition(
                f'no benchmark dataset in benchmark_results is similar to "{target.name}" '
                f"(category {category!r}; theirs: {_listed(set(settings.category.values()))}); "
                f'tag the dataset with a category, e.g. REGISTER DATASET "{target.name}" '
                '(…, category) VALUES (…, "text/sentiment")'
            )
        return decided_meta(replace(bound, target_category=category), found)

    def _meta_task2vec(
        self,
        spec: SearchSpec,
        settings: meta_learned.BenchmarkSettings,
        order: Sequence[str],
        options: MetaOptions,
    ) -> MetaTask2Vec:
        """What Task2Vec similarity embeds: the task's TRAINED ON data and the benchmark
        datasets the catalog holds (a dataset named in benchmark_results but not registered,
        like the authors' CSV's, cannot be read: it is left out)."""
        if options.probe is None:
            raise InvalidArgument(
                'MetaLearned(similarity="task2vec") needs probe=<model name>: the model the '
                "datasets are embedded through (as SELECT vec's probe), e.g. "
                'MetaLearned(similarity="task2vec", probe="bert-base-uncased")'
            )
        probe = self.catalog.model(options.probe)
        registered = {d.name: d for d in self.catalog.datasets}
        datasets: dict[str, BoundDataset] = {}
        left_out: set[str] = set()
        for setting in settings.accuracy:
            name = settings.dataset[setting]
            record = registered.get(name)
            if record is None or not record.fingerprint or not record.size:
                left_out.add(name)
            elif name not in datasets:
                datasets[name] = BoundDataset(name, record)
        if not datasets:
            raise FailedPrecondition(
                'MetaLearned(similarity="task2vec") embeds the benchmark datasets of '
                "benchmark_results, and none of them is a registered dataset (not registered: "
                f"{_listed(left_out)}); register them, use datasets SHiFT fine-tuned on "
                '(FINETUNE adds its runs), or use similarity="metadata"'
            )
        embedded = {
            s: settings.dataset[s] for s in settings.accuracy if settings.dataset[s] in datasets
        }
        tuned = {m for s in embedded for m in settings.accuracy[s]}
        if not tuned & set(order):
            raise FailedPrecondition(
                f"none of the {len(order)} candidate model(s) has fine-tuning results on the "
                f"registered benchmark datasets ({_listed(datasets)}); benchmark_results names "
                "a model by its catalog name, its hub_id tag or its uri"
            )
        return MetaTask2Vec(
            probe=probe,
            params=dict(TASK2VEC_PARAMS),
            target=spec.train,
            datasets=tuple(datasets.values()),
            setting_datasets=embedded,
            benchmark={s: settings.accuracy[s] for s in embedded},
            order=tuple(order),
            left_out=tuple(sorted(left_out)),
        )

    def _strategy(
        self,
        select: ast.Select,
        scan: Scan,
        table: BoundTable,
        models: Sequence[ModelRecord],
        key: ast.Cascade | ast.AutoStrategy,
    ) -> BoundCascade | BoundAuto:
        """A Cascade or AUTO: its stages (or evidence) and its task-agnostic prior, bound."""
        strategies.check_clauses(select)
        match key:
            case ast.Cascade():
                stages = tuple(Proxy.of(stage) for stage in key.stages)
                for stage in stages:
                    bind_proxy(stage.name, stage.label)
                searched = [s for s in stages if s.name != "finetune"]
                spec = self.search_spec(select, models, searched)
                prior = self._prior(table, models, key.prior) if key.prior else None
                keep = strategies.keep_counts(key.keep, len(stages), len(models))
                return BoundCascade(select, scan, spec, stages, keep, prior, key.prior)
            case ast.AutoStrategy():
                params = strategies.auto_params(key.params)
                spec = self.search_spec(select, models, list(strategies.EVIDENCE))
                column = strategies.prior_column(params, models)
                prior = self._prior(table, models, column) if column else None
                return BoundAuto(select, scan, spec, params, prior, column)
            case _:
                assert_never(key)

    def _prior(
        self, table: BoundTable, models: Sequence[ModelRecord], column: str
    ) -> ModelRecord | None:
        """The candidate with the highest `column` (the task-agnostic pick), or None when no
        candidate has a value."""
        self.check_columns([column], table)
        names = {m.name for m in models}
        ordering = ast.Ordering(ast.Column(column), descending=True)
        ranked = sort_rows([r for r in table.rows if r["name"] in names], ordering)
        top = ranked[0] if ranked else None
        if top is None or top.get(column) is None:
            return None
        return table.models[str(top["name"])]

    def search_spec(
        self, select: ast.Select, models: Sequence[ModelRecord], proxies: Sequence[Proxy]
    ) -> SearchSpec:
        if select.trained_on is None or select.tested_on is None:
            raise FailedPrecondition("a task-aware ranking needs both TRAINED ON and TESTED ON")
        descending = bool(select.order and select.order.descending)
        if select.order is not None and isinstance(select.order.key, ast.ProxyErr):
            descending = select.order.descending != (select.order.key.metric == "acc")
        return SearchSpec(
            models=list(models),
            train=self.dataset(select.trained_on),
            test=self.dataset(select.tested_on),
            proxies=list(proxies),
            chunk=None if select.chunk in (None, "AUTO") else int(select.chunk),
            budget=None if select.budget in (None, "AUTO") else int(select.budget),
            descending=descending,
        )

    def benchmark_pairs(self, select: ast.Select) -> list[tuple[BoundDataset, BoundDataset]]:
        """(train, test) per benchmark dataset: the i-th test set pairs with the i-th TRAINED
        ON dataset, or with the single one given."""
        if select.trained_on is None or select.tested_on is None:
            raise FailedPrecondition("TESTED ON BENCHMARK needs TRAINED ON data too")
        trains = [self.dataset(i) for i in _items(select.trained_on)]
        tests = [self.dataset(i) for i in _items(select.tested_on)]
        if len(trains) == 1:
            trains = trains * len(tests)
        if len(trains) != len(tests):
            raise FailedPrecondition(
                f"TESTED ON BENCHMARK lists {len(tests)} datasets but TRAINED ON lists "
                f"{len(trains)}: give one training dataset, or one per benchmark dataset"
            )
        return list(zip(trains, tests, strict=True))

    def finetune(self, stmt: ast.Finetune) -> BoundFinetune:
        """FINETUNE: `test=NAME` in USING picks the evaluation data (else the training data)."""
        params = {k: literal(v) for k, v in stmt.params}
        test_name = params.pop("test", None)
        train = self.dataset(stmt.dataset)
        test = self.dataset(ast.DatasetName(str(test_name))) if test_name else train
        models = tuple(self.models_of(stmt.models))
        return BoundFinetune(models, train, test, bool(test_name), params, stmt.wait)

    def models_of(self, names: tuple[ast.ModelName, ...]) -> list[ModelRecord]:
        """Model names or variables holding models, in order, without repeats."""
        out: list[ModelRecord] = []
        for item in names:
            if not item.quoted and self.session.has(item.name):
                var = self.session.get(item.name)
                found = [self.member_model(var.name, n) for n in var.members]
            else:
                found = [self.catalog.model(item.name)]
            out += [m for m in found if m.name not in {o.name for o in out}]
        return out

    def member_model(self, variable: str, name: str) -> ModelRecord:
        """A model a variable holds; NotFound naming the variable when it is no longer
        registered (dropped, or renamed, since the variable was declared)."""
        try:
            return self.catalog.model(name)
        except NotFound:
            raise NotFound(
                f'variable {variable!r} holds model "{name}", which is no longer registered '
                f"(dropped since {variable} was declared?); DECLARE {variable} again"
            ) from None

    def member_dataset(self, variable: str, name: str) -> DatasetRecord:
        """A dataset a variable holds; NotFound naming the variable when it is gone."""
        try:
            return self.catalog.dataset(name)
        except NotFound:
            raise NotFound(
                f'variable {variable!r} holds dataset "{name}", which is no longer registered '
                f"(dropped since {variable} was declared?); DECLARE {variable} again"
            ) from None

    # --- tables -------------------------------------------------------------------------------

    def table(self, table: ast.Table) -> BoundTable:
        if self.session.has(table.name):
            var = self.session.get(table.name)
            if var.kind == "datasets":
                records = [self.member_dataset(var.name, n) for n in var.members]
                return BoundTable(
                    "datasets", [dataset_row(r) for r in records], DATASET_COLUMNS, {}
                )
            models = [self.member_model(var.name, n) for n in var.members]
            return self._models(models)
        name = table.name.lower()
        if name in MODEL_TABLES:
            modality = MODEL_TABLES[name]
            return self._models(self.catalog.models_of(modality))
        if name in ("datasets", "readers"):
            records = list(self.catalog.datasets)
            return BoundTable("datasets", [dataset_row(r) for r in records], DATASET_COLUMNS, {})
        if name == "benchmark_results":
            rows = [benchmark_row(r) for r in self.catalog.benchmark_results]
            return BoundTable("benchmark_results", rows, BENCHMARK_COLUMNS, {})
        known = [*MODEL_TABLES, "datasets", "readers", "benchmark_results", *self.session.variables]
        raise NotFound(f"unknown table or variable {table.name!r}", _closest(table.name, known))

    def _models(self, records: Sequence[ModelRecord]) -> BoundTable:
        return BoundTable(
            "models",
            [model_row(r) for r in records],
            MODEL_COLUMNS,
            {r.name: r for r in records},
        )

    def check_columns(self, names: Sequence[str], table: BoundTable) -> None:
        """NotFound for a column no row of the table has."""
        known = known_columns(table.schema, table.rows)
        for name in names:
            if name not in known:
                raise NotFound(f"unknown column {name!r}", _closest(name, known))

    def members(self, variable: str) -> frozenset[str]:
        return frozenset(self.session.get(variable).members)

    def filter(self, select: ast.Select, table: BoundTable) -> list[dict[str, Any]]:
        """Rows passing WHERE and OTHER THAN."""
        rows = table.rows
        if select.where is not None:
            self.check_columns([c.name for c in predicates.columns_of(select.where)], table)
            for var in predicates.variables_of(select.where):
                self.session.get(var)
            rows = [r for r in rows if predicates.matches(select.where, r, self.members)]
        if select.other_than:
            excluded = self.members(select.other_than)
            rows = [r for r in rows if r.get("name", r.get("model")) not in excluded]
        return rows

    # --- datasets -----------------------------------------------------------------------------

    def dataset(self, expr: ast.DatasetExpr) -> BoundDataset:
        """A dataset expression as one version: names, lists (segments), variables."""
        match expr:
            case ast.DatasetName(name=name):
                records = self._named(name)
                if len(records) == 1:
                    return BoundDataset(name, records[0])
                return BoundDataset(name, _concatenate(name, records))
            case ast.DatasetList(items=items):
                parts = [self.dataset(item).record for item in items]
                if any(p.changes for p in parts):
                    raise FailedPrecondition(
                        "CHANGE inside a dataset list is not supported; change the whole list"
                    )
                label = "[" + ", ".join(p.name for p in parts) + "]"
                return BoundDataset(label, _concatenate(label, parts))
            case ast.Mutation(base=base, changes=changes):
                bound = self.dataset(base)
                return BoundDataset(_mutation_label(expr), _mutated(bound.record, changes, self))
            case _:
                assert_never(expr)

    def _named(self, name: str) -> list[DatasetRecord]:
        if self.session.has(name):
            var = self.session.get(name)
            if var.kind != "datasets":
                raise FailedPrecondition(f"variable {name!r} holds models, not datasets")
            return [described(self.member_dataset(var.name, n)) for n in var.members]
        return [described(self.catalog.dataset(name))]


def is_described(record: DatasetRecord) -> bool:
    """Whether a dataset's content was read: sizes and fingerprints are known."""
    return bool(record.segments and record.fingerprint and record.size is not None)


def described(record: DatasetRecord) -> DatasetRecord:
    """The record, or FailedPrecondition for one whose content was never read."""
    if is_described(record):
        return record
    raise FailedPrecondition(
        f'dataset "{record.name}" is not described (its size and fingerprint are unknown): it was '
        "written to the catalog without being read. Register it through the SHiFT server, which "
        "reads it once: REGISTER DATASET in a query, or `shift register` with --server"
    )


TARGET = "<the task>"
"""The target's name among the benchmark datasets (no setting is named so)."""


@dataclass(frozen=True)
class MetaOptions:
    """The parameters of MetaLearned(k=3, top=5, proxy="Linear", similarity="metadata",
    probe=<model>); `probe` (the Task2Vec probe) only with similarity="task2vec"."""

    k: int = meta_learned.DEFAULT_K
    top: int = meta_learned.DEFAULT_TOP
    proxy: str | None = None
    similarity: meta_learned.SimilarityKind = "metadata"
    probe: str | None = None

    @classmethod
    def of(cls, spec: ast.ProxySpec) -> MetaOptions:
        params = {k: literal(v) for k, v in spec.params}
        unknown = sorted(set(params) - {"k", "top", "proxy", "similarity", "probe"})
        if unknown:
            raise InvalidArgument(
                f"MetaLearned takes k, top, proxy, similarity and probe, not {', '.join(unknown)}"
            )
        similarity = str(params.get("similarity", "metadata")).lower()
        if similarity not in meta_learned.SIMILARITY_KINDS:
            kinds = ", ".join(meta_learned.SIMILARITY_KINDS)
            raise InvalidArgument(
                f"MetaLearned: similarity {similarity!r}; expected one of {kinds}"
            )
        proxy, probe = params.get("proxy"), params.get("probe")
        if probe is not None and similarity != "task2vec":
            raise InvalidArgument(
                'MetaLearned: probe= is the Task2Vec probe; it goes with similarity="task2vec"'
            )
        return cls(
            _positive(params, "k", meta_learned.DEFAULT_K),
            _positive(params, "top", meta_learned.DEFAULT_TOP),
            None if proxy is None else str(proxy),
            similarity,
            None if probe is None else str(probe),
        )


def _positive(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"MetaLearned: {name} must be a whole number of at least 1")
    return value


def meta_ordering(select: ast.Select) -> ast.ProxySpec | None:
    """The MetaLearned(…) of ORDER BY, if that is what the query orders by."""
    key = select.order.key if select.order is not None else None
    if isinstance(key, ast.ProxyOrdering) and key.proxy.name == meta_learned.ORDERING:
        return key.proxy
    return None


def meta_proxies(select: ast.Select, options: MetaOptions) -> list[Proxy]:
    """The proxy that ranks the shortlist: `proxy=` (a name), or CLASSIFIED BY (with
    parameters), else Euclidean NN."""
    if options.proxy is not None and select.classified_by:
        raise InvalidArgument("MetaLearned: give the proxy as proxy=… or CLASSIFIED BY, not both")
    if select.classified_by:
        proxies = [Proxy.of(p) for p in select.classified_by]
    else:
        spelling = options.proxy or "Euclidean NN"
        proxies = [Proxy(names.proxy_name(spelling), {}, spelling)]
    for proxy in proxies:
        bind_proxy(proxy.name, proxy.label)
        if proxy.name == FINETUNE:
            raise InvalidArgument(
                "MetaLearned ranks its shortlist with a proxy on features; to fine-tune the "
                "shortlist, DECLARE it and ORDER BY FineTune(…)"
            )
    return proxies


def decided_meta(bound: BoundMetaLearned, found: meta_learned.Shortlist) -> BoundMetaLearned:
    """The statement with its shortlist decided: the first `top` ranked candidates are the
    models its search ranks (FailedPrecondition when none was tuned on the neighbours)."""
    if not found.ranked:
        raise FailedPrecondition(
            f"none of the {len(bound.candidates)} candidate model(s) has fine-tuning results on "
            f"the {len(found.neighbours)} most similar benchmark dataset(s) "
            f"({_listed(n for n, _ in found.neighbours)}); benchmark_results names a "
            "model by its catalog name, its hub_id tag or its uri"
        )
    names = bound.benchmark_names
    by_benchmark_name = {names.get(m.name, m.name): m for m in bound.candidates}
    chosen = [by_benchmark_name[n] for n in found.models(bound.top)]
    return replace(bound, spec=replace(bound.spec, models=chosen), shortlist=found)


def _listed(items: Iterable[str], most: int = 5) -> str:
    ordered = sorted(items)
    shown = ", ".join(ordered[:most])
    return shown + (f" and {len(ordered) - most} more" if len(ordered) > most else "")


def is_task_aware(select: ast.Select) -> bool:
    """A SELECT that needs proxies (or fine-tuning), not only metadata."""
    order_key = select.order.key if select.order is not None else None
    return bool(
        select.classified_by
        or select.trained_on is not None
        or select.tested_on is not None
        or isinstance(
            order_key,
            ast.ProxyOrdering | ast.ProxyErr | ast.Aggregate | ast.Cascade | ast.AutoStrategy,
        )
    )


def _check_rank_clauses(select: ast.Select) -> None:
    """FailedPrecondition for the SELECT clauses RANK has no use for."""
    refused = {
        "ORDER BY": select.order is not None,
        "CLASSIFIED BY": bool(select.classified_by),
        "TESTED ON BENCHMARK": select.test_mode == "BENCHMARK",
        "CHUNK": select.chunk not in (None, "AUTO"),
        "BUDGET": select.budget not in (None, "AUTO"),
    }
    for clause, given in refused.items():
        if given:
            raise FailedPrecondition(
                f"RANK … BY ranks by its scorer on all the data: {clause} does not apply"
            )


def check_metadata_columns(select: ast.Select, table: BoundTable, binder: Binder) -> None:
    """NotFound for a selected or ORDER BY column the table does not have (WHERE's columns are
    checked by `Binder.filter`); InvalidArgument for a grouping that cannot be answered."""
    group_by = [c.name for c in select.group_by]
    if is_grouped(select.columns, group_by, select.order):
        binder.check_columns(aggregated_columns(select.columns, group_by, select.order), table)
        check_grouping(select.columns, group_by, select.order)
        return
    if isinstance(select.columns, tuple):
        binder.check_columns([item.column.name for item in select.columns], table)
    if select.order is not None and isinstance(select.order.key, ast.Column):
        binder.check_columns([select.order.key.name], table)


def candidates(table: BoundTable, rows: Sequence[dict[str, Any]]) -> list[ModelRecord]:
    """The models a task-aware ranking ranks: `rows` of a table of models that passed WHERE
    and OTHER THAN."""
    if table.kind != "models":
        raise FailedPrecondition("a task-aware ranking selects from a table of models")
    return [table.models[r["name"]] for r in rows]


def proxies_of(select: ast.Select) -> list[Proxy]:
    """The proxies a task-aware SELECT asks for (CLASSIFIED BY, or written in ORDER BY), each
    bound: NotFound with the closest names for one SHiFT does not compute."""
    proxies = []
    if select.order is not None and isinstance(select.order.key, ast.ProxyOrdering):
        proxies = [Proxy.of(select.order.key.proxy)]
    elif select.classified_by:
        proxies = [Proxy.of(p) for p in select.classified_by]
    for proxy in proxies:
        bind_proxy(proxy.name, proxy.label)
    if proxies:
        return proxies
    key = select.order.key if select.order is not None else None
    if isinstance(key, ast.Column) and (near := closest_proxies(key.name)):
        # `ORDER BY CosinNN`: the parser reads an unknown word as a column; here it is a proxy
        raise NotFound(f"unknown proxy {key.name!r} in ORDER BY", near)
    raise FailedPrecondition(
        'a task-aware ranking needs a proxy: CLASSIFIED BY ["Euclidean NN"] or ORDER BY CosineNN'
    )


def aggregate_of(select: ast.Select) -> tuple[str, bool]:
    """BENCHMARK's aggregate function and whether higher is better (ORDER BY avg(acc) DESC)."""
    if select.order is not None and isinstance(select.order.key, ast.Aggregate):
        key = select.order.key
        return key.func, select.order.descending != (key.metric == "acc")
    return "avg", False


def _items(expr: ast.DatasetExpr) -> list[ast.DatasetName | ast.Mutation]:
    return list(expr.items) if isinstance(expr, ast.DatasetList) else [expr]


def bind_proxy(name: str, spelling: str) -> None:
    """NotFound for a proxy SHiFT does not compute (`name` canonical, `spelling` as written),
    with the closest known spellings."""
    if name in PROXY_NAMES:
        return
    known = ", ".join(PROXY_NAMES.values())
    raise NotFound(f"unknown proxy {spelling!r} (known: {known})", closest_proxies(spelling))


def closest_proxies(spelling: str) -> tuple[str, ...]:
    """The known proxy spellings closest to `spelling` (case, spaces, `_` and `-` ignored)."""

    def squash(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    by_squashed = {squash(k): k for k in PROXY_NAMES.values()}
    closest = difflib.get_close_matches(squash(spelling), list(by_squashed), n=3, cutoff=0.6)
    return tuple(by_squashed[c] for c in closest)


def _mutated(base: DatasetRecord, changes: Sequence[ast.Change], binder: Binder) -> DatasetRecord:
    """The base with CHANGE mutations attached; every segment they replace rows of gets the
    fingerprint the executor gives it (`dataset_versions`), so its stored work is found."""
    records = base.changes + tuple(
        ChangeRecord(change.indices, binder.dataset(change.source).record, change.source_indices)
        for change in changes
    )
    segments = changed_segments(base.segments, records)
    fingerprint = version_fingerprint([s.fingerprint for s in segments])
    return replace(base, changes=records, segments=segments, fingerprint=fingerprint)


def changed_segments(
    segments: Sequence[SegmentRecord], changes: Sequence[ChangeRecord]
) -> tuple[SegmentRecord, ...]:
    """The segments after `changes`, with the fingerprints of the ones rows were replaced in
    (indices out of range are left to the executor, which refuses them when it reads the data)."""
    offsets = [0, *accumulate(s.size for s in segments)]
    replaced: list[list[Replacement]] = [[] for _ in segments]
    for change in changes:
        source = change.source.segments[0].fingerprint if change.source.segments else ""
        picks = change.source_indices or change.indices
        for target, pick in zip(change.indices, picks, strict=False):
            if 0 <= target < offsets[-1]:
                which, row = segment_of(offsets, target)
                replaced[which].append((row, source or change.source.fingerprint, pick))
    return tuple(
        replace(seg, fingerprint=changed_segment_fingerprint(seg.fingerprint, rows))
        if rows
        else seg
        for seg, rows in zip(segments, replaced, strict=True)
    )


def _mutation_label(expr: ast.Mutation) -> str:
    changes = ", ".join(f"CHANGE {list(c.indices)} TO {c.source.name}" for c in expr.changes)
    return f"({expr.base.name} {changes})"


def _concatenate(label: str, parts: Sequence[DatasetRecord]) -> DatasetRecord:
    """Datasets concatenated as the segments of one version (columns travel per segment)."""
    segments = tuple(
        replace(
            seg,
            input_column=seg.input_column or part.input_column,
            label_column=seg.label_column or part.label_column,
        )
        for part in parts
        for seg in part.segments
    )
    fingerprint = version_fingerprint([s.fingerprint for s in segments])
    first = parts[0]
    return replace(
        first,
        name=label,
        segments=segments,
        size=sum(s.size for s in segments),
        fingerprint=fingerprint,
        tags={},
    )


def _closest(name: str, known: Sequence[str]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, list(known), n=3, cutoff=0.5))
