"""Regenerate the Python code for the contracts in protos/shift/v1/*.proto.

Usage: python scripts/gen_protos.py [--out DIR]

The contracts keep their language-neutral home (`protos/shift/v1`, proto package `shift.v1`);
their Python code lives in the distribution's one import root, `shift_search/proto/v1`. protoc
names a generated module after its .proto path (`shift.v1.x_pb2`), so the imports between
generated modules are moved under `shift_search.proto.v1` after generation, as Feast does for its
own protos. tests/test_protos_generated.py fails when the checked-in code differs from what this
command produces.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
CONTRACTS = PROTO_ROOT / "shift" / "v1"
PYTHON_PACKAGE = ROOT / "shift_search" / "proto" / "v1"
_IMPORT = re.compile(r"^from shift\.v1 import ", re.MULTILINE)


def proto_files() -> list[Path]:
    """Every contract file, in a stable order."""
    return sorted(CONTRACTS.glob("*.proto"))


def generate(out: Path) -> None:
    """Run protoc for all contracts; write the modules, imports moved, into `out`."""
    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        files = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        out.mkdir(parents=True, exist_ok=True)
        for module in sorted((Path(tmp) / "shift" / "v1").glob("*_pb2*")):
            text = _IMPORT.sub("from shift_search.proto.v1 import ", module.read_text())
            (out / module.name).write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PYTHON_PACKAGE)
    generate(parser.parse_args().out)
    print(f"generated {len(proto_files())} contracts", file=sys.stderr)


if __name__ == "__main__":
    main()
