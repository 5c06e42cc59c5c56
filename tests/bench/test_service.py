"""bench.service's arithmetic: latency percentiles."""

from __future__ import annotations

from bench.service import summary_ms


def test_percentiles_of_latencies() -> None:
    seconds = [i / 1000 for i in range(1, 101)]  # 1 ms … 100 ms
    summary = summary_ms(seconds)
    assert summary == {"p50_ms": 50.5, "p99_ms": 99.0, "requests": 100}
    assert summary_ms([0.002]) == {"p50_ms": 2.0, "p99_ms": 2.0, "requests": 1}
