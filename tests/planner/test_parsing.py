"""The planner's in-process parser keeps the scripts it parsed last: a query sent again is the
same script, and a script with errors fails every time it is sent."""

from __future__ import annotations

import pytest

from shift_search.parser import ParseErrors, parse
from shift_search.planner.parsing import InProcessParser

TEXT = "SELECT name FROM models WHERE num_params < 100000000 LIMIT 3;"


def test_a_script_sent_again_is_the_same_script() -> None:
    parser = InProcessParser()
    first = parser.parse(TEXT, "a")
    assert parser.parse(TEXT, "a") is first
    assert first == parse(TEXT, "a")
    assert parser.parse(TEXT, "b") == parse(TEXT, "b")  # the source name is part of it


def test_a_script_with_errors_fails_every_time() -> None:
    parser = InProcessParser()
    for _ in range(2):
        with pytest.raises(ParseErrors):
            parser.parse("SELEC name FROM models;")
