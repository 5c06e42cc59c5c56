"""The scorers against values worked out by hand (LEEP and NCE have closed forms on small
examples), the registry's checks, and plug-ins loaded from a real entry point on a temporary
dist-info."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from shift_search.executor.proxies.registry import ProxyInputs, get_proxy
from shift_search.executor.scorers.api import Scorer, ScorerInputs
from shift_search.executor.scorers.builtin import BUILTINS
from shift_search.executor.scorers.plugins import find_plugin
from shift_search.executor.scorers.registry import get_scorer
from shift_search.executor.scorers.transferability import leep_score, nce_score
from shift_search.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from shift_search.runtime.scorer_names import BUILTIN_SCORERS, find_scorer, plugin_scorers
from shift_search.tasks.specs import ScorerSpec

# Four target rows over two source classes: θ(x_i) and y_i.
THETA = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
LABELS = np.array([0, 1, 1, 0])


def test_leep_matches_its_closed_form() -> None:
    """P̂(y, z): y=0 → (2, 0)/4, y=1 → (0.5, 1.5)/4; P̂(z) = (0.625, 0.375); P̂(0|z0) = 0.8,
    P̂(1|z0) = 0.2, P̂(1|z1) = 1. Expected predictions of the true labels: 0.8, 1, 0.6, 0.8."""
    expected = (2 * math.log(0.8) + math.log(1.0) + math.log(0.6)) / 4
    assert leep_score(THETA, LABELS) == pytest.approx(expected)


def test_nce_matches_its_closed_form() -> None:
    """Hard source labels (argmax, the first on a tie): 0, 1, 0, 0. Counts (y, z): (0, 0) = 2,
    (1, 1) = 1, (1, 0) = 1; P̂(0|z0) = 2/3, P̂(1|z0) = 1/3, P̂(1|z1) = 1."""
    expected = 0.5 * math.log(2 / 3) + 0.25 * math.log(1 / 3) + 0.25 * math.log(1.0)
    assert nce_score(THETA, LABELS) == pytest.approx(expected)


def test_a_source_that_predicts_the_labels_scores_zero_and_a_useless_one_log_half() -> None:
    perfect = np.eye(3)[[0, 2, 1, 0, 2]]  # source class z determines the label
    labels = np.array([5, 7, 6, 5, 7])  # any ids
    assert leep_score(perfect, labels) == pytest.approx(0.0)
    assert nce_score(perfect, labels) == pytest.approx(0.0)
    useless = np.full((4, 3), 1 / 3)  # the same prediction for every row
    assert leep_score(useless, np.array([0, 1, 0, 1])) == pytest.approx(math.log(0.5))
    assert nce_score(useless, np.array([0, 1, 0, 1])) == pytest.approx(math.log(0.5))


def test_leep_ignores_how_source_classes_are_numbered() -> None:
    rng = np.random.default_rng(0)
    theta = rng.dirichlet(np.ones(5), size=30)
    labels = rng.integers(0, 3, 30)
    permuted = theta[:, rng.permutation(5)]
    assert leep_score(permuted, labels) == pytest.approx(leep_score(theta, labels))


@pytest.mark.parametrize(
    ("theta", "labels"),
    [(np.ones((3, 2)) / 2, np.array([0, 1])), (np.array([[-1.0, 2.0]]), np.array([0]))],
)
def test_bad_inputs_are_refused(theta: np.ndarray, labels: np.ndarray) -> None:
    with pytest.raises(InvalidArgument):
        leep_score(theta, labels)


def test_the_leep_and_nce_proxies_are_the_negated_scorers() -> None:
    data = ProxyInputs((THETA, LABELS), (np.zeros((0, 2)), np.zeros(0, np.int64)))
    assert get_proxy("leep").compute_on(data, {}).error == pytest.approx(-leep_score(THETA, LABELS))
    assert get_proxy("NCE").compute_on(data, {}).error == pytest.approx(-nce_score(THETA, LABELS))
    inputs = ScorerInputs(THETA, LABELS)
    assert BUILTINS["leep"].score(inputs) == leep_score(THETA, LABELS)


def test_builtins_are_what_the_planner_binds() -> None:
    assert set(BUILTINS) == set(BUILTIN_SCORERS) == {"leep", "nce", "logme", "knn", "random"}
    assert {n for n, s in BUILTINS.items() if s.inputs == "head"} == {"leep", "nce"}
    assert [n for n, s in BUILTINS.items() if s.needs_test] == ["knn"]
    assert find_scorer("Log-ME") is BUILTIN_SCORERS["logme"]


def test_knn_scores_accuracy_on_test_data_and_needs_it() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 20)
    x = rng.normal(0, 0.1, (40, 4)) + labels[:, None] * 3.0
    knn = BUILTINS["knn"]
    assert knn.score(ScorerInputs(x[::2], labels[::2], x[1::2], labels[1::2])) == 1.0
    with pytest.raises(FailedPrecondition, match="TESTED ON"):
        knn.score(ScorerInputs(x, labels))


def test_random_is_uniform_stable_per_identity() -> None:
    empty = np.zeros((3, 0))
    values = [
        BUILTINS["random"].score(ScorerInputs(empty, np.zeros(3, np.int64), identity=f"m{i}"))
        for i in range(200)
    ]
    again = BUILTINS["random"].score(ScorerInputs(empty, np.zeros(3, np.int64), identity="m0"))
    assert again == values[0] and all(0.0 <= v < 1.0 for v in values)
    assert 0.4 < float(np.mean(values)) < 0.6


def test_the_registry_checks_names_and_parameters() -> None:
    assert get_scorer(ScorerSpec("knn", {"k": 5, "metric": "euclidean"})) is BUILTINS["knn"]
    with pytest.raises(NotFound, match="no scorer 'leap'"):
        get_scorer(ScorerSpec("leap"))
    with pytest.raises(FailedPrecondition, match="different versions"):
        get_scorer(ScorerSpec("knn", {"k": 3}))


# --- plug-ins ----------------------------------------------------------------------------------

PLUGIN = '''
import numpy as np
from shift_search.executor.scorers.api import Scorer, ScorerInputs

def _spread(inputs: ScorerInputs) -> float:
    """Mean distance of the class centroids from the mean of the rows."""
    x, y = inputs.train, inputs.train_labels
    centre = x.mean(axis=0)
    return float(np.mean([np.linalg.norm(x[y == c].mean(axis=0) - centre) for c in set(y)]))

spread = Scorer("anything", _spread, "centroid spread")

def rows(inputs: ScorerInputs) -> float:
    """How many training rows."""
    return float(len(inputs.train))

def broken(inputs):
    raise ZeroDivisionError("nope")

shadow = Scorer("leep", _spread)
'''


def install_plugin(site: Path, entry_points: str, version: str = "0.1") -> Path:
    """A distribution `tiny-scorers` with these entry points, importable from `site`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "tiny_scorers.py").write_text(PLUGIN)
    info = site / f"tiny_scorers-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: tiny-scorers\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text(f"[shift.scorers]\n{entry_points}\n")
    return site


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = install_plugin(
        tmp_path / "site",
        "Spread = tiny_scorers:spread\nrows = tiny_scorers:rows\n"
        "broken = tiny_scorers:nothing_here\nLEEP = tiny_scorers:shadow",
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("tiny_scorers", None)


def test_plugins_are_listed_without_importing_them(plugins: Path) -> None:
    listed = plugin_scorers()
    assert set(listed) == {"spread", "rows", "broken"}  # LEEP would shadow a built-in
    assert listed["spread"].params == {"version": "tiny-scorers 0.1"}
    assert "tiny_scorers" not in sys.modules


def test_a_plugin_loads_under_its_entry_point_name_with_its_version(plugins: Path) -> None:
    spread = get_scorer(ScorerSpec("spread", {"version": "tiny-scorers 0.1"}))
    assert isinstance(spread, Scorer) and spread.name == "spread"
    x = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [2.0, 4.0]])
    assert spread.score(ScorerInputs(x, np.array([0, 0, 1, 1]))) == pytest.approx(2.0)
    rows = get_scorer(ScorerSpec("ROWS", {"version": "tiny-scorers 0.1"}))
    assert rows.score(ScorerInputs(x, np.zeros(4, np.int64))) == 4.0  # a function, wrapped
    with pytest.raises(FailedPrecondition, match="different versions"):
        get_scorer(ScorerSpec("spread", {"version": "tiny-scorers 0.2"}))


def test_a_broken_or_shadowing_plugin_fails_its_own_tasks_only(plugins: Path) -> None:
    with pytest.raises(FailedPrecondition, match=r"'broken'.*cannot be loaded"):
        find_plugin("broken")
    assert find_plugin("leep") is None  # the built-in wins
    assert get_scorer(ScorerSpec("leep")) is BUILTINS["leep"]
