"""The scorer a RANK task names: a built-in, else an installed plug-in; the task's parameters
must be the ones the scorer computes with (the planner and this executor agree on the scorer,
and on a plug-in's version)."""

from __future__ import annotations

import difflib
import importlib.metadata

from shift_search.executor.scorers.api import Scorer
from shift_search.executor.scorers.builtin import BUILTINS
from shift_search.executor.scorers.plugins import find_plugin
from shift_search.runtime.errors import FailedPrecondition, NotFound
from shift_search.runtime.scorer_names import BUILTIN_SCORERS, SCORER_GROUP, squash
from shift_search.tasks.specs import ScorerSpec

if {n: (s.inputs, s.needs_test, dict(s.params)) for n, s in BUILTINS.items()} != {
    n: (s.inputs, s.needs_test, dict(s.params)) for n, s in BUILTIN_SCORERS.items()
}:  # the planner binds and prices by that table
    raise RuntimeError("built-in scorers differ from runtime.scorer_names.BUILTIN_SCORERS")


def get_scorer(spec: ScorerSpec) -> Scorer:
    """The scorer `spec` names, checked against its parameters; NotFound with the closest
    names when this executor has none of that name."""
    scorer = BUILTINS.get(spec.name) or find_plugin(spec.name)
    if scorer is None:
        known = [*BUILTINS, *(e.name for e in importlib.metadata.entry_points(group=SCORER_GROUP))]
        near = difflib.get_close_matches(squash(spec.name), known, n=3, cutoff=0.5)
        raise NotFound(
            f"this executor has no scorer {spec.name!r} (known: {', '.join(known)})", tuple(near)
        )
    if dict(spec.params) != dict(scorer.params):
        raise FailedPrecondition(
            f"scorer {spec.name!r} was asked to compute with {dict(spec.params)} but this "
            f"executor's computes with {dict(scorer.params)}: planner and executor have "
            "different versions of it"
        )
    return scorer
