"""Bearer tokens in a static file, hashed at rest; `shift token` writes it, servers read it.

A token is `shift_` and 32 random bytes (base64url). The file keeps, per token, a name, a role
and the token's SHA-256, never the token itself. SHA-256 rather than a slow password hash
(scrypt, argon2): the tokens are 256 random bits, not chosen by people, so there is nothing to
guess from a stolen hash, and a fast hash keeps the check cheap on every call. The file is
JSON, written atomically with mode 0600, and re-read when it changes, so an issued or revoked
token counts on the next call without a restart.

`Authenticator` is what the server interceptor needs; another one (OIDC, checking a JWT) can
replace `TokenFile` without touching the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from shift_search.runtime.callers import User, parse_role
from shift_search.runtime.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("shift.auth")

TOKEN_PREFIX = "shift_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class Authenticator(Protocol):
    def authenticate(self, bearer: str) -> User:
        """The user a bearer token stands for; Unauthenticated when it stands for none."""
        ...


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: str
    sha256: str
    created: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(token: str) -> str:
    """A short, one-way label of a token for logs about unknown tokens (never the token)."""
    return "sha256:" + token_digest(token)[:12]


def read_entries(path: Path) -> list[TokenEntry]:
    """The entries of a token file; a missing file holds none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as err:
        raise InvalidArgument(f"token file {path} cannot be read: {type(err).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        raise InvalidArgument(f'token file {path}: expected {{"tokens": [...]}}')
    try:
        return [TokenEntry(**entry) for entry in data["tokens"]]
    except TypeError:
        raise InvalidArgument(
            f"token file {path}: an entry has unknown or missing fields"
        ) from None


def _write_entries(path: Path, entries: list[TokenEntry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"tokens": [asdict(e) for e in entries]}, indent=2) + "\n"
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def issue(path: Path, name: str, role: str) -> str:
    """Add a token named `name` with `role`; returns the token, which is shown only once."""
    if _NAME.fullmatch(name) is None:
        raise InvalidArgument(
            f"token name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'"
        )
    parsed = parse_role(role)
    entries = read_entries(path)
    if any(e.name == name for e in entries):
        raise AlreadyExists(f"a token named {name!r} exists; revoke it first to replace it")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    entries.append(TokenEntry(name, parsed.label, token_digest(token), created))
    _write_entries(path, entries)
    return token


def revoke(path: Path, name: str) -> None:
    entries = read_entries(path)
    kept = [e for e in entries if e.name != name]
    if len(kept) == len(entries):
        raise NotFound(f"no token named {name!r} in {path}")
    _write_entries(path, kept)


class TokenFile:
    """Authenticates bearer tokens against a token file, re-reading it when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[str, User] = {}
        self._refresh()

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        with self._lock:
            if stamp == self._stamp:
                return
            entries = read_entries(self.path)
            self._users = {e.sha256: User(e.name, parse_role(e.role)) for e in entries}
            self._stamp = stamp

    def authenticate(self, bearer: str) -> User:
        try:
            self._refresh()
        except InvalidArgument as err:  # a hand edit gone wrong: nobody gets in (fail closed)
            log.error("%s; refusing every token until it is fixed", err.message)
            raise Unavailable("the server cannot read its token file; tell its operator") from None
        user = self._users.get(token_digest(bearer))
        if user is None:
            raise Unauthenticated(f"unknown or revoked token ({fingerprint(bearer)})")
        return user

    def __len__(self) -> int:
        return len(self._users)
