"""`shift shell` driven through a pseudo-terminal (pexpect) against a real server: a statement
over two lines, Tab completion of columns, tables, datasets and variables from the catalog, live
progress and a ranking, EXPLAIN as a tree, an error that leaves the shell running, and history
that outlives the shell (while variables, bound to the server session, do not)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.services.conftest import Stack

GAP = r"(?:\s|\x1b\[[\d;?]*[A-Za-z])+"
STYLE = r"(?:\x1b\[[\d;?]*[A-Za-z])*"  # a style's escapes, if any (a bold step name)
"""Blanks and terminal escapes between two pieces of text on screen."""
PROMPT = "shift>"  # the space after it is drawn as a cursor move
DOWN_TO_DATA = (
    'select name from text_models order by err trained on "reviews-train" '
    'tested on task "reviews-test" classified by ["Cosine NN"]'
)


def spawn(stack: Stack, home: Path) -> pexpect.spawn:
    env = {
        **os.environ,
        "SHIFT_HOME": str(home),
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect answers no cursor-position requests
        "TERM": "xterm",
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    shell = pexpect.spawn(
        sys.executable,
        ["-m", "shift_search.cli.main", "shell", "--server", stack.address],
        env=env,
        encoding="utf-8",
        dimensions=(60, 200),
        timeout=60,
    )
    shell.expect(r"SHiFT at \S+: 3 models, 2 datasets")
    shell.expect_exact(PROMPT)
    return shell


def row(*cells: str) -> str:
    """A regex for table cells in order, whatever spaces and styles (bold headers) lie between."""
    return GAP.join(cells)


def complete(shell: pexpect.spawn, typed: str, completed: str) -> None:
    """Type `typed`, press Tab, and wait until the completion is drawn: the screen is redrawn
    by difference, so only what the completion added shows."""
    shell.send(typed + "\t")
    word = typed.split()[-1]
    assert completed.lower().startswith(word.lower())
    shell.expect_exact(completed[len(word) :])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_a_session_at_the_prompt(stack: Stack, home: Path) -> None:
    shell = spawn(stack, home)
    try:
        complete(shell, "select name, num_p", "num_params")
        shell.send("\r")
        shell.expect_exact("...>")  # no `;` yet: Enter starts a new line
        complete(shell, "from text_mo", "text_models")
        shell.send(" order by num_params desc;\r")
        shell.expect(row("bert-a", "40000"))
        shell.expect(row("bert-b", "20000"))
        shell.expect_exact(PROMPT)

        complete(shell, 'select name from text_models order by err trained on "reviews-tr',
                 '"reviews-train"')  # fmt: skip
        complete(shell, ' tested on task "reviews-te', '"reviews-test"')
        shell.send(' classified by ["Cosine NN"] wait;\r')
        shell.expect_exact("plan: task_aware")
        shell.expect(r"2/2 .*cosine_nn = ")  # the live bar, each task as it ends
        shell.expect(row("name", "proxy", "error"))
        shell.expect(row("bert-[ab]", "Cosine NN", r"\d\.\d{4}"))
        shell.expect_exact(PROMPT)

        shell.send(f"explain {DOWN_TO_DATA};\r")
        shell.expect(r"plan: task_aware\s+estimated \d+\.\d{3}s")
        shell.expect(row("├──", "decisions"))
        shell.expect(row("│", "[├└]──", "proxies = Cosine NN"))
        shell.expect(row("└──", "#1", f"rank{STYLE}: by Cosine NN"))  # the plan's steps, a tree
        shell.expect(row("└──", "#3", f"full data{STYLE}: Cosine NN, 2 models"))
        # the ranking above is in the cache: its results are read, no executor runs
        shell.expect(row("└──", "#4", f"read cached results{STYLE}: .*no executor.*cached\\)"))
        shell.expect_exact(PROMPT)

        shell.send("selec * from models;\r")
        shell.expect_exact("INVALID_ARGUMENT: shell:1:7: unexpected `*`")
        shell.expect_exact(PROMPT)  # still running

        shell.send("declare best as select name from models order by up_acc desc limit 1;\r")
        shell.expect_exact("best := 1 models")
        shell.expect_exact(PROMPT)
        complete(shell, "print bes", "best")  # a variable from the catalog, refreshed
        shell.send(";\r")
        shell.expect(row("best", "models", "bert-b"))
        shell.expect_exact(PROMPT)
        shell.sendeof()
        shell.expect(pexpect.EOF)
    finally:
        shell.close(force=True)
    assert shell.exitstatus == 0
    history = (home / "shell_history").read_text()
    assert "+select name, num_params\n+from text_models order by num_params desc;" in history
    assert "+print best;" in history

    again = spawn(stack, home)  # a new shell: the history is there, the session is new
    try:
        again.send("\x1b[A")  # Up
        again.expect_exact("print best;")
        again.send("\r")
        again.expect_exact("NOT_FOUND")
        again.expect_exact(PROMPT)
        again.send("quit\r")
        again.expect(pexpect.EOF)
    finally:
        again.close(force=True)
    assert again.exitstatus == 0
