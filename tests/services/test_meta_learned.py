"""ORDER BY MetaLearned(…) end to end on a real in-process server with tiny real models: the
benchmark datasets of benchmark_results most similar to the task (by its category tag, or its
modality), the candidates that fine-tuned best there, then a proxy among them on the task;
EXPLAIN shows those decisions as steps, and bad parameters are clear errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shift_search.cache.stored import BenchmarkResult
from shift_search.client import Client, QueryError
from tests.services.conftest import Stack
from tests.tiny_world import register_datasets, reviews_dataset

QUERY = """SELECT name FROM text_models ORDER BY MetaLearned({params})
  TRAINED ON "reviews-train" TESTED ON "{test}" WAIT;"""


def runs() -> list[BenchmarkResult]:
    """bert-b fine-tuned best on sentiment data, bert-a on topic data; image runs too."""
    accuracy = {
        ("bench-sentiment-1", "text/sentiment"): {"bert-a": 0.6, "bert-b": 0.9, "org/x": 0.7},
        ("bench-sentiment-2", "text/sentiment"): {"bert-a": 0.5, "bert-b": 0.8, "org/x": 0.6},
        ("bench-topic", "text/topic"): {"bert-a": 0.9, "bert-b": 0.4, "org/x": 0.5},
        ("bench-images", "image/natural"): {"cnn-c": 0.9, "org/vit": 0.3},
    }
    return [
        BenchmarkResult(
            run=f"{dataset}:{model}",
            model=model,
            dataset=dataset,
            test_accuracy=value,
            modality=category.split("/")[0],
            category=category,
            epochs=3,
            learning_rate=1e-4,
            test_split="test",
        )
        for (dataset, category), models in accuracy.items()
        for model, value in models.items()
    ]


def records(client: Client, script: str) -> list[dict[str, Any]]:
    return client.query(script, progress=False).records()


def test_without_benchmark_results_it_says_how_to_load_them(stack: Stack) -> None:
    with Client(stack.address) as client, pytest.raises(QueryError) as err:
        client.query(QUERY.format(params="", test="reviews-test"), progress=False)
    assert err.value.code.name == "FAILED_PRECONDITION"
    assert "shift register benchmark-results FILE" in err.value.message


@pytest.fixture(scope="module")
def loaded(stack: Stack, world: Path) -> Stack:
    with Client(stack.address) as client:
        client.add_benchmark_results(runs(), source="test")
    topic = reviews_dataset("reviews-topic", world / "test.csv")
    register_datasets(stack.address, replace(topic, tags={"category": "text/topic"}))
    return stack


def test_the_shortlist_comes_from_the_similar_datasets(loaded: Stack) -> None:
    with Client(loaded.address) as client:
        # no category tag: every text benchmark dataset is as similar (its modality)
        plain = records(client, QUERY.format(params="top=1", test="reviews-test"))
        # tagged text/topic: only bench-topic is similar, where bert-a did best
        topic = records(client, QUERY.format(params="k=1, top=1", test="reviews-topic"))
        both = records(client, QUERY.format(params='top=2, proxy="Cosine NN"', test="reviews-test"))
    assert [r["name"] for r in plain] == ["bert-b"]  # mean rank over the three text datasets
    assert plain[0]["proxy"] == "Euclidean NN" and 0.0 <= plain[0]["error"] <= 1.0
    assert plain[0]["meta_score"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    assert [r["name"] for r in topic] == ["bert-a"] and topic[0]["meta_score"] == 1.0
    assert sorted(r["name"] for r in both) == ["bert-a", "bert-b"]
    assert {r["proxy"] for r in both} == {"Cosine NN"}


def test_explain_shows_the_datasets_and_the_shortlist(loaded: Stack) -> None:
    script = "EXPLAIN " + QUERY.format(params="k=1, top=1", test="reviews-topic")
    with Client(loaded.address) as client:
        (plan,) = client.explain(script)
    assert plan.strategy == "meta_learned"
    kinds = [s.kind for s in plan.steps[0].children]
    assert kinds[:3] == ["metadata_scan", "similar_datasets", "meta_shortlist"]
    similar, shortlist = plan.steps[0].children[1:3]
    assert similar.fields["neighbours"] == ["bench-topic[label] all 3ep lr0.0001 test"]
    assert shortlist.fields["chosen"] == ["bert-a"] and shortlist.fields["matched"] == 2
    assert plan.decisions["similarity"] == "metadata: category 'text/topic' of reviews-topic"


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ('similarity="task2vec"', "INVALID_ARGUMENT", "needs probe=<model name>"),
        ('similarity="task2vec", probe="bert-a"', "FAILED_PRECONDITION", "bench-images"),
        ("k=0", "INVALID_ARGUMENT", "k must be a whole number of at least 1"),
        ("depth=2", "INVALID_ARGUMENT", "not depth"),
        ('proxy="CosinNN"', "NOT_FOUND", "unknown proxy 'CosinNN'"),
        ('proxy="FineTune"', "INVALID_ARGUMENT", "ORDER BY FineTune"),
    ],
)
def test_bad_parameters_are_clear_errors(loaded: Stack, params: str, code: str, words: str) -> None:
    with Client(loaded.address) as client, pytest.raises(QueryError) as err:
        client.query(QUERY.format(params=params, test="reviews-test"), progress=False)
    assert err.value.code.name == code and words in err.value.message


def test_candidates_never_tuned_on_the_similar_datasets_are_a_clear_error(loaded: Stack) -> None:
    script = QUERY.format(params="", test="reviews-topic").replace("text_models", "image_models")
    with Client(loaded.address) as client, pytest.raises(QueryError) as err:
        client.query(script, progress=False)
    assert err.value.code.name == "FAILED_PRECONDITION"
    assert "none of the 1 candidate model(s) has fine-tuning results" in err.value.message
    assert "bench-topic" in err.value.message
