"""Regenerate the Python code for protos/shift/v1/*.proto, beside the .proto files.

Usage: python scripts/gen_protos.py [--out DIR]

Generated modules import each other package-absolutely (`shift.v1.x_pb2`), so nothing is
rewritten after generation. tests/test_protos_generated.py fails when the checked-in code
differs from what this command produces.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = PROTO_ROOT / "shift" / "v1"


def proto_files() -> list[Path]:
    """Every contract file, in a stable order."""
    return sorted(PACKAGE_DIR.glob("*.proto"))


def generate(out: Path) -> None:
    """Run protoc for all contracts into `out` (a folder laid out like `protos/`)."""
    well_known = str(resources.files("grpc_tools") / "_proto")
    (out / "shift" / "v1").mkdir(parents=True, exist_ok=True)
    for init in ("shift/__init__.py", "shift/v1/__init__.py"):
        (out / init).touch()
    files = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROTO_ROOT)
    generate(parser.parse_args().out)
    print(f"generated {len(proto_files())} contracts", file=sys.stderr)


if __name__ == "__main__":
    main()
