"""Parser throughput: statements per second on a mix of typical SHiFT-QL queries.

Run `python -m bench.parser [--quick]`; the last line is `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

import lark

from shift_search.parser import format_script, parse

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "parser" / "golden"


def workload() -> str:
    """Every golden statement (the SHIFTQL.md examples and one file per construct)."""
    return "\n".join(p.read_text() + ";" for p in sorted(GOLDEN.glob("*.sql")))


def rate(text: str, seconds: float) -> tuple[float, int]:
    """Statements parsed per second over about `seconds`, and the number of statements."""
    count = len(parse(text).statements)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        parse(text)
        done += count
    return done / elapsed, count


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="a short run (about 3 s)")
    seconds = 1.0 if args.parse_args().quick else 10.0
    text = workload()
    per_second, count = rate(text, seconds)
    print(f"mix: {count} statements, {per_second:,.0f} statements/s", flush=True)
    formatted = format_script(parse(text))
    canonical, _ = rate(formatted, seconds)
    print(f"canonical formatting of the mix: {canonical:,.0f} statements/s", flush=True)
    short = "SELECT * FROM models WHERE num_params < 10M ORDER BY num_params DESC LIMIT 5;\n" * 100
    simple, _ = rate(short, seconds)
    print(f"short metadata query: {simple:,.0f} statements/s", flush=True)
    result = {
        "benchmark": "parser",
        "statements_in_mix": count,
        "mix_statements_per_s": round(per_second),
        "canonical_statements_per_s": round(canonical),
        "short_query_statements_per_s": round(simple),
        "mean_statement_chars": round(len(re.sub(r"\s+", " ", text)) / count),
        "seconds_per_measure": seconds,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "lark": lark.__version__,
        "device": "cpu",
    }
    quick = args.parse_args().quick
    folder = Path(__file__).parent / ("out" if quick else "results")  # smoke runs stay local
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "parser-cpu.json").write_text(json.dumps(result, indent=2))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
