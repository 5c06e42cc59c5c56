"""Statement threads are reused, never queued: every function runs at once on a thread of its
own, in an empty context, and a thread that was idle too long ends."""

from __future__ import annotations

import contextvars
import threading
import time

from shift_search.runtime.daemon_threads import DaemonThreads

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")


def test_blocking_functions_never_wait_for_each_other() -> None:
    threads = DaemonThreads("test")
    release = threading.Event()
    started = threading.Barrier(9)

    def block() -> None:
        started.wait(5)
        release.wait(5)

    for _ in range(8):
        threads.run(block)
    started.wait(5)  # all eight run at once: none waited for a free thread
    release.set()


def test_an_idle_thread_is_reused_and_its_context_is_empty() -> None:
    threads = DaemonThreads("test")
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def record() -> None:
        seen.append((threading.current_thread().name, MARK.get()))
        MARK.set("left behind")
        done.set()

    for _ in range(3):
        done.clear()
        threads.run(record)
        assert done.wait(5)
        time.sleep(0.05)  # the thread goes back to the idle ones
    assert [mark for _, mark in seen] == ["unset"] * 3
    assert len({name for name, _ in seen}) == 1


def test_a_failing_function_keeps_its_thread_and_an_idle_thread_ends() -> None:
    threads = DaemonThreads("short-lived", idle_seconds=0.1)
    names: list[str] = []
    done = threading.Event()

    def fail() -> None:
        names.append(threading.current_thread().name)
        done.set()
        raise RuntimeError("boom")

    threads.run(fail)
    assert done.wait(5)
    deadline = time.monotonic() + 5
    while any(t.name == names[0] for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the idle thread did not end"
        time.sleep(0.02)
    done.clear()
    threads.run(fail)  # a new thread takes the work
    assert done.wait(5)
