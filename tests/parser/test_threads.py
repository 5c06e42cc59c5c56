"""Parsing from many threads at once: each thread builds its own parser, safely."""

from __future__ import annotations

import threading

from shift_search.parser import parse


def test_threads_that_start_parsing_together_all_succeed() -> None:
    start = threading.Barrier(24)
    failures: list[BaseException] = []

    def work() -> None:
        start.wait()
        try:
            parse("SELECT name FROM models WHERE num_params < 10M LIMIT 3;")
        except BaseException as err:  # collected for the assertion below
            failures.append(err)

    threads = [threading.Thread(target=work) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
