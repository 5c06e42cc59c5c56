"""AUTO's choice is a pure function of the evidence and the cost model: when the cheap proxies
agree it stops early (the cascade, one fine-tune), when they disagree it spends more (the hybrid,
or halving over fine-tuning epochs of every model the evidence votes for); the meta-learned slot
is there but unavailable; and a Cascade or AUTO written against the catalog binds or says what
is wrong."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from shift_search.cache.records import ModelRecord
from shift_search.parser import ast, parse
from shift_search.planner import strategies
from shift_search.planner.binder import Binder
from shift_search.planner.bound import BoundAuto, BoundCascade
from shift_search.planner.catalog import CatalogSnapshot
from shift_search.planner.costmodel import ModelCost
from shift_search.planner.session import Session
from shift_search.planner.strategy_choice import (
    Budget,
    Evidence,
    Pricing,
    cascade_order,
    choose,
    expected_regret,
    noise,
    votes,
)
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.planner.test_binding import described
from tests.tiny_world import reviews_dataset, write_reviews

MODELS = ("a", "b", "c", "d", "e")
PRICING = Pricing(dict.fromkeys(MODELS, ModelCost(1.0, 0.01)), 1000, 2000, epochs=3)


def evidence(nn: dict[str, float], logme: dict[str, float], prior: str | None) -> Evidence:
    return Evidence(nn, logme, prior, test_samples=2000)


NN = {"a": 0.20, "b": 0.30, "c": 0.31, "d": 0.40, "e": 0.50}


def test_when_the_proxies_agree_auto_stops_early() -> None:
    ev = evidence(NN, {"a": -5.0, "b": -3.0, "c": -2.0, "d": -1.0, "e": 0.0}, prior="a")
    assert votes(ev) == {"a": 1.0}
    choice = choose(ev, PRICING, target=1.0, keep=4)
    assert choice.chosen == "cascade"
    assert choice.estimate("cascade").returns == ("a",)
    assert choice.estimate("cascade").expected_regret == 0.0
    assert "agrees" in choice.reason and "cascade" in choice.reason
    # every strategy keeping `a` expects no regret; the cascade is the cheapest of them
    cheapest = min(choice.estimates[:3], key=lambda e: e.seconds)
    assert cheapest.name == "cascade"


def test_when_they_disagree_auto_spends_more() -> None:
    # 1-NN says a, LogME says b (within 1-NN's best 4), the prior says e
    ev = evidence(NN, {"a": -1.0, "b": -9.0, "c": -2.0, "d": -3.0, "e": 0.0}, prior="e")
    share = votes(ev)
    assert share == pytest.approx({"a": 0.4, "b": 0.4, "e": 0.2})
    assert cascade_order(ev, 4)[0] == "b"
    choice = choose(ev, PRICING, target=1.0, keep=4)
    cascade, hybrid, tuned = (choice.estimate(n) for n in ("cascade", "hybrid", "hybrid_sh"))
    assert cascade.returns == ("b",) and hybrid.returns == ("b", "e")
    assert tuned.returns == ("b", "a", "e")  # the cascade's pick, then by votes
    assert cascade.expected_regret > hybrid.expected_regret > tuned.expected_regret == 0.0
    assert choice.chosen == "hybrid_sh" and "disagrees" in choice.reason
    # with a looser target the hybrid is enough, and cheaper
    assert choose(ev, PRICING, target=hybrid.expected_regret, keep=4).chosen == "hybrid"
    # and with a target nothing meets, the one expecting the least
    assert choose(ev, PRICING, target=-1.0, keep=4).chosen == "hybrid_sh"


def test_expected_regret_is_the_votes_left_out_times_what_they_would_add() -> None:
    ev = evidence(NN, {"a": -1.0, "b": -9.0}, prior=None)
    floor = 100 * 2 * noise(0.20, 2000)
    # keeping b leaves out a's half of the votes; a is 10 points better on 1-NN than b
    assert expected_regret(ev, ["b"]) == pytest.approx(0.5 * max(floor, 10.0))
    assert expected_regret(ev, ["a", "b"]) == 0.0
    # a model tied with the best (within two standard errors) shares 1-NN's vote
    tied = evidence({"a": 0.20, "b": 0.205, "c": 0.5}, {"a": -1.0, "b": 0.0, "c": 1.0}, None)
    assert votes(tied)["b"] == pytest.approx(0.25)


def test_meta_is_a_slot_that_is_unavailable_until_benchmark_results_exist() -> None:
    ev = evidence(NN, {"a": -1.0}, prior=None)
    meta = choose(ev, PRICING, target=1.0, keep=4).estimate("meta")
    assert not meta.available and "benchmark" in meta.note
    assert choose(ev, PRICING, target=0.0, keep=4).chosen != "meta"


def test_before_the_evidence_every_strategy_is_priced_and_none_chosen() -> None:
    choice = choose(None, PRICING, target=1.0, keep=4)
    assert choice.chosen is None
    assert all(e.expected_regret is None for e in choice.estimates)
    cascade, hybrid, tuned = (choice.estimate(n) for n in ("cascade", "hybrid", "hybrid_sh"))
    assert cascade.seconds == pytest.approx(PRICING.mean_finetune())
    assert hybrid.seconds == pytest.approx(2 * PRICING.mean_finetune())
    assert tuned.seconds > hybrid.seconds  # halving over epochs of five models


def test_halving_takes_the_voted_models_the_cascade_misses() -> None:
    # 1-NN's best two are b and c (LogME picks c among them), but LogME's favourite is d
    nn = {"a": 0.50, "b": 0.20, "c": 0.21, "d": 0.40, "e": 0.45}
    ev = evidence(nn, {"a": 0.0, "b": -1.0, "c": -2.0, "d": -9.0, "e": 0.0}, prior="e")
    choice = choose(ev, PRICING, target=1.0, keep=2)
    assert choice.estimate("cascade").returns == ("c",)
    assert choice.estimate("hybrid_sh").returns == ("c", "d", "b")
    assert choice.estimate("hybrid_sh").expected_regret < choice.estimate("hybrid").expected_regret


DISAGREE = {"a": -1.0, "b": -9.0, "c": -2.0, "d": -3.0, "e": 0.0}
"""1-NN says a, LogME says b, the prior says e: only hybrid_sh expects no regret."""


def test_a_budget_leaves_out_the_strategies_whose_search_costs_more() -> None:
    ev = evidence(NN, DISAGREE, prior="e")
    unit = PRICING.mean_finetune()
    halving = choose(ev, PRICING, 1.0, keep=4).estimate("hybrid_sh").search_seconds
    assert halving > 2 * unit
    # a budget that holds the evidence (half a fine-tune) and the halving: as without one
    roomy = choose(ev, PRICING, 1.0, keep=4, budget=Budget(0.5 + halving / unit, 0.5 * unit))
    assert roomy.chosen == "hybrid_sh"
    # one fine-tune of search leaves the cascade and the hybrid: the one expecting the least
    tight = choose(ev, PRICING, 1.0, keep=4, budget=Budget(1.0, 0.5 * unit))
    assert tight.chosen == "hybrid"
    assert "within a search of 1 fine-tune(s)" in tight.reason
    assert "none within a search of 1 fine-tune(s) expects at most 1 point" in tight.reason
    # a target the hybrid meets: the cheapest within the budget that meets it
    hybrid = tight.estimate("hybrid").expected_regret
    assert hybrid is not None
    met = choose(ev, PRICING, hybrid, keep=4, budget=Budget(1.0, 0.5 * unit))
    assert met.chosen == "hybrid" and "the cheapest within" in met.reason


def test_when_the_evidence_alone_is_over_the_budget_auto_takes_the_cheapest_search() -> None:
    ev = evidence(NN, DISAGREE, prior="e")
    unit = PRICING.mean_finetune()
    choice = choose(ev, PRICING, 1.0, keep=4, budget=Budget(1.0, 1.5 * unit))
    # the cascade and the hybrid search no further than the evidence; the hybrid expects less
    assert choice.chosen == "hybrid"
    assert "no strategy's search fits 1 fine-tune(s)" in choice.reason
    assert "(1.50 fine-tunes)" in choice.reason


def test_before_the_evidence_the_reason_names_the_budget() -> None:
    choice = choose(None, PRICING, 1.0, keep=4, budget=Budget(2.0, 0.0))
    assert choice.chosen is None and "within a search of 2 fine-tune(s)" in choice.reason


# --- binding -----------------------------------------------------------------------------


def catalog() -> CatalogSnapshot:
    folder = Path(tempfile.mkdtemp())
    write_reviews(folder / "train.csv", 40, seed=0)
    write_reviews(folder / "test.csv", 20, seed=1)
    datasets = tuple(described(reviews_dataset(n, folder / f"{n}.csv")) for n in ("train", "test"))
    models = tuple(
        ModelRecord(n, "huggingface", f"/m/{n}", num_params=i + 1, upstream_accuracy=acc)
        for i, (n, acc) in enumerate([("a", 0.7), ("b", None), ("c", 0.8), ("d", None)])
    )
    return CatalogSnapshot(models, datasets)


CATALOG = catalog()


def bind(text: str) -> object:
    (stmt,) = parse(text).statements
    assert isinstance(stmt, ast.Select)
    return Binder(CATALOG, Session("s")).query(stmt)


DATA = 'TRAINED ON "train" TESTED ON "test"'


def test_a_cascade_binds_its_stages_keep_counts_and_prior() -> None:
    bound = bind(
        f"SELECT name FROM models ORDER BY Cascade(CosineNN, Linear(lr=0.1), FineTune(epochs=2),"
        f" keep=[3, 2], prior=up_acc) {DATA};"
    )
    assert isinstance(bound, BoundCascade)
    assert [p.name for p in bound.stages] == ["cosine_nn", "linear", "finetune"]
    assert [p.name for p in bound.spec.proxies] == ["cosine_nn", "linear"]
    assert bound.keep == (3, 2) and bound.finetune is not None
    assert bound.prior is not None and bound.prior.name == "c"
    default = bind(f"SELECT name FROM models ORDER BY Cascade(CosineNN, LogME) {DATA};")
    assert isinstance(default, BoundCascade) and default.keep == (strategies.default_keep(4),)


def test_auto_binds_its_evidence_prior_and_parameters() -> None:
    bound = bind(f"SELECT name FROM models ORDER BY Auto(regret=0.5, lr=2e-5) {DATA};")
    assert isinstance(bound, BoundAuto)
    assert [p.name for p in bound.spec.proxies] == ["cosine_nn", "logme"]
    assert bound.params["regret"] == 0.5 and bound.params["epochs"] == 3
    assert strategies.finetune_params(bound.params) == {"epochs": 3, "lr": 2e-5}
    assert bound.prior is not None and bound.prior.name == "c"  # upstream accuracy
    assert "budget" not in bound.params
    budgeted = bind(f"SELECT name FROM models ORDER BY Auto(budget=1.5) {DATA};")
    assert isinstance(budgeted, BoundAuto) and budgeted.params["budget"] == 1.5
    by_size = bind(f"SELECT name FROM models WHERE name IN ('b', 'd') ORDER BY AUTO {DATA};")
    assert isinstance(by_size, BoundAuto) and by_size.prior_column == "num_params"
    assert by_size.prior is not None and by_size.prior.name == "d"


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        (f'ORDER BY AUTO {DATA} CLASSIFIED BY "Cosine NN"', FailedPrecondition, "CLASSIFIED BY"),
        (f"ORDER BY Cascade(CosineNN, LogME) DESC {DATA}", FailedPrecondition, "DESC"),
        (f"ORDER BY Auto(depth=2) {DATA}", InvalidArgument, "unknown AUTO parameter"),
        (f"ORDER BY Auto(regret=-1) {DATA}", InvalidArgument, "regret"),
        (f"ORDER BY Auto(keep=1) {DATA}", InvalidArgument, "keep"),
        (f"ORDER BY Auto(budget=0) {DATA}", InvalidArgument, "budget is a number of fine-tunes"),
        (f"ORDER BY Auto(budget='one') {DATA}", InvalidArgument, "budget"),
        (f"ORDER BY Cascade(CosineNN, Leap) {DATA}", NotFound, "unknown proxy"),
        (f"ORDER BY Cascade(CosineNN, LogME, prior=acuracy) {DATA}", NotFound, "column"),
        ("ORDER BY Cascade(CosineNN, LogME)", FailedPrecondition, "TRAINED ON"),
    ],
)
def test_a_bad_cascade_or_auto_says_what_is_wrong(
    text: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        bind(f"SELECT name FROM models {text};")
