"""The autoscaling overlays: KEDA on the queue's backlog stream, or a plain HPA on its metrics.

kubernetes-validate bundles no KEDA schema, so the ScaledObject's fields are checked here against
what KEDA's redis-streams scaler reads, and tied to the queue's own key layout."""

from __future__ import annotations

from typing import Any

import pytest

from shift_search.queue.redis_keys import GROUP, QueueKeys
from shift_search.runtime.metrics import QUEUE_PENDING, QUEUE_WAITING
from tests.deploy.manifests import Obj, container_ports, containers, named, of_kind

SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "minReplicaCount",
    "maxReplicaCount",
    "pollingInterval",
    "cooldownPeriod",
    "advanced",
    "triggers",
    "idleReplicaCount",
    "fallback",
}
REDIS_STREAMS_METADATA = {
    "address",
    "host",
    "port",
    "stream",
    "consumerGroup",
    "pendingEntriesCount",
    "streamLength",
    "lagCount",
    "activationLagCount",
    "databaseIndex",
    "enableTLS",
    "unsafeSsl",
    "addressFromEnv",
    "hostFromEnv",
    "portFromEnv",
    "usernameFromEnv",
    "passwordFromEnv",
}


def scaled_object(keda: list[Obj]) -> dict[str, Any]:
    (obj,) = of_kind(keda, "ScaledObject")
    return obj


def triggers(keda: list[Obj]) -> dict[str, dict[str, str]]:
    return {t["name"]: t["metadata"] for t in scaled_object(keda)["spec"]["triggers"]}


def test_keda_scales_the_executor_deployment(keda: list[Obj]) -> None:
    obj = scaled_object(keda)
    assert obj["metadata"]["namespace"] == "shift"
    spec = obj["spec"]
    assert set(spec) <= SCALED_OBJECT_SPEC
    target = spec["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
    named(keda, "Deployment", target["name"])  # exists in the same render
    assert target["name"] == "shift-executor"


def test_gpu_executors_scale_to_zero_when_idle(keda: list[Obj]) -> None:
    spec = scaled_object(keda)["spec"]
    assert spec["minReplicaCount"] == 0
    assert spec["maxReplicaCount"] > 1
    for field in ("pollingInterval", "cooldownPeriod", "minReplicaCount", "maxReplicaCount"):
        assert isinstance(spec[field], int) and spec[field] >= 0


def test_triggers_read_the_queues_backlog_stream_and_group(keda: list[Obj]) -> None:
    for metadata in triggers(keda).values():
        assert set(metadata) <= REDIS_STREAMS_METADATA
        assert all(isinstance(v, str) for v in metadata.values())  # KEDA wants strings
        assert metadata["stream"] == QueueKeys().backlog
        assert metadata["consumerGroup"] == GROUP
    for trigger in scaled_object(keda)["spec"]["triggers"]:
        assert trigger["type"] == "redis-streams"


def test_lag_wakes_executors_and_pending_entries_keep_running_ones(keda: list[Obj]) -> None:
    by_name = triggers(keda)
    waiting, running = by_name["tasks-waiting"], by_name["tasks-running"]
    # the consumer-group lag is the only redis-streams mode that can scale from zero
    assert int(waiting["lagCount"]) >= 1
    assert int(waiting["activationLagCount"]) == 0
    assert "lagCount" not in running  # without it the scaler reads XPENDING
    assert int(running["pendingEntriesCount"]) == 1


def test_keda_reaches_the_queues_redis_through_its_service(keda: list[Obj]) -> None:
    redis = named(keda, "Service", "redis-queue")
    for metadata in triggers(keda).values():
        host, port = metadata["address"].rsplit(":", 1)
        assert host in ("redis-queue", "redis-queue.shift.svc.cluster.local")
        assert int(port) in [p["port"] for p in redis["spec"]["ports"]]


def test_keda_authenticates_with_the_password_from_its_secret(keda: list[Obj]) -> None:
    (auth,) = of_kind(keda, "TriggerAuthentication")
    assert auth["spec"] == {
        "secretTargetRef": [{"parameter": "password", "name": "shift-redis", "key": "password"}]
    }
    for trigger in scaled_object(keda)["spec"]["triggers"]:
        assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}


@pytest.mark.parametrize("overlay", ["keda", "hpa"])
def test_the_autoscaler_owns_the_executor_replica_count(
    overlay: str, request: pytest.FixtureRequest
) -> None:
    objs: list[Obj] = request.getfixturevalue(overlay)
    assert "replicas" not in named(objs, "Deployment", "shift-executor")["spec"]
    for other in ("shift-planner", "shift-parser", "shift-cache"):
        assert named(objs, "Deployment", other)["spec"]["replicas"] >= 1


def allowed_sources(objs: list[Obj]) -> list[dict[str, Any]]:
    (rule,) = named(objs, "NetworkPolicy", "redis-queue")["spec"]["ingress"]
    sources: list[dict[str, Any]] = rule["from"]
    return sources


@pytest.mark.parametrize("overlay", ["keda", "hpa"])
def test_queue_clients_may_reach_the_queues_redis(
    overlay: str, request: pytest.FixtureRequest
) -> None:
    objs: list[Obj] = request.getfixturevalue(overlay)
    pods = {
        s["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for s in allowed_sources(objs)
        if "namespaceSelector" not in s
    }
    assert pods == {"shift-planner", "shift-executor"}


def test_keda_operator_may_reach_redis(keda: list[Obj], hpa: list[Obj]) -> None:
    namespaces = [s for s in allowed_sources(keda) if "namespaceSelector" in s]
    (operator,) = namespaces
    assert operator["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "keda"}
    assert not [s for s in allowed_sources(hpa) if "namespaceSelector" in s]


def test_the_hpa_scales_on_the_queue_metrics_the_services_export(hpa: list[Obj]) -> None:
    (autoscaler,) = of_kind(hpa, "HorizontalPodAutoscaler")
    spec = autoscaler["spec"]
    assert spec["scaleTargetRef"]["name"] == "shift-executor"
    assert spec["minReplicas"] >= 1  # a plain HPA cannot scale to zero
    names = {m["external"]["metric"]["name"] for m in spec["metrics"]}
    assert names == {QUEUE_WAITING, QUEUE_PENDING}
    assert not of_kind(hpa, "ScaledObject")
    # the planners export them (--metrics-port from SHIFT_METRICS_PORT) on a port Prometheus
    # may scrape
    settings = named(hpa, "ConfigMap", "shift-settings")["data"]
    (planner,) = containers(named(hpa, "Deployment", "shift-planner"))
    assert container_ports(planner)["metrics"] == int(settings["SHIFT_METRICS_PORT"])
