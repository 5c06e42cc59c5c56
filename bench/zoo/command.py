"""A real model pool, built once and deterministically, registered in a SHiFT catalog.

Run `python -m bench.zoo [--quick] [--out DIR] [--server HOST:PORT]`. Models are cached under
`$SHIFT_HOME/zoo` (`zoo-quick` in quick mode) with a manifest of recipes and sha256s; a second run
reuses them. The pool is written to `zoo.yaml` (for `shift register -f`) and, with `--server`,
registered with that cache service. The last line is `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.zoo.build import Measurement, Outcome, build_pool
from shift_search.cache.records import ModelRecord
from shift_search.runtime.settings import shift_home

YAML_FILE = "zoo.yaml"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small pool (about 2 minutes)")
    parser.add_argument("--out", type=Path, help="cache folder (default $SHIFT_HOME/zoo)")
    parser.add_argument("--server", help="register the pool with this cache service host:port")
    parser.add_argument(
        "--remeasure", action="store_true", help="measure reused models again (another machine)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    return parser.parse_args(argv)


def write_yaml(records: Sequence[ModelRecord], path: Path) -> Path:
    """`models:` list in the format `shift register -f` reads."""
    body = {"models": [record.to_dict() for record in records]}
    path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
    return path


def register(records: Sequence[ModelRecord], server: str) -> None:
    from shift_search.cli.register import register_all
    from shift_search.client import Client

    with Client(server, session_id="") as client:
        register_all(client, list(records))
    print(f"[zoo] registered {len(records)} models with {server}", flush=True)


def summary(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    return [
        {
            "name": o.record.name,
            "modality": o.record.modality,
            "source": o.record.source,
            "variant": o.record.tags.get("variant"),
            "params": o.record.num_params,
            "dimension": o.record.dimension,
            "inference_s_per_1k": o.record.inference_cost,
            "load_s": o.record.load_cost,
            "build_s": o.seconds,
            "reused": o.reused,
            "revision": o.record.revision,
        }
        for o in outcomes
    ]


def versions() -> dict[str, str]:
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    from bench.zoo.measure import MEASURE_VERSION, measure
    from bench.zoo.pool import builders, pool_specs

    torch.set_num_threads(args.threads)
    root = (args.out or shift_home() / ("zoo-quick" if args.quick else "zoo")).resolve()
    started = time.perf_counter()
    measurement = Measurement(measure, MEASURE_VERSION, always=args.remeasure)
    outcomes = build_pool(pool_specs(args.quick), root, builders(), measurement, log=_log)
    records = [o.record for o in outcomes]
    yaml_path = write_yaml(records, root / YAML_FILE)
    print(f"[zoo] {len(records)} models -> {yaml_path}", flush=True)
    if args.server:
        register(records, args.server)
    result = {
        "benchmark": "zoo",
        "quick": args.quick,
        "models": summary(outcomes),
        "text_models": sum(r.modality == "text" for r in records),
        "image_models": sum(r.modality == "image" for r in records),
        "built": sum(not o.reused for o in outcomes),
        "reused": sum(o.reused for o in outcomes),
        "seconds": round(time.perf_counter() - started, 2),
        "out": str(root),
        "yaml": str(yaml_path),
        "threads": args.threads,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "device": "cpu",
        **versions(),
    }
    print("RESULT " + json.dumps(result))


def _log(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    main()
