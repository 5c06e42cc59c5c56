"""What the manifests promise for security (docs/security.md): Redis behind a password from a
Secret with protected mode on, default-deny NetworkPolicies that open exactly the edges of the
design, TLS Secrets (cert-manager's layout) mounted into every SHiFT pod, tokens for the
planner, and files read only from the data and model roots."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.manifests import Obj, container_ports, containers, named, of_kind, pod_spec

SHIFT = ("shift-planner", "shift-parser", "shift-cache", "shift-executor")
EDGES = {
    ("anyone", "shift-planner", 50051),
    ("shift-planner", "shift-parser", 50051),
    ("shift-planner", "shift-cache", 50051),
    ("shift-planner", "redis-queue", 6379),
    ("shift-executor", "shift-cache", 50051),
    ("shift-executor", "redis-queue", 6379),
    ("shift-cache", "redis", 6379),
}
"""Who calls whom in the design (DESIGN.md, Services): planners and executors meet on the work
queue (its own Redis); no planner dials an executor."""
HEALTH_PORT = 8081
METRICS_PORT = 9090
PROBE_PORTS = (HEALTH_PORT, METRICS_PORT)
"""Open to anyone: the kubelet's health checks and Prometheus' scrapes."""


def _settings(objs: list[Obj]) -> dict[str, str]:
    data: dict[str, str] = named(objs, "ConfigMap", "shift-settings")["data"]
    return data


def _pod_names(objs: list[Obj]) -> list[str]:
    return [w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] for w in
            of_kind(objs, "Deployment") + of_kind(objs, "StatefulSet")]  # fmt: skip


def _ports(objs: list[Obj], pod: str) -> dict[str, int]:
    for workload in of_kind(objs, "Deployment") + of_kind(objs, "StatefulSet"):
        if workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == pod:
            out: dict[str, int] = {}
            for container in containers(workload):
                out |= container_ports(container)
            return out
    raise AssertionError(pod)


def _port(objs: list[Obj], pod: str, port: Any) -> int:
    return _ports(objs, pod)[port] if isinstance(port, str) else int(port)


def _peers(rule: dict[str, Any], key: str) -> list[str]:
    """The pods a rule's from/to names; "anyone" when it names none; "dns" for kube-dns."""
    if key not in rule:
        return ["anyone"]
    out = []
    for peer in rule[key]:
        if "namespaceSelector" in peer:
            out.append("dns")
        else:
            out.append(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
    return out


def _policies(objs: list[Obj]) -> dict[str, Obj]:
    return {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p
        for p in of_kind(objs, "NetworkPolicy")
        if p["spec"]["podSelector"]
    }


def allowed_edges(objs: list[Obj]) -> set[tuple[str, str, int]]:
    """(caller, callee, port) that both the caller's egress and the callee's ingress allow;
    a caller outside the namespace ("anyone") has no egress policy of ours."""
    policies = _policies(objs)
    ingress: set[tuple[str, str, int]] = set()
    egress: set[tuple[str, str, int]] = set()
    for pod, policy in policies.items():
        for rule in policy["spec"].get("ingress", []):
            for peer in _peers(rule, "from"):
                for port in rule["ports"]:
                    ingress.add((peer, pod, _port(objs, pod, port["port"])))
        for rule in policy["spec"].get("egress", []):
            for peer in _peers(rule, "to"):
                for port in rule["ports"]:
                    target = peer if peer in policies else None
                    number = _port(objs, target, port["port"]) if target else int(port["port"])
                    egress.add((pod, peer, number))
    out = set()
    for caller, callee, port in ingress:
        if (caller == "anyone" and port not in PROBE_PORTS) or (caller, callee, port) in egress:
            out.add((caller, callee, port))
    return out


def test_everything_is_denied_by_default(objs: list[Obj]) -> None:
    deny = named(objs, "NetworkPolicy", "default-deny")
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]


