"""EXPLAIN ANALYZE's attribution: a span's wall-clock time split over its steps by the
executors' phases, then by estimate, so that every step gets a measured figure."""

from __future__ import annotations

import pytest

from shift_search.planner.analyze import Measured, attach, shares, split
from shift_search.planner.events import PlanInfo, Step


def _steps() -> list[Step]:
    return [
        Step("task overhead", "", 2.0, span="full data", parts={"other": 1.0, "features": 1.0}),
        Step("embed", "", 3.0, span="full data", parts={"features": 3.0}),
        Step("proxy", "", 1.0, span="full data", parts={"proxy": 1.0}),
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
    steps = [Step("a", "", 1.0, span="s", parts={"other": 1.0}), Step("b", "", 3.0, span="s")]
    assert split(8.0, {"extract": 1.0, "task": 1.0}, steps) == pytest.approx([2.0, 6.0])


def test_attach_fills_every_step_of_a_measured_span() -> None:
    info = PlanInfo("task_aware", [*_steps(), Step("round 9", "", 1.0, span="round 9")])
    measured = Measured()
    measured.wall["full data"] = 20.0
    measured.add_task("full data", {"extract": 3.0, "proxy": 1.0}, 5.0)
    measured.add_task("full data", {"extract": 4.0, "proxy": 1.0}, 5.0)
    measured.wall["elsewhere"] = 1.5
    attach(info, measured)
    assert [s.measured_seconds for s in info.steps[:3]] == pytest.approx([5.5, 10.5, 4.0])
    assert info.steps[3].measured_seconds is None  # never ran
    assert info.steps[4].name == "measured (elsewhere)" and info.steps[4].measured_seconds == 1.5
    assert info.measured_seconds == pytest.approx(21.5)
    assert "phases" in info.decisions["measured"]
