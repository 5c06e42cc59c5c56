"""Third-party scorers: entry points of the `shift.scorers` group, loaded when a task first
names one (so a distribution installed while the executor runs is found). A plug-in's name is
its entry point's, lower-cased; its parameters are its distribution and version, which the
planner sends too (`runtime/scorer_names.plugin_scorers`), so every result is keyed by the
version that computed it. One that would shadow a built-in scorer is refused."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import threading
from collections.abc import Callable

from shift_search.executor.scorers.api import Scorer
from shift_search.runtime.errors import FailedPrecondition
from shift_search.runtime.scorer_names import (
    BUILTIN_SCORERS,
    SCORER_GROUP,
    plugin_version,
    squash,
)

log = logging.getLogger("shift.executor.scorers")

_LOADED: dict[tuple[str, str], Scorer] = {}
_LOCK = threading.Lock()


def find_plugin(name: str) -> Scorer | None:
    """The installed plug-in called `name` (case, spaces, `_` and `-` ignored), loaded once per
    version; None when no distribution provides one. FailedPrecondition when it cannot load."""
    wanted = squash(name)
    if wanted in {squash(n) for n in BUILTIN_SCORERS}:
        return None
    for entry in importlib.metadata.entry_points(group=SCORER_GROUP):
        if squash(entry.name) == wanted:
            return _load(entry)
    return None


def _load(entry: importlib.metadata.EntryPoint) -> Scorer:
    version = plugin_version(entry)
    key = (entry.name, version)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
    try:
        loaded = entry.load()
    except Exception as error:  # a broken plug-in fails its tasks, never the executor
        log.warning("scorer plug-in %s (%s) failed to load: %s", entry.name, entry.value, error)
        raise FailedPrecondition(
            f"scorer plug-in {entry.name!r} ({entry.value}, {version}) cannot be loaded: "
            f"{type(error).__name__}: {error}"
        ) from error
    scorer = _as_scorer(entry.name.strip().lower(), loaded, entry.value)
    scorer = dataclasses.replace(scorer, params={"version": version})
    with _LOCK:
        _LOADED[key] = scorer
    return scorer


def _as_scorer(name: str, loaded: object, where: str) -> Scorer:
    """A `Scorer` (named after its entry point) or a function read as one."""
    if isinstance(loaded, Scorer):
        return dataclasses.replace(loaded, name=name)
    if callable(loaded):
        function: Callable[..., float] = loaded
        return Scorer(name, function, (getattr(loaded, "__doc__", None) or "").strip())
    raise FailedPrecondition(
        f"scorer plug-in {name!r} ({where}) is a {type(loaded).__name__}, not a Scorer or a "
        "function of ScorerInputs"
    )