def test_every_pod_has_its_own_policy_for_both_directions(objs: list[Obj]) -> None:
    policies = _policies(objs)
    for pod in _pod_names(objs):
        assert sorted(policies[pod]["spec"]["policyTypes"]) == ["Egress", "Ingress"], pod


def test_policies_open_exactly_the_edges_of_the_design(objs: list[Obj]) -> None:
    assert allowed_edges(objs) == EDGES


def test_only_dns_and_health_checks_beyond_the_edges(objs: list[Obj]) -> None:
    policies = _policies(objs)
    for pod, policy in policies.items():
        for rule in policy["spec"].get("egress", []):
            if _peers(rule, "to") == ["dns"]:
                assert {p["port"] for p in rule["ports"]} == {53}
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule and pod != "shift-planner":
                assert [p["port"] for p in rule["ports"]] in (["health"], ["metrics"]), pod


@pytest.mark.parametrize("redis", ["redis", "redis-queue"])
def test_redis_needs_the_password_from_its_secret(objs: list[Obj], redis: str) -> None:
    (container,) = containers(named(objs, "StatefulSet", redis))
    args = container["args"]
    flags = dict(zip(args[0::2], args[1::2], strict=True))
    assert flags["--protected-mode"] == "yes"
    assert flags["--requirepass"] == "$(REDIS_PASSWORD)"
    env = {e["name"]: e for e in container["env"]}
    for name in ("REDIS_PASSWORD", "REDISCLI_AUTH"):  # the probe's redis-cli authenticates
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "shift-redis", "key": "password"}
    assert not of_kind(objs, "Secret")  # the password is never in the repository


def test_every_shift_pod_mounts_its_tls_secret(objs: list[Obj]) -> None:
    settings = _settings(objs)
    assert settings["SHIFT_TLS_CERT"] == "/etc/shift/tls/tls.crt"
    assert settings["SHIFT_TLS_KEY"] == "/etc/shift/tls/tls.key"
    assert settings["SHIFT_TLS_CA"] == "/etc/shift/tls/ca.crt"
    for name in SHIFT:
        deployment = named(objs, "Deployment", name)
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        assert volumes["tls"]["secret"]["secretName"] == f"{name}-tls"
        assert volumes["tls"]["secret"]["defaultMode"] == 0o440
        assert pod_spec(deployment)["securityContext"]["fsGroup"] == 10001
        (container,) = containers(deployment)
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["tls"] == {"name": "tls", "mountPath": "/etc/shift/tls", "readOnly": True}


def test_the_planner_checks_bearer_tokens(objs: list[Obj]) -> None:
    deployment = named(objs, "Deployment", "shift-planner")
    (container,) = containers(deployment)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SHIFT_TOKENS"] == "/etc/shift/tokens/tokens.json"
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    assert volumes["tokens"]["secret"]["secretName"] == "shift-tokens"


def test_executors_read_files_from_read_only_roots(objs: list[Obj]) -> None:
    settings = _settings(objs)
    (container,) = containers(named(objs, "Deployment", "shift-executor"))
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    for root in (settings["SHIFT_DATA_ROOTS"], settings["SHIFT_MODEL_ROOTS"]):
        assert mounts[root]["readOnly"] is True


@pytest.mark.parametrize("pod", ["shift-planner", "shift-executor"])
def test_queue_clients_reach_its_redis_with_the_password_from_its_secret(
    objs: list[Obj], pod: str
) -> None:
    (container,) = containers(named(objs, "Deployment", pod))
    env = {e["name"]: e for e in container["env"]}
    assert env["SHIFT_QUEUE_URL"]["value"] == "redis://:$(SHIFT_REDIS_PASSWORD)@redis-queue:6379/0"
    names = [e["name"] for e in container["env"]]  # $(VAR) expands only earlier variables
    assert names.index("SHIFT_REDIS_PASSWORD") < names.index("SHIFT_QUEUE_URL")
    secret = env["SHIFT_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "shift-redis", "key": "password"}
    assert "$(SHIFT_REDIS_PASSWORD)" not in " ".join(container["args"])  # never in `ps`
