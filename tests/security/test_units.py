"""Small pieces of the security layer, without a network: who counts as one client, which
certificate names are SHiFT services, which statements need which role, and token files."""

from __future__ import annotations

from pathlib import Path

import pytest

from shift_search.parser import parse
from shift_search.planner.authorization import statement_role
from shift_search.runtime.access import component_of
from shift_search.runtime.callers import Local, Role, Service, User
from shift_search.runtime.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from shift_search.runtime.limits import ClientCalls, client_key
from shift_search.runtime.tokens import TokenFile, issue, read_entries, revoke


def test_one_client_is_a_token_a_service_a_remote_address_or_all_local_callers() -> None:
    assert client_key(User("alice", Role.READER), "ipv4:10.0.0.1:5000") == "token:alice"
    assert client_key(Service("executor", "shift-executor"), "ipv4:10.0.0.2:1") == (
        "service:shift-executor"
    )
    assert client_key(Local(), "ipv4:10.0.0.3:5000") == client_key(Local(), "ipv4:10.0.0.3:6000")
    assert client_key(Local(), "ipv6:[2001:db8::1]:5000") == "ip:2001:db8::1"
    for local in ("ipv4:127.0.0.1:5000", "ipv6:[::1]:6000", "unix:/tmp/s.sock"):
        assert client_key(Local(), local) == "local"


def test_client_calls_are_bounded_and_released() -> None:
    calls = ClientCalls(2)
    assert calls.enter("a") and calls.enter("a") and not calls.enter("a")
    assert calls.enter("b")
    calls.leave("a")
    assert calls.enter("a")
    assert ClientCalls(None).enter("x")


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("shift-executor", "executor"),
        ("shift-cache.shift.svc.cluster.local", "cache"),
        ("shift-planner", "planner"),
        ("shift-executors", None),
        ("evil.shift-executor", None),
        ("mallory", None),
    ],
)
def test_certificate_names_of_shift_services(name: str, component: str | None) -> None:
    assert component_of(name) == component


@pytest.mark.parametrize(
    ("script", "role"),
    [
        ("SELECT * FROM models;", Role.READER),
        ("EXPLAIN ANALYZE SELECT * FROM models;", Role.READER),
        ("EXPLAIN FINETUNE m WITH d;", Role.READER),
        ("DECLARE v AS SELECT * FROM models;", Role.READER),
        ("PRINT *;", Role.READER),
        ('REGISTER MODEL "m" (uri) VALUES ("pypi:x");', Role.WRITER),
        ('REGISTER DATASET "d" (uri) VALUES ("digits");', Role.WRITER),
        ("FINETUNE m WITH d;", Role.WRITER),
        ("PURGE;", Role.ADMIN),
    ],
)
def test_statement_roles(script: str, role: Role) -> None:
    (stmt,) = parse(script).statements
    assert statement_role(stmt) is role


def test_token_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    token = issue(path, "bot", "admin")
    users = TokenFile(path)
    assert users.authenticate(token) == User("bot", Role.ADMIN)
    with pytest.raises(Unauthenticated) as err:
        users.authenticate(token + "x")
    assert token not in err.value.message
    with pytest.raises(AlreadyExists):
        issue(path, "bot", "reader")
    with pytest.raises(InvalidArgument):
        issue(path, "two words", "reader")
    with pytest.raises(InvalidArgument):
        issue(path, "x", "root")
    revoke(path, "bot")
    assert read_entries(path) == []
    with pytest.raises(NotFound):
        revoke(path, "bot")
    with pytest.raises(Unauthenticated):
        users.authenticate(token)
    path.write_text("not json")
    with pytest.raises(InvalidArgument):
        read_entries(path)
    with pytest.raises(Unavailable):  # fail closed, and say why
        users.authenticate(token)
