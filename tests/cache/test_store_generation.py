"""A store's generation: it moves on with every change of a value but the history's, made
through this store or another connection to the same file, and stays while only reads, leases
and history appends happen (the planner keeps plans on the strength of it)."""

from __future__ import annotations

from pathlib import Path

from shift_search.cache import keys
from shift_search.cache.catalog import Catalog
from shift_search.cache.history import History
from shift_search.cache.purge import purge
from shift_search.cache.records import ModelRecord
from shift_search.cache.sqlite_store import SQLiteStore
from shift_search.cache.store import Store


def test_every_change_of_a_value_moves_the_generation(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    seen = [store.generation()]

    def moved() -> bool:
        seen.append(store.generation())
        return seen[-1] != seen[-2]

    store.put("shift:v1:a", b"1")
    assert moved()
    store.put_many([("shift:v1:b", b"2"), (keys.history_entry(7), b"{}")])
    assert moved()  # a batch holding any value but the history's
    store.incr("shift:v1:counter")
    assert moved()
    assert store.delete("shift:v1:a")
    assert moved()
    store.delete_prefix("shift:v1:b")
    assert moved()
    catalog = Catalog(store)
    catalog.register_model(ModelRecord(name="m", source="huggingface", uri="m"))
    assert moved()
    assert catalog.delete_model("m")
    assert moved()
    store.put("shift:v1:res:x", b"3")
    seen.append(store.generation())
    purge(store)
    assert moved()
    store.close()


def test_reads_leases_and_history_leave_the_generation(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.put("shift:v1:a", b"1")
    before = store.generation()
    assert store.get_many(["shift:v1:a", "shift:v1:none"]) == [b"1", None]
    assert store.scan("shift:v1:") == ["shift:v1:a"]
    assert store.acquire_lease("shift:v1:lease", "me", 30.0)
    store.release_lease("shift:v1:lease", "me")
    History(store).append({"statement": "SELECT * FROM models;"})
    assert store.generation() == before
    store.close()


def test_a_write_through_another_connection_moves_the_generation(tmp_path: Path) -> None:
    store, other = SQLiteStore(tmp_path / "s.sqlite3"), SQLiteStore(tmp_path / "s.sqlite3")
    before = store.generation()
    other.put("shift:v1:a", b"1")
    after = store.generation()
    assert after != before
    assert store.get("shift:v1:a") == b"1"
    Catalog(other).register_model(ModelRecord(name="m", source="huggingface", uri="m"))
    assert store.generation() != after
    store.close()
    other.close()


def test_a_store_that_cannot_tell_says_none(store: Store) -> None:
    """SQLite counts; Redis is written by others unseen, so it never claims a generation."""
    generation = store.generation()
    if "redis" in type(store).__name__.lower():
        assert generation is None
    else:
        assert generation is not None
