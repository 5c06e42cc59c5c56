"""Parser throughput on the paper authors' published queries (`tests/parser/corpus`: 59 files, 270
statements), for this parser and for the lark parser it replaced (`bench/parser_baseline`), in one
process: passes over the corpus alternate between the two, and each keeps its fastest pass (the
one least disturbed by other work on the machine) and its median one.

Also measured the same way: one short metadata query repeated, and the corpus in canonical form.
Run `python -m bench.parser [--quick]`; the last line is `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import lark

from bench.parser_baseline import ParseErrors as BaselineErrors
from bench.parser_baseline import parse as baseline_parse
from shift_search.parser import ParseErrors, format_text, parse

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "parser" / "corpus" / "ds3lab_shift"
SHORT = "SELECT * FROM models WHERE num_params < 10M ORDER BY num_params DESC LIMIT 5;\n" * 100

Parser = Callable[[str], object]


def corpus() -> list[str]:
    """Every corpus file's text (each parsed as one script)."""
    return [path.read_text() for path in sorted(CORPUS.rglob("*.shiftql"))]


def one_pass(parser: Parser, texts: list[str]) -> float:
    """Seconds to parse every text once (the baseline fails on 10 corpus statements: it reads
    them up to its error, about as much work)."""
    start = time.perf_counter()
    for text in texts:
        with contextlib.suppress(ParseErrors, BaselineErrors):
            parser(text)
    return time.perf_counter() - start


def compare(texts: list[str], statements: int, seconds: float) -> dict[str, float]:
    """Both parsers on `texts` (`statements` in all), passes alternating for about `seconds`."""
    ours: list[float] = []
    theirs: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(ours) < 5:
        theirs.append(one_pass(baseline_parse, texts))
        ours.append(one_pass(parse, texts))
    best, best_baseline = min(ours), min(theirs)
    return {
        "statements_per_s": round(statements / best),
        "baseline_statements_per_s": round(statements / best_baseline),
        "speedup": round(best_baseline / best, 2),
        "median_statements_per_s": round(statements / statistics.median(ours)),
        "median_baseline_statements_per_s": round(statements / statistics.median(theirs)),
        "median_speedup": round(statistics.median(theirs) / statistics.median(ours), 2),
        "passes": len(ours),
    }


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="a short run (about 10 s)")
    quick = args.parse_args().quick
    seconds = 3.0 if quick else 30.0
    texts = corpus()
    statements = sum(len(parse(text).statements) for text in texts)
    load_before = os.getloadavg()
    figures = compare(texts, statements, seconds)
    print(
        f"corpus: {statements} statements in {len(texts)} files: {figures['statements_per_s']:,} "
        f"statements/s, baseline {figures['baseline_statements_per_s']:,}/s, "
        f"{figures['speedup']}x (median {figures['median_speedup']}x)",
        flush=True,
    )
    canonical = [format_text(text) for text in texts]
    canonical_figures = compare(canonical, statements, seconds / 3)
    print(f"corpus in canonical form: {canonical_figures['speedup']}x", flush=True)
    short_figures = compare([SHORT], 100, seconds / 3)
    print(
        f"short metadata query: {short_figures['statements_per_s']:,} statements/s, "
        f"{short_figures['speedup']}x",
        flush=True,
    )
    result = {
        "benchmark": "parser",
        "workload": "tests/parser/corpus (DS3Lab/shift query files)",
        "files": len(texts),
        "statements": statements,
        **figures,
        "canonical": canonical_figures,
        "short_query": short_figures,
        "seconds_per_comparison": seconds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "baseline_lark": lark.__version__,
        "device": "cpu",
    }
    folder = Path(__file__).parent / ("out" if quick else "results")  # smoke runs stay local
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parser-cpu.json").write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
