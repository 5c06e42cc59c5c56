"""The `shift` command with security: `shift token` writes the token file, `shift query` and
`shift register` reach a TLS server with a CA bundle and a token from a file or the
environment, and say clearly when they are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shift_search.cli.main import main
from tests.security.conftest import Secured


def test_token_issue_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tokens.json"
    assert main(["token", "--file", str(path), "issue", "alice", "--role", "writer"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("shift_") and len(token) > 40
    assert token not in path.read_text()
    assert json.loads(path.read_text())["tokens"][0]["role"] == "writer"
    assert main(["token", "--file", str(path), "list"]) == 0
    listed = capsys.readouterr().out
    assert "alice\twriter" in listed and token not in listed
    assert main(["token", "--file", str(path), "issue", "alice", "--role", "reader"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["token", "--file", str(path), "revoke", "alice"]) == 0
    assert json.loads(path.read_text())["tokens"] == []


def _token_file(secured: Secured, role: str, tmp_path: Path) -> str:
    path = tmp_path / f"{role}.token"
    path.write_text(secured.tokens[role] + "\n")
    return str(path)


def test_query_over_tls_with_a_token_file(
    secured: Secured, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ["--server", secured.address, "--ca", str(secured.authority.ca)]
    token = ["--token-file", _token_file(secured, "reader", tmp_path)]
    assert main(["query", *server, *token, "SELECT name FROM models;"]) == 0
    assert "bert-a" in capsys.readouterr().out
    assert main(["query", *server, "SELECT name FROM models;"]) == 1
    assert "UNAUTHENTICATED" in capsys.readouterr().err


def test_token_from_the_environment(
    secured: Secured, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHIFT_TOKEN", secured.tokens["reader"])
    monkeypatch.setenv("SHIFT_CA", str(secured.authority.ca))
    assert main(["query", "--server", secured.address, "PURGE;"]) == 1
    err = capsys.readouterr().err
    assert "PERMISSION_DENIED" in err and "admin" in err
    assert secured.tokens["reader"] not in err


def test_register_needs_a_writer(
    secured: Secured, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["register", "model", "cnn-cli", "--set", "source=efficientnet"]
    base += ["--set", "uri=efficientnet-lite0", "--set", "modality=image"]
    server = ["--server", secured.address, "--ca", str(secured.authority.ca)]
    reader = ["--token-file", _token_file(secured, "reader", tmp_path)]
    assert main([*base, *server, *reader]) == 1
    assert "PERMISSION_DENIED" in capsys.readouterr().err
    writer = ["--token-file", _token_file(secured, "writer", tmp_path)]
    assert main([*base, *server, *writer]) == 0
    assert 'registered model "cnn-cli"' in capsys.readouterr().out
