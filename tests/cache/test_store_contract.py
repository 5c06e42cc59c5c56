"""The Store contract, on both backends."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shift_search.cache.store import Store
from shift_search.runtime.errors import InvalidArgument


def test_put_get_delete(store: Store) -> None:
    assert store.get("a") is None
    store.put("a", b"\x00one\xff")
    assert store.get("a") == b"\x00one\xff"
    store.put("a", b"two")
    assert store.get("a") == b"two"
    assert store.delete("a") is True
    assert store.delete("a") is False
    assert store.get("a") is None


def test_empty_value_is_not_missing(store: Store) -> None:
    store.put("empty", b"")
    assert store.get("empty") == b""
    assert store.get_many(["empty", "missing"]) == [b"", None]


def test_get_many_and_put_many_keep_order(store: Store) -> None:
    store.put_many({"k1": b"1", "k3": b"3"})
    store.put_many([("k2", b"2")])
    assert store.get_many(["k3", "nope", "k1", "k2", "k1"]) == [b"3", None, b"1", b"2", b"1"]
    assert store.get_many([]) == []


def test_many_keys_in_one_batch(store: Store) -> None:
    items = {f"bulk:{i:04d}": str(i).encode() for i in range(1200)}
    store.put_many(items)
    assert store.get_many(list(items)) == list(items.values())


def test_evictable_values_read_like_durable_ones(store: Store) -> None:
    store.put("feat", b"x", evictable=True)
    store.put_many({"feat2": b"y"}, evictable=True)
    assert store.get_many(["feat", "feat2"]) == [b"x", b"y"]


def test_scan_is_sorted_and_literal(store: Store) -> None:
    store.put_many({k: b"" for k in ("p:b", "p:a", "p:c:1", "q:a", "p*x", "p[1]", "p?")})
    assert store.scan("p:") == ["p:a", "p:b", "p:c:1"]
    assert store.scan("p*") == ["p*x"]
    assert store.scan("p[") == ["p[1]"]
    assert store.scan("p?") == ["p?"]
    assert store.scan("zz") == []


def test_scan_handles_non_ascii_keys(store: Store) -> None:
    store.put_many({"ü:1": b"", "ü:2": b"", "üx": b""})
    assert store.scan("ü:") == ["ü:1", "ü:2"]


def test_delete_prefix(store: Store) -> None:
    store.put_many({"d:1": b"", "d:2": b"", "d2": b"", "e:1": b""})
    assert store.delete_prefix("d:") == 2
    assert store.scan("") == ["d2", "e:1"]
    assert store.delete_prefix("d:") == 0


def test_delete_prefix_refuses_empty_prefix(store: Store) -> None:
    with pytest.raises(InvalidArgument):
        store.delete_prefix("")


def test_bad_items_write_nothing(store: Store) -> None:
    bad = [("ok1", b"1"), ("bad", "not bytes"), ("ok2", b"2")]
    with pytest.raises(InvalidArgument, match="bad"):
        store.put_many(bad)  # type: ignore[arg-type]
    assert store.get_many(["ok1", "ok2"]) == [None, None]
    with pytest.raises(InvalidArgument):
        store.put("", b"x")


def test_put_many_is_all_or_nothing_to_readers(store: Store) -> None:
    stop = threading.Event()
    torn: list[tuple[bytes | None, ...]] = []

    def read() -> None:
        while not stop.is_set():
            pair = tuple(store.get_many(["pair:a", "pair:b"]))
            if pair[0] != pair[1]:
                torn.append(pair)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(300):
            store.put_many({"pair:a": str(i).encode(), "pair:b": str(i).encode()})
    finally:
        stop.set()
        reader.join()
    assert torn == []


def test_incr(store: Store) -> None:
    assert store.incr("n") == 1
    assert store.incr("n", by=5) == 6
    assert store.incr("n", by=-2) == 4
    assert store.get("n") == b"4"
    store.put("text", b"abc")
    with pytest.raises(InvalidArgument, match="not an integer"):
        store.incr("text")


def test_concurrent_writers(store: Store) -> None:
    def work(worker: int) -> None:
        for i in range(40):
            store.incr("counter")
            store.put(f"w:{worker}:{i}", f"{worker}-{i}".encode())

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    assert store.get("counter") == b"240"
    assert len(store.scan("w:")) == 240
    assert store.get("w:5:39") == b"5-39"


def test_lease_acquire_conflict_release(store: Store) -> None:
    assert store.acquire_lease("task", "alice", 30) is True
    assert store.acquire_lease("task", "alice", 30) is True  # re-entrant: renews
    assert store.acquire_lease("task", "bob", 30) is False
    store.release_lease("task", "bob")  # not the owner: ignored
    assert store.acquire_lease("task", "bob", 30) is False
    store.release_lease("task", "alice")
    assert store.acquire_lease("task", "bob", 30) is True


def test_expired_lease_can_be_taken_over(store: Store) -> None:
    assert store.acquire_lease("slow", "alice", 0.2) is True
    deadline = time.monotonic() + 5
    while not store.acquire_lease("slow", "bob", 30):
        assert time.monotonic() < deadline, "expired lease was never released"
        time.sleep(0.05)
    assert store.acquire_lease("slow", "alice", 30) is False


def test_only_one_of_many_racers_gets_the_lease(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda i: store.acquire_lease("race", f"w{i}", 30), range(16)))
    assert wins.count(True) == 1


def test_lease_arguments_are_checked(store: Store) -> None:
    with pytest.raises(InvalidArgument, match="ttl"):
        store.acquire_lease("t", "alice", 0)
    with pytest.raises(InvalidArgument, match="owner"):
        store.acquire_lease("t", "", 10)


def test_ping_and_address(store: Store) -> None:
    store.ping()
    assert store.address


def test_append_numbers_values_under_their_count(store: Store) -> None:
    def key_of(count: int) -> str:
        return f"shift:v1:log:{count:04d}"

    counter = "shift:v1:log-count"
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(
            pool.map(lambda i: store.append(counter, key_of, f"v{i}".encode()), range(20))
        )
    assert sorted(counts) == list(range(1, 21))
    assert store.get(counter) == b"20"
    values = store.get_many([key_of(c) for c in counts])
    assert sorted(v or b"" for v in values) == sorted(f"v{i}".encode() for i in range(20))
    store.put(counter, b"not a number")
    with pytest.raises(InvalidArgument):
        store.append(counter, key_of, b"x")
