"""The CLI's live progress display: the planner's real events, converted to protobuf as the server
sends them and back as the client receives them, printed for a terminal (one live line that each
task overwrites) and for a pipe or a file (one line per event, no control characters)."""

from __future__ import annotations

import io
import json

from shift_search.cli.render import HumanPrinter, JsonPrinter, table_text
from shift_search.client.convert import event_from_proto
from shift_search.planner.convert import event_to_proto
from shift_search.planner.events import (
    Eliminated,
    Event,
    Finished,
    Leaders,
    Note,
    Planned,
    Table,
    TaskFinished,
)
from shift_search.planner.physical import Estimate, FinetuneRound, Plan
from shift_search.proto.v1 import query_pb2

LIVE = "\r\033[K"  # back to the start of the line, and wipe it


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


ROUND = FinetuneRound(
    id="1",
    round=0,
    survivors=4,
    epochs=1,
    keep=2,
    train_samples=30,
    test_samples=10,
    estimate=Estimate(1.5),
)
PLAN = Plan(
    "task_aware",
    (ROUND,),
    (("successive_halving", "true"), ("chunk", "30"), ("reason", "SH is cheaper")),
)
RANKING = Table(
    "SELECT name",
    ("name", "proxy", "error"),
    (("m0", "Euclidean NN", 0.25), ("m2", "Euclidean NN", 0.3)),
)
QUERY: list[Event] = [
    Planned(PLAN),
    TaskFinished("t0", "m0", "euclidean_nn", 0.25, False, 1, 4),
    TaskFinished("t1", "m1", "euclidean_nn", 0.5, True, 2, 4),
    Eliminated("m1", 0, 0.5),
    Leaders(("m0", "m2"), (0.25, 0.3)),
    RANKING,
    Finished(0, 1.5),
]
PLAN_LINE = "plan: task_aware (chunk=30, successive_halving=true); estimated 1.5s"
RANKING_TEXT = table_text(RANKING.columns, RANKING.rows)


def show(events: list[Event], out: io.StringIO, err: io.StringIO) -> HumanPrinter:
    printer = HumanPrinter(out, err)
    for event in events:
        printer.event(event_from_proto(event_to_proto(0, event)))
    return printer


def test_a_pipe_gets_one_plain_line_per_event() -> None:
    out, err = io.StringIO(), io.StringIO()
    show(QUERY, out, err).close()
    assert err.getvalue().splitlines() == [
        PLAN_LINE,
        "[1/4] m0: euclidean_nn = 0.2500",
        "[2/4] m1: euclidean_nn = 0.5000 (cached)",
        "round 0: eliminated m1 (0.5000)",
        "leaders: m0, m2",
    ]
    assert "\033" not in err.getvalue() and "\r" not in err.getvalue()
    assert out.getvalue() == RANKING_TEXT + "\n\n"  # the final ranking, on stdout only
    assert RANKING_TEXT.splitlines()[0].split() == ["name", "proxy", "error"]
    assert RANKING_TEXT.splitlines()[2].split() == ["m0", "Euclidean", "NN", "0.2500"]


def test_a_terminal_gets_a_live_line_that_each_task_overwrites() -> None:
    out, err = io.StringIO(), Terminal()
    show(QUERY, out, err).close()
    assert err.getvalue() == (
        f"{LIVE}{PLAN_LINE}\n"
        f"{LIVE}[1/4] m0: euclidean_nn = 0.2500"  # live: no newline, the next task overwrites it
        f"{LIVE}[2/4] m1: euclidean_nn = 0.5000 (cached)"
        f"{LIVE}round 0: eliminated m1 (0.5000)\n"  # kept: eliminations and leaders stay
        f"{LIVE}leaders: m0, m2\n"
        f"{LIVE}"  # the ranking wipes the live line before it prints
        f"{LIVE}"  # and so does closing the display
    )
    assert out.getvalue() == RANKING_TEXT + "\n\n"


def test_an_unfinished_answer_says_how_many_tasks_still_run() -> None:
    out, err = io.StringIO(), io.StringIO()
    partial = Table(RANKING.title, RANKING.columns, RANKING.rows[:1], remaining_tasks=3)
    show([Note("profiled 4 model(s) once"), partial], out, err)
    lines = out.getvalue().splitlines()
    assert lines[0] == "profiled 4 model(s) once"
    assert "(3 task(s) still running; run the query again later, or add WAIT)" in lines
    assert err.getvalue() == ""


def test_an_error_after_live_progress_starts_on_a_clean_line() -> None:
    out, err = io.StringIO(), Terminal()
    printer = show([Planned(PLAN), TaskFinished("t0", "m0", "knn", 0.1, False, 1, 4)], out, err)
    printer.close()  # what `shift query` does when the server answers with an error
    print("shift: CANCELLED: query cancelled", file=err)
    last = err.getvalue().split("\n")[-2]
    assert last == f"{LIVE}[1/4] m0: knn = 0.1000{LIVE}shift: CANCELLED: query cancelled"
    printer.event(event_from_proto(query_pb2.QueryEvent()))  # no kind: prints nothing
    assert out.getvalue() == ""


def test_json_lines_carry_the_plan_as_a_tree() -> None:
    out = io.StringIO()
    printer = JsonPrinter(out)
    for event in [Planned(PLAN), RANKING]:
        printer.event(event_from_proto(event_to_proto(0, event)))
    plan_line, table_line = (json.loads(line) for line in out.getvalue().splitlines())
    (step,) = plan_line["plan"]["steps"]
    assert plan_line["plan"]["strategy"] == "task_aware"
    assert plan_line["plan"]["decisions"]["chunk"] == "30"
    assert step["id"] == "1" and step["kind"] == "finetune_round" and step["name"] == "round 0"
    assert step["fields"]["survivors"] == 4 and step["fields"]["keep"] == 2
    assert step["estimate"]["seconds"] == 1.5 and step["children"] == []
    assert table_line["rows"][0] == {"name": "m0", "proxy": "Euclidean NN", "error": 0.25}
