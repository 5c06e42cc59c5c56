"""The parser, planner and cache (and the CLI) import and start without torch, transformers,
faiss or onnxruntime: only the executor may import them."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap

BLOCKED = ("torch", "transformers", "faiss", "onnxruntime", "sklearn")


def test_light_services_never_import_the_heavy_libraries() -> None:
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError(f"{{name}} must not be imported here")
                return None

        sys.meta_path.insert(0, Block())
        import shift_search.cli.main, shift_search.cli.serve
        import shift_search.cache.service, shift_search.parser.service, shift_search.planner.service
        from shift_search.runtime.server import ServiceServer
        from shift_search.cli.serve import build
        import argparse
        for service in ("parser", "cache", "planner"):
            args = argparse.Namespace(service=service, host="127.0.0.1", port=0,
                                      cache="127.0.0.1:1", queue="memory", parser=None,
                                      store="sqlite:///" + sys.argv[1] + "/s.sqlite3", slots=1,
                                      device=None)
            build(args).start().stop(grace=0)
        print("ok")
        """
    )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", script, tmp], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
