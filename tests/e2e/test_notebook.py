"""examples/quickstart.ipynb, executed end to end by nbclient against a real `shift serve` in
its own process: real packaged models, a slice of the fine-food reviews, a ranking as a
DataFrame, a cached re-run, errors with their codes and positions, events and asyncio."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"
LISTENING = re.compile(r"listening on (\S+)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "SHIFT_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "shift_search.cli.main", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
        env=env,
    )
    assert process.stdout is not None
    match = LISTENING.search(process.stdout.readline())
    try:
        assert match, (tmp_path / "serve.log").read_text()
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def outputs(cell: nbformat.NotebookNode) -> str:
    """What a cell showed: its streams and the plain-text form of its results."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def cell_of(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    """The code cell whose source holds `text`."""
    return next(c for c in notebook.cells if c.cell_type == "code" and text in c.source)


def test_the_quickstart_notebook_runs_end_to_end(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIFT_SERVER", server)  # the kernel inherits it
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()  # raises on errors

    ranking = outputs(cell_of(notebook, "ranking = client.query(SEARCH)"))
    rows = [line.split() for line in ranking.splitlines() if line[:1].isdigit()]
    assert sorted((r[1], r[3], r[4]) for r in rows) == sorted(
        (model, proxy, "NN")
        for model in ("all-MiniLM-L6-v2", "paraphrase-MiniLM-L3-v2")
        for proxy in ("Cosine", "Euclidean")
    )
    assert all(0.0 <= float(r[5]) <= 1.0 for r in rows)
    assert outputs(cell_of(notebook, "again = ")).split() == [
        "4", "tasks,", "all", "from", "the", "cache:", "True", "True"
    ]  # fmt: skip
    assert "INVALID_ARGUMENT at line 2 column 33" in outputs(cell_of(notebook, "ORDER BY;"))
    assert 'NOT_FOUND unknown dataset "reviews-tarin"' in outputs(
        cell_of(notebook, "reviews-tarin")
    )
    assert "paraphrase-MiniLM-L3-v2" in outputs(cell_of(notebook, "async with"))
