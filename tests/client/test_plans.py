"""Every field of the planner's plan steps reaches the client typed: ids, kinds, the kind's own
fields, estimated parts, cached flags, nested steps and what EXPLAIN ANALYZE measured (nothing
of today's PlanStep is left in `extra`); a plan's JSON is EXPLAIN JSON's, and a finished
statement says which steps it executed."""

from __future__ import annotations

from shift_search.client import Finished, StepMeasurement
from shift_search.client.convert import event_from_proto, plan_from_proto
from shift_search.planner import events
from shift_search.planner.bound import Proxy
from shift_search.planner.convert import event_to_proto, plan_proto_json, plan_to_proto
from shift_search.planner.measurements import Trace
from shift_search.planner.physical import (
    Estimate,
    ExtractFeatures,
    HalvingRound,
    Plan,
    ProxyScore,
)

FEATURES = ExtractFeatures(
    id="2",
    split="train",
    dataset="reviews",
    ranges=((0, 0, 30),),
    models=2,
    uncached_samples=60,
    estimate=Estimate.of({"features": 0.5}),
)
SCORE = ProxyScore(
    id="3",
    proxy=Proxy("cosine_nn", {}, "Cosine NN"),
    models=2,
    test_samples=10,
    cached=True,
    estimate=Estimate.of({"proxy": 0.25}),
)
ROUND = HalvingRound(
    id="1",
    round=0,
    survivors=2,
    pulls=1,
    samples=30,
    new_samples=30,
    samples_per_segment=(30,),
    keep=1,
    estimate=Estimate.of({"features": 0.5, "proxy": 0.25}),
    children=(FEATURES, SCORE),
)
PLAN = Plan("task_aware", (ROUND,), (("successive_halving", "true"),))


def analyzed() -> Trace:
    trace = Trace()
    trace.ran(ROUND, FEATURES, SCORE)
    trace.add(ROUND, seconds=0.9, rows=2, cache_hits=1, tasks=2)
    trace.add(FEATURES, seconds=0.6)
    return trace


def test_a_step_arrives_with_every_field_typed() -> None:
    plan = plan_from_proto(plan_to_proto(PLAN))
    (step,) = plan.steps
    assert (step.id, step.kind, step.name, step.extra) == ("1", "halving_round", "round 0", {})
    assert step.fields["survivors"] == 2 and step.fields["samples_per_segment"] == [30]
    assert step.estimated_parts == {"features": 0.5, "proxy": 0.25}
    assert step.estimated_seconds == 0.75 and not step.cached and step.measured is None
    assert [(c.id, c.kind, c.cached, c.extra) for c in step.children] == [
        ("2", "extract_features", False, {}),
        ("3", "proxy_score", True, {}),
    ]
    assert step.children[0].fields["ranges"] == [[0, 0, 30]]
    assert plan.find("3") is step.children[1] and plan.find("9") is None


def test_what_explain_analyze_measured_arrives_per_step() -> None:
    plan = plan_from_proto(plan_to_proto(PLAN, analyzed()))
    (step,) = plan.steps
    assert step.measured == StepMeasurement(0.9, rows=2, cache_hits=1, tasks=2)
    assert step.measured_seconds == 0.9 and plan.measured_seconds == 0.9
    features, score = step.children
    assert features.measured == StepMeasurement(0.6) and features.measured_seconds == 0.6
    assert score.measured == StepMeasurement(0.0) and score.measured_seconds == 0.0  # it ran


def test_the_json_of_a_plan_is_explain_json() -> None:
    for trace in (None, analyzed()):
        message = plan_to_proto(PLAN, trace)
        assert plan_from_proto(message).explain_json() == plan_proto_json(message)


def test_a_finished_statement_lists_the_steps_it_executed() -> None:
    finished = event_from_proto(event_to_proto(0, events.Finished(0, 1.5, ("1", "2", "3"))))
    assert finished == Finished(0, 0, 1.5, ("1", "2", "3"))
