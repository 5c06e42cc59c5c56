"""EXPLAIN ANALYZE's attribution: a span's wall-clock time split over its steps by the
executors' phases, then by estimate, so that every step gets a measured figure, kept beside the
plan by step id."""

from __future__ import annotations

import pytest

from shift_search.planner.measurements import Trace, shares, split
from shift_search.planner.physical import Dispatch, Estimate, LoadModels, StepBase


def _steps() -> list[StepBase]:
    return [
        Dispatch(id="1", tasks=2, devices=1, estimate=Estimate.of({"other": 1.0, "features": 1.0})),
        LoadModels(id="2", loads=2, estimate=Estimate.of({"features": 3.0})),
        Dispatch(id="3", tasks=2, devices=1, estimate=Estimate.of({"proxy": 1.0})),
    ]


def test_phases_group_into_the_cost_model_kinds() -> None:
    fractions = shares({"read": 1.0, "extract": 5.0, "store": 0.5, "lookup": 0.5, "proxy": 2.0,
                        "task": 10.0})  # fmt: skip
    assert fractions == pytest.approx({"features": 0.7, "proxy": 0.2, "other": 0.1})
    assert shares({}) == {"other": 1.0}


def test_wall_time_splits_by_phase_then_by_estimate() -> None:
    phases = {"extract": 7.0, "proxy": 2.0, "task": 10.0}
    measured = split(20.0, phases, _steps())
    # features 14 s split 1:3, proxy 4 s, other 2 s all to the task overhead step.
    assert measured == pytest.approx([3.5 + 2.0, 10.5, 4.0])
    assert sum(measured) == pytest.approx(20.0)


def test_an_untimed_proxy_counts_as_other() -> None:
    # 1-NN searches are no phase of the executor: their time is in `other`.
    measured = split(10.0, {"extract": 8.0, "task": 10.0}, _steps())
    assert measured == pytest.approx([2.0 + 1.0, 6.0, 1.0])


def test_time_not_estimated_goes_by_total_estimate() -> None:
    steps = [
        LoadModels(id="1", loads=1, estimate=Estimate.of({"other": 1.0})),
        LoadModels(id="2", loads=1, estimate=Estimate(3.0)),
    ]
    assert split(8.0, {"extract": 1.0, "task": 1.0}, steps) == pytest.approx([2.0, 6.0])


def test_a_trace_keeps_what_each_step_measured_by_id() -> None:
    span = LoadModels(id="9", loads=4)
    trace = Trace()
    trace.ran(span, *_steps())
    trace.add_task(span, {"extract": 3.0, "proxy": 1.0}, 5.0)
    trace.add_task(span, {"extract": 4.0, "proxy": 1.0}, 5.0)
    trace.close_span(span, 20.0, _steps())
    assert [trace.seconds(s) for s in _steps()] == pytest.approx([5.5, 10.5, 4.0])
    assert trace.executed == ["9", "1", "2", "3"]
    assert trace.seconds(LoadModels(id="7", loads=0)) is None  # never ran
    assert trace.executor_time().startswith("10.00s in tasks: extract 7.00s, proxy 2.00s")
