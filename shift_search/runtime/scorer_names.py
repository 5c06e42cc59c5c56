"""The scorers `RANK … BY "<name>"` ranks with, as the planner knows them without importing any:
the built-in ones, and third-party plug-ins listed from the `shift.scorers` entry-point group.

Listing a plug-in reads its distribution's metadata only (`importlib.metadata`), never its
code, so the planner stays torch-free and imports nothing it does not own; the executors load
the same entry points to run them (`executor/scorers/plugins.py`). A plug-in is therefore
installed wherever planners and executors run; its distribution's name and version travel with
every task as its `version` parameter, so results cached under one version are never read back
for another, and an executor that has another version refuses the task.

Every scorer gives a score where higher is better; a model's result is stored as its negation
(an error, lower is better, as proxies store theirs).
"""

from __future__ import annotations

import difflib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SCORER_GROUP = "shift.scorers"
"""The entry-point group third-party scorers register under."""

Inputs = Literal["features", "head", "none"]
"""What a scorer reads: the model's pooled features, the softmax outputs of the model's own
classifier head (its source-task predictions), or nothing (random)."""


@dataclass(frozen=True)
class ScorerInfo:
    """A scorer as the planner binds and prices it."""

    name: str
    """Canonical name: lower-case."""
    spelling: str
    description: str
    inputs: Inputs = "features"
    needs_test: bool = False
    """Whether it needs TESTED ON data (kNN); the others score on the training data alone."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Sent with every task and part of each result's key: every parameter, defaults included."""
    plugin: str = ""
    """`distribution version` of a plug-in; empty for a built-in."""
    seconds_per_row: float = 1e-4
    """What the cost model charges per row scored (a plug-in: as much as kNN)."""


LEEP = "leep"
NCE = "nce"
LOGME = "logme"
KNN = "knn"
RANDOM = "random"

BUILTIN_SCORERS: Mapping[str, ScorerInfo] = {
    s.name: s
    for s in (
        ScorerInfo(
            LEEP,
            "LEEP",
            "log expected empirical prediction of the source classifier's outputs",
            "head",
            seconds_per_row=1e-5,
        ),
        ScorerInfo(
            NCE,
            "NCE",
            "negative conditional entropy of the labels given the source classifier's classes",
            "head",
            seconds_per_row=1e-5,
        ),
        ScorerInfo(
            LOGME,
            "LogME",
            "log maximum evidence of a linear model on the features",
            seconds_per_row=1e-5,
        ),
        ScorerInfo(
            KNN,
            "kNN",
            "k-NN accuracy on TESTED ON data (k = 5, Euclidean)",
            needs_test=True,
            params={"k": 5, "metric": "euclidean"},
        ),
        ScorerInfo(
            RANDOM,
            "random",
            "a random number, stable per model and data",
            "none",
            seconds_per_row=0.0,
        ),
    )
}


def squash(text: str) -> str:
    """A name compared as people write it: case, spaces, `_` and `-` ignored."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def plugin_scorers() -> dict[str, ScorerInfo]:
    """The installed plug-ins by canonical name (read from metadata, not imported); one that
    would shadow a built-in scorer is left out (the executors refuse it too)."""
    builtin = {squash(n) for n in BUILTIN_SCORERS}
    out: dict[str, ScorerInfo] = {}
    for entry in importlib.metadata.entry_points(group=SCORER_GROUP):
        name = entry.name.strip().lower()
        if not name or squash(name) in builtin or name in out:
            continue
        version = plugin_version(entry)
        out[name] = ScorerInfo(
            name,
            entry.name,
            f"plug-in {entry.value} ({version})",
            params={"version": version},
            plugin=version,
        )
    return out


def plugin_version(entry: importlib.metadata.EntryPoint) -> str:
    """`distribution version` of the distribution an entry point comes from."""
    dist = entry.dist
    if dist is None:
        return "unknown"
    return f"{dist.metadata['Name']} {dist.version}"


def known_scorers() -> dict[str, ScorerInfo]:
    """Every scorer a query may name: the built-ins, then the plug-ins."""
    return {**BUILTIN_SCORERS, **plugin_scorers()}


def find_scorer(spelling: str) -> ScorerInfo | None:
    """The scorer `spelling` names (case, spaces, `_` and `-` ignored), or None."""
    wanted = squash(spelling)
    return next((s for s in known_scorers().values() if squash(s.name) == wanted), None)


def closest_scorers(spelling: str) -> tuple[str, ...]:
    """The known scorer spellings closest to `spelling`."""
    by_squashed = {squash(s.spelling): s.spelling for s in known_scorers().values()}
    near = difflib.get_close_matches(squash(spelling), list(by_squashed), n=3, cutoff=0.5)
    return tuple(by_squashed[n] for n in near)
