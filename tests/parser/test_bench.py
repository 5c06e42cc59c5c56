"""`python -m bench.parser` measures both parsers on the whole corpus (what it reports, not how
fast: speed lives in the benchmark's own results)."""

from __future__ import annotations

from bench import parser as bench
from shift_search.parser import parse


def test_the_benchmark_reads_the_corpus_with_both_parsers() -> None:
    texts = bench.corpus()
    assert len(texts) == 59
    statements = sum(len(parse(text).statements) for text in texts)
    figures = bench.compare(texts, statements, seconds=0.0)
    assert figures["passes"] == 5 and all(value > 0 for value in figures.values())
    assert {"statements_per_s", "baseline_statements_per_s", "speedup"} <= set(figures)
