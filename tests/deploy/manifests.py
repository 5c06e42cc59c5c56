"""Queries over rendered manifests: objects by kind and name, pod specs, containers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def of_kind(objs: list[Obj], kind: str) -> list[Obj]:
    """Every object of `kind`."""
    return [obj for obj in objs if obj["kind"] == kind]


def named(objs: list[Obj], kind: str, name: str) -> Obj:
    """The one object of `kind` called `name` (else the one whose name is `name` with a suffix:
    generated, hash-suffixed names)."""
    matches = [obj for obj in of_kind(objs, kind) if obj["metadata"]["name"] == name] or [
        obj for obj in of_kind(objs, kind) if obj["metadata"]["name"].startswith(f"{name}-")
    ]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def workloads(objs: list[Obj]) -> list[Obj]:
    """Deployments and StatefulSets."""
    return [obj for obj in objs if obj["kind"] in WORKLOAD_KINDS]


def pod_spec(workload: Obj) -> Obj:
    """The pod template's spec."""
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Obj) -> Iterator[Obj]:
    """The workload's (non-init) containers."""
    yield from pod_spec(workload)["containers"]


def container_ports(container: Obj) -> dict[str, int]:
    """Port name → number."""
    return {port["name"]: port["containerPort"] for port in container.get("ports", [])}
