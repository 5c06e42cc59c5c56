"""Protobuf at the edges only: in the planner and the executor, only the servicer, the convert
module and the clients (of the executors, of the parser) import the generated `shift.v1` code
(lazy imports in functions count); everything else works on domain types (`shift_search/tasks`,
`cache/records.py`, the planner's physical plan)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO = "shift_search.proto"
EDGES = {
    "executor": {"service.py", "convert.py"},
    # executors.py: the executor client; parsing.py: the ParserService client (--parser)
    "planner": {"service.py", "convert.py", "executors.py", "parsing.py"},
}


def imports_proto(path: Path) -> bool:
    """Whether a module imports anything under `shift_search.proto`, anywhere in its body."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        if any(name == PROTO or name.startswith(PROTO + ".") for name in names):
            return True
    return False


def proto_importers(package: str) -> set[str]:
    folder = ROOT / "shift_search" / package
    return {str(p.relative_to(folder)) for p in folder.rglob("*.py") if imports_proto(p)}


def test_only_servicers_convert_modules_and_the_clients_import_protobuf() -> None:
    for package, edges in EDGES.items():
        assert proto_importers(package) <= edges, package


def test_the_check_sees_every_way_of_importing(tmp_path: Path) -> None:
    seen = {
        "import shift_search.proto.v1.executor_pb2": True,
        "from shift_search.proto.v1 import executor_pb2": True,
        "from shift_search import proto": True,
        "def f():\n    from shift_search.proto.v1.query_pb2 import Plan": True,
        "from shift_search.tasks import convert": False,
        "import shift_search.protocols": False,
    }
    for source, expected in seen.items():
        module = tmp_path / "m.py"
        module.write_text(source + "\n")
        assert imports_proto(module) is expected, source
