"""bench.service's arithmetic: latency percentiles, the median round."""

from __future__ import annotations

from bench.service import median_round, summary_ms


def test_percentiles_of_latencies() -> None:
    seconds = [i / 1000 for i in range(1, 101)]  # 1 ms … 100 ms
    summary = summary_ms(seconds)
    assert summary == {"p50_ms": 50.5, "p99_ms": 99.0, "requests": 100}
    assert summary_ms([0.002]) == {"p50_ms": 2.0, "p99_ms": 2.0, "requests": 1}


def test_the_median_round_is_reported_with_every_round() -> None:
    rounds = [
        {"queries_per_s": 700.0, "p99_ms": 90.0},
        {"queries_per_s": 480.0, "p99_ms": 170.0},
        {"queries_per_s": 650.0, "p99_ms": 110.0},
    ]
    assert median_round(rounds) == {
        "queries_per_s": 650.0,
        "p99_ms": 110.0,
        "queries_per_s_each_round": [700.0, 480.0, 650.0],
    }
    assert median_round(rounds[:1])["queries_per_s"] == 700.0
