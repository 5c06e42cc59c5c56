"""MetaLearned(similarity="task2vec"): the Task2Vec embeddings a bound statement needs, read
from the cache as stored work (like cached proxy results, right after binding), and the
shortlist decided from their distances once the cache holds every one of them.

The similarity of the task to a benchmark dataset is 1 - the normalised cosine distance of
their embeddings through the probe (`runtime.task_similarity`; `meta_learned.task2vec_similarity`
sees only the distances). While an embedding is missing the statement stays undecided: its plan
shows the embeddings to compute and no search; the coordinator runs them, reads them here, and
plans again (`coordinator._embedded`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from shift_search.planner import meta_learned
from shift_search.planner.binder import TARGET, decided_meta
from shift_search.planner.bound import (
    BoundMetaLearned,
    BoundQuery,
    BoundSetOperation,
    BoundVariable,
    MetaTask2Vec,
)
from shift_search.runtime.errors import FailedPrecondition, NotFound
from shift_search.runtime.task_similarity import embedding_from_bytes, normalised_cosine


class EmbeddingStore(Protocol):
    """The part of the cache client read here."""

    def scan(self, prefix: str) -> list[str]: ...

    def get_blob(self, key: str) -> bytes: ...


def read_embeddings(cache: EmbeddingStore, bound: BoundQuery) -> BoundQuery:
    """The statement with every Task2Vec MetaLearned's stored embeddings found (and, where
    all are there, its shortlist decided); other statements as they are."""
    match bound:
        case BoundMetaLearned(task2vec=MetaTask2Vec() as task2vec):
            return _read(cache, bound, task2vec)
        case BoundSetOperation(op=op, left=left, right=right):
            return BoundSetOperation(
                op, read_embeddings(cache, left), read_embeddings(cache, right)
            )
        case BoundVariable(name=name, query=query):
            return BoundVariable(name, read_embeddings(cache, query))
        case _:
            return bound


def _read(cache: EmbeddingStore, bound: BoundMetaLearned, task2vec: MetaTask2Vec) -> BoundQuery:
    wanted = [task2vec.key(d) for d in task2vec.embedded]
    held = frozenset(k for k in wanted if k in cache.scan(k))
    undecided = replace(
        bound,
        task2vec=replace(task2vec, held=held, distances=None),
        shortlist=None,
        spec=replace(bound.spec, models=[]),
    )
    if len(held) < len(wanted):
        return undecided
    vectors = {}
    for key in wanted:
        try:
            vectors[key] = embedding_from_bytes(cache.get_blob(key))[0]
        except NotFound:  # evicted since the scan: computed again
            return replace(undecided, task2vec=replace(task2vec, held=held - {key}))
    target = vectors[task2vec.key(task2vec.target)]
    distances = {
        d.label: normalised_cosine(target, vectors[task2vec.key(d)]) for d in task2vec.datasets
    }
    return decide(replace(undecided, task2vec=replace(task2vec, held=held, distances=distances)))


def decide(bound: BoundMetaLearned) -> BoundMetaLearned:
    """The shortlist from the Task2Vec distances: the k benchmark datasets nearest the task
    (similarity 1 - distance; the settings of one dataset tie), the candidates ranked there."""
    task2vec = bound.task2vec
    assert task2vec is not None and task2vec.distances is not None
    distances = {s: task2vec.distances[d] for s, d in task2vec.setting_datasets.items()}
    similarity = meta_learned.similarity_for("task2vec", {}, distances)
    found = meta_learned.shortlist(task2vec.benchmark, similarity, TARGET, task2vec.order, bound.k)
    if not found.neighbours:
        raise FailedPrecondition(
            f"no benchmark dataset is similar to {task2vec.target.label}: the Task2Vec "
            f"distances through {task2vec.probe.name} are all 1 (nothing in common)"
        )
    return decided_meta(bound, found)
