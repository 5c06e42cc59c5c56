"""The checked-in generated code is exactly what `python scripts/gen_protos.py` produces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "protos" / "shift" / "v1"
GENERATED = ROOT / "shift_search" / "proto" / "v1"


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = {p.name: p.read_bytes() for p in tmp_path.glob("*_pb2*")}
    checked_in = {p.name: p.read_bytes() for p in GENERATED.glob("*_pb2*")}
    assert sorted(fresh) == sorted(checked_in), "a contract was added or removed: regenerate"
    stale = [name for name in fresh if fresh[name] != checked_in[name]]
    assert not stale, f"stale generated code {stale}: run python scripts/gen_protos.py"


def test_every_contract_uses_package_shift_v1() -> None:
    contracts = list(CONTRACTS.glob("*.proto"))
    assert contracts
    for proto in contracts:
        assert "package shift.v1;" in proto.read_text(), proto.name
