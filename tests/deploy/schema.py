"""Strict, offline validation of rendered objects against kubernetes-validate's bundled schemas."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

# Pinned so results do not move with the package's default; must be one it bundles.
KUBERNETES_VERSION = "1.37.0"


CUSTOM_RESOURCES = frozenset(
    {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}
)
"""Kinds whose schemas kubernetes-validate does not bundle; tests/deploy/test_autoscaling.py
checks their fields instead."""


def is_custom_resource(obj: dict[str, Any]) -> bool:
    return (obj.get("apiVersion"), obj.get("kind")) in CUSTOM_RESOURCES


def schema_error(obj: dict[str, Any]) -> str | None:
    """Why `obj` breaks the Kubernetes schema in strict mode (unknown fields rejected), or None."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        return f"{name}: {path}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return f"{name}: {error.message}"
    return None
