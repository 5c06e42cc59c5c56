"""`shift query` against a real server: the final ranking on stdout, the plan and live progress
on stderr (one line per event when stderr is not a terminal), and errors as `shift: CODE: …`."""

from __future__ import annotations

import pytest

from shift_search.cli.main import main
from tests.services.conftest import Stack

RANKING = """select name from text_models order by err asc trained on "reviews-train"
    tested on "reviews-test" classified by ["Cosine NN"] wait;"""


def test_a_ranking_shows_plan_progress_and_result(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--server", stack.address, RANKING]) == 0
    out, err = capsys.readouterr()
    progress = err.splitlines()
    assert progress[0].startswith("plan: task_aware (")
    tasks = [line for line in progress if line.startswith("[")]
    assert sorted(t[:5] for t in tasks) == ["[1/2]", "[2/2]"]
    assert sorted(t.split()[1] for t in tasks) == ["bert-a:", "bert-b:"]
    assert all("cosine_nn = " in t for t in tasks)
    assert "\033" not in err
    lines = out.strip().splitlines()  # notes (models profiled …), then the ranking
    start = next(i for i, line in enumerate(lines) if line.split() == ["name", "proxy", "error"])
    rule, *rows = lines[start + 1 :]
    assert set(rule) <= {"-", " "}
    assert sorted(r.split()[0] for r in rows) == ["bert-a", "bert-b"]


def test_an_error_is_printed_with_its_code(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    script = RANKING.replace('"Cosine NN"', '"Cosin NN"')
    assert main(["query", "--server", stack.address, script]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[-1].startswith("shift: NOT_FOUND: unknown proxy 'Cosin NN'")
    assert '"Cosine NN"' in err and out == ""
