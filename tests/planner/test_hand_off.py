"""Where the coordinator may run: statements answered at once from in-process state run on the
caller's thread (the public port's event loop) when the coordinator is `inline`; it yields
`HAND_OFF` before anything that may block, and the caller moves the rest to a worker thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shift_search.cache.in_process import InProcessCache
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.planner.coordinator import HAND_OFF, Coordinator
from shift_search.planner.events import Planned, Table
from shift_search.planner.executors import ExecutorPool
from shift_search.planner.session import Sessions
from shift_search.queue.memory import InProcessQueue
from shift_search.runtime.callers import Local
from shift_search.runtime.errors import InvalidArgument


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "store.sqlite3")
    yield store
    store.close()


def coordinator(store: SQLiteStore, *, inline: bool) -> Coordinator:
    cache = InProcessCache(store, caller=Local())
    return Coordinator(cache, ExecutorPool(InProcessQueue()), Sessions(cache), inline=inline)


def test_a_metadata_query_is_answered_on_the_callers_thread(store: SQLiteStore) -> None:
    items = list(coordinator(store, inline=True).execute("SELECT name FROM models;"))
    assert HAND_OFF not in items
    (batch,) = items  # every event of the statement in one message
    assert any(isinstance(event, Table) for _, event in batch)


def test_a_statement_that_may_block_is_handed_off_first(store: SQLiteStore) -> None:
    script = "SELECT name FROM models; EXPLAIN ANALYZE SELECT name FROM models;"
    run = coordinator(store, inline=True).execute(script)
    first = next(run)
    assert first is not HAND_OFF and {i for i, _ in first} == {0}
    assert next(run) is HAND_OFF  # the second statement runs on a thread of its own
    rest = list(run)
    assert HAND_OFF not in rest
    events = [event for batch in rest if batch is not HAND_OFF for _, event in batch]
    assert any(isinstance(event, Planned) for event in events)


def test_without_inline_it_hands_off_before_parsing(store: SQLiteStore) -> None:
    run = coordinator(store, inline=False).execute("SELEKT name FROM models;")
    assert next(run) is HAND_OFF
    with pytest.raises(InvalidArgument):  # the parse error comes after the hand-off
        next(run)
