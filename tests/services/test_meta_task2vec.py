"""ORDER BY MetaLearned(similarity="task2vec", probe=…) end to end on a real in-process server
with tiny real models: FINETUNE on two registered datasets fills benchmark_results, then the
strategy embeds the task's training data and those datasets through the probe (Task2Vec), takes
the nearest as similar, and ranks the models that fine-tuned best there. The plan shows the
embeddings (to compute, then cached), EXPLAIN ANALYZE measures them, a second run reads them
from the cache, and what cannot be embedded is left out, or refused, with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shift_search.cache.stored import BenchmarkResult
from shift_search.client import Client, QueryError
from shift_search.client.events import Finished
from shift_search.client.plans import Plan
from tests.services.conftest import Stack
from tests.services.test_scorers import write_lengths
from tests.tiny_world import register_datasets, reviews_dataset, write_reviews

QUERY = """SELECT name FROM text_models WHERE NOT FINETUNED
  ORDER BY MetaLearned({params}) TRAINED ON "reviews-train" TESTED ON "reviews-test" WAIT;"""
TASK2VEC = 'similarity="task2vec", probe="bert-a", k=1, top=1'


def authors_runs() -> list[BenchmarkResult]:
    """Runs on a dataset the catalog does not hold (as the authors' CSV's): not embeddable."""
    return [
        BenchmarkResult(
            run=f"authors:{model}",
            model=model,
            dataset="authors-sentiment",
            test_accuracy=accuracy,
            modality="text",
            category="text/sentiment",
            epochs=3,
            learning_rate=1e-4,
            test_split="test",
        )
        for model, accuracy in (("bert-a", 0.4), ("bert-b", 0.9))
    ]


def steps(plan: Plan, kind: str) -> list[Any]:
    return [s for _, s in plan.walk() if s.kind == kind]


def meta_plan(plans: tuple[Plan, ...]) -> Plan:
    return next(p for p in plans if p.strategy == "meta_learned")


def failure(client: Client, script: str) -> QueryError:
    with pytest.raises(QueryError) as err:
        client.query(script, progress=False)
    return err.value


def test_task2vec_needs_a_probe_and_registered_benchmark_datasets(stack: Stack) -> None:
    with Client(stack.address) as client:
        client.add_benchmark_results(authors_runs(), source="test")
        missing = failure(client, QUERY.format(params='similarity="task2vec"'))
        unknown = failure(client, QUERY.format(params='similarity="task2vec", probe="bert-z"'))
        stray = failure(client, QUERY.format(params='probe="bert-a"'))
        nothing = failure(client, QUERY.format(params=TASK2VEC))
    assert missing.code.name == "INVALID_ARGUMENT" and "needs probe=<model name>" in missing.message
    assert unknown.code.name == "NOT_FOUND" and "bert-z" in unknown.message
    assert stray.code.name == "INVALID_ARGUMENT" and 'similarity="task2vec"' in stray.message
    # while benchmark_results holds only the authors' runs there is nothing to embed (the
    # FINETUNE runs of the other test may be in, when it ran first on this worker)
    if nothing.code.name == "FAILED_PRECONDITION":
        assert "not registered: authors-sentiment" in nothing.message


@pytest.fixture(scope="module")
def finetuned(stack: Stack, world: Path) -> Stack:
    """bert-a and bert-b fine-tuned on two registered datasets: the reviews task again (the
    training rows, then more) and another task on the same words (long or short)."""
    write_reviews(world / "more-reviews.csv", 160, seed=0)
    write_lengths(world / "lengths.csv", 120, seed=5)
    register_datasets(
        stack.address,
        reviews_dataset("bench-reviews", world / "more-reviews.csv"),
        reviews_dataset("bench-lengths", world / "lengths.csv"),
    )
    with Client(stack.address) as client:
        client.add_benchmark_results(authors_runs(), source="test")
        for data in ("bench-reviews", "bench-lengths"):
            client.query(
                f'FINETUNE ["bert-a", "bert-b"] WITH "{data}" USING epochs=1, test="{data}" WAIT;',
                progress=False,
            )
    return stack


def test_task2vec_ranks_on_the_nearest_embedded_benchmark_dataset(finetuned: Stack) -> None:
    with Client(finetuned.address) as client:
        runs = client.query(
            "SELECT model, dataset, test_accuracy FROM benchmark_results WHERE origin = 'shift';",
            progress=False,
        ).records()
        (before,) = client.explain("EXPLAIN " + QUERY.format(params=TASK2VEC))
        analyzed = client.query("EXPLAIN ANALYZE " + QUERY.format(params=TASK2VEC), progress=False)
        (after,) = client.explain("EXPLAIN " + QUERY.format(params=TASK2VEC))
        again = client.query(QUERY.format(params=TASK2VEC), progress=False)
    accuracy = {(r["dataset"], r["model"]): r["test_accuracy"] for r in runs}
    assert {d for d, _ in accuracy} == {"bench-reviews", "bench-lengths"}

    # before: the three embeddings to compute, the shortlist undecided, no search yet
    embeddings = steps(before, "task_embedding")
    assert [s.fields["dataset"] for s in embeddings] == [
        "reviews-train",  # the task first, then the benchmark datasets by name
        "bench-lengths",
        "bench-reviews",
    ]
    assert not any(s.cached for s in embeddings) and all(
        s.estimated_seconds > 0 for s in embeddings
    )
    (similar,) = steps(before, "similar_datasets")
    (shortlist,) = steps(before, "meta_shortlist")
    assert similar.fields["decided"] is False and shortlist.fields["decided"] is False
    assert similar.fields["left_out"] == ["authors-sentiment"]
    assert not steps(before, "full_pass") and not steps(before, "halving")
    assert (
        "left out (not registered, nothing to embed): authors-sentiment"
        in (before.decisions["similarity"])
    )

    # EXPLAIN ANALYZE computed them (the plan it ran reads them, and measured them)
    ran = meta_plan(analyzed.plans[-1:])
    measured = steps(ran, "task_embedding")
    assert all(s.cached for s in measured)
    assert all(s.measured is not None and s.measured.tasks == 1 for s in measured)
    assert any(m.startswith("task2vec bench-lengths:") for m in analyzed.messages)
    (finished,) = [e for e in analyzed.events if isinstance(e, Finished)]
    assert sorted(finished.executed_steps, key=int) == [s.id for _, s in ran.walk()]
    (profile,) = steps(ran, "profile")  # the probe first, then the shortlist's model
    assert sorted(m for m in profile.fields["models"]) == ["bert-a", "bert-b"]
    assert after.decisions["costs"] == "measured"

    # the nearest benchmark dataset is the same task; the shortlist is its best model
    (similar,) = steps(after, "similar_datasets")
    assert similar.fields["decided"] is True and similar.fields["probe"] == "bert-a"
    (nearest,) = similar.fields["neighbours"]
    assert nearest.startswith("bench-reviews[label]")
    best = max(("bert-a", "bert-b"), key=lambda m: accuracy["bench-reviews", m])
    (shortlist,) = steps(after, "meta_shortlist")
    assert shortlist.fields["chosen"] == [best]
    assert [r["name"] for r in again.records()] == [best]
    assert again.records()[0]["meta_score"] == 1.0

    # again: every embedding read from the cache, none computed
    plan = meta_plan(again.plans) if again.plans else after
    assert all(s.cached for s in steps(plan, "task_embedding"))
    assert not any(m.startswith("task2vec ") for m in again.messages)
    assert [s.fields for s in steps(after, "task_embedding")] == [s.fields for s in measured]
