"""What the rendered manifests promise: probes, GPUs, persistence, Services, shutdown, labels."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest

from tests.deploy.manifests import (
    Obj,
    container_ports,
    containers,
    named,
    of_kind,
    pod_spec,
    workloads,
)

SERVICES = ("parser", "planner", "executor", "cache")
DIALED_BY_PLANNERS = ("shift-parser", "shift-cache")
SERVER_DRAIN_S = 20
EXECUTOR_DRAIN_S = 20 + 5 + 10
"""An executor's stop: running tasks may finish (--drain-seconds 20), then 5 s to stop them
between batches and hand them back, then up to 10 s to close."""
GPU = "nvidia.com/gpu"
IMAGE = "ghcr.io/example/shift:0.1.0"


def deployments(objs: list[Obj]) -> list[Obj]:
    return of_kind(objs, "Deployment")


def executor(objs: list[Obj]) -> Obj:
    return named(objs, "Deployment", "shift-executor")


def settings(objs: list[Obj]) -> dict[str, str]:
    data: dict[str, str] = named(objs, "ConfigMap", "shift-settings")["data"]
    return data


def test_one_deployment_per_service(objs: list[Obj]) -> None:
    names = sorted(d["metadata"]["name"] for d in deployments(objs))
    assert names == sorted(f"shift-{service}" for service in SERVICES)


def test_each_service_is_started_by_shift_serve(objs: list[Obj]) -> None:
    for service in SERVICES:
        (container,) = containers(named(objs, "Deployment", f"shift-{service}"))
        assert container["args"][:4] == ["serve", service, "--port", "50051"]


def test_deployments_probe_their_health_port_natively(objs: list[Obj]) -> None:
    """The kubelet's gRPC probes speak no TLS: each service also answers plaintext health
    checks (only) on its health port, which `SHIFT_HEALTH_PORT` sets."""
    for deployment in deployments(objs):
        for container in containers(deployment):
            port = container_ports(container)["health"]
            assert int(settings(objs)["SHIFT_HEALTH_PORT"]) == port
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert container[probe]["grpc"]["port"] == port, (deployment, probe)


def test_containers_request_and_limit_cpu_and_memory(objs: list[Obj]) -> None:
    for workload in workloads(objs):
        for container in containers(workload):
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][bound].keys()


@pytest.mark.parametrize("overlay", ["base", "gpu"])
def test_executor_takes_one_gpu_and_tolerates_the_gpu_taint(
    overlay: str, request: pytest.FixtureRequest
) -> None:
    spec = pod_spec(executor(request.getfixturevalue(overlay)))
    (container,) = spec["containers"]
    assert container["resources"]["requests"][GPU] == 1
    assert container["resources"]["limits"][GPU] == 1
    assert {"key": GPU, "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]


def test_cpu_overlay_executor_needs_no_gpu(cpu: list[Obj]) -> None:
    spec = pod_spec(executor(cpu))
    (container,) = spec["containers"]
    assert GPU not in container["resources"]["requests"]
    assert GPU not in container["resources"]["limits"]
    assert "tolerations" not in spec
    assert {"name": "SHIFT_DEVICE", "value": "cpu"} in container["env"]


def test_only_executors_use_gpus(objs: list[Obj]) -> None:
    for workload in workloads(objs):
        if workload["metadata"]["name"] != "shift-executor":
            for container in containers(workload):
                assert GPU not in container["resources"]["limits"]


def test_executors_scale_on_their_own(base: list[Obj], cpu: list[Obj], gpu: list[Obj]) -> None:
    assert executor(base)["spec"]["replicas"] == 1
    assert executor(cpu)["spec"]["replicas"] == 1
    assert executor(gpu)["spec"]["replicas"] == 2
    for other in ("shift-planner", "shift-parser", "shift-cache"):
        replicas = named(gpu, "Deployment", other)["spec"]["replicas"]
        assert replicas == named(base, "Deployment", other)["spec"]["replicas"]


def test_executor_rollout_needs_no_spare_gpu(gpu: list[Obj]) -> None:
    assert executor(gpu)["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0


def test_redis_persists_an_append_only_file(objs: list[Obj]) -> None:
    redis = named(objs, "StatefulSet", "redis")
    (claim,) = redis["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    (container,) = containers(redis)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    data_dir = mounts[claim["metadata"]["name"]]
    command = container["command"] + container["args"]
    assert command[0] == "redis-server"
    flags = dict(zip(command[1::2], command[2::2], strict=True))
    assert flags["--appendonly"] == "yes"
    assert flags["--appendfsync"] == "everysec"
    assert flags["--dir"] == data_dir


def test_redis_is_ready_when_it_answers_ping(objs: list[Obj]) -> None:
    (container,) = containers(named(objs, "StatefulSet", "redis"))
    probe = " ".join(container["readinessProbe"]["exec"]["command"])
    assert "redis-cli ping" in probe


def test_every_workload_has_a_service_selecting_its_pods(objs: list[Obj]) -> None:
    services = of_kind(objs, "Service")
    for workload in workloads(objs):
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        ports: set[str | int] = set()
        for container in containers(workload):
            ports |= container_ports(container).keys() | set(container_ports(container).values())
        matching = [s for s in services if s["spec"]["selector"].items() <= pod_labels.items()]
        assert matching, f"no Service for {workload['metadata']['name']}"
        for service in matching:
            for port in service["spec"]["ports"]:
                assert port["targetPort"] in ports


def test_planners_dial_headless_services(objs: list[Obj]) -> None:
    for name in DIALED_BY_PLANNERS:
        assert named(objs, "Service", name)["spec"]["clusterIP"] == "None"


def test_planner_is_a_cluster_ip_service(objs: list[Obj]) -> None:
    spec = named(objs, "Service", "shift-planner")["spec"]
    assert spec["type"] == "ClusterIP"
    assert "clusterIP" not in spec


def test_statefulset_is_governed_by_a_headless_service(objs: list[Obj]) -> None:
    redis = named(objs, "StatefulSet", "redis")
    governing = named(objs, "Service", redis["spec"]["serviceName"])
    assert governing["spec"]["clusterIP"] == "None"


def test_grace_period_outlasts_pre_stop_and_drain(objs: list[Obj]) -> None:
    for deployment in deployments(objs):
        spec = pod_spec(deployment)
        for container in spec["containers"]:
            pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert spec["terminationGracePeriodSeconds"] > pre_stop + SERVER_DRAIN_S


def test_an_executor_drains_its_tasks_before_it_is_killed(objs: list[Obj]) -> None:
    spec = pod_spec(executor(objs))
    (container,) = spec["containers"]
    args = container["args"]
    assert int(args[args.index("--drain-seconds") + 1]) + 15 <= EXECUTOR_DRAIN_S
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > pre_stop + EXECUTOR_DRAIN_S


def test_planners_and_executors_know_no_address_of_each_other(objs: list[Obj]) -> None:
    for name in ("shift-planner", "shift-executor"):
        (container,) = containers(named(objs, "Deployment", name))
        assert "--executors" not in container["args"]
    assert not [k for k in settings(objs) if "EXECUTOR" in k]


def test_objects_carry_the_recommended_labels(objs: list[Obj]) -> None:
    for obj in objs:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "shift"
        if obj["kind"] not in ("Namespace", "ConfigMap"):
            assert "app.kubernetes.io/name" in obj["metadata"]["labels"]
    for workload in workloads(objs):
        template_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert template_labels["app.kubernetes.io/part-of"] == "shift"
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector == {"app.kubernetes.io/name": template_labels["app.kubernetes.io/name"]}


def test_everything_lives_in_the_shift_namespace(objs: list[Obj]) -> None:
    (namespace,) = of_kind(objs, "Namespace")
    assert namespace["metadata"]["name"] == "shift"
    for obj in objs:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "shift"


def test_pods_meet_the_restricted_pod_security_standard(objs: list[Obj]) -> None:
    for workload in workloads(objs):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"]["drop"] == ["ALL"]


def test_args_only_reference_defined_settings(objs: list[Obj]) -> None:
    config_map = named(objs, "ConfigMap", "shift-settings")
    for deployment in deployments(objs):
        for container in containers(deployment):
            refs = {ref["configMapRef"]["name"] for ref in container.get("envFrom", [])}
            assert refs == {config_map["metadata"]["name"]}
            defined = config_map["data"].keys() | {e["name"] for e in container.get("env", [])}
            used = set(re.findall(r"\$\((\w+)\)", " ".join(container["args"])))
            assert used <= defined


def test_configured_addresses_name_existing_services(objs: list[Obj]) -> None:
    services = {s["metadata"]["name"]: s for s in of_kind(objs, "Service")}
    values = settings(objs)
    addresses = [v for k, v in values.items() if k.endswith(("_ADDR", "_ADDRS", "_URL"))]
    assert addresses
    for address in addresses:
        parts = urlsplit(address)
        host_and_port = parts.path.lstrip("/") if parts.scheme == "dns" else parts.netloc
        host, port = host_and_port.rsplit(":", 1)
        name, *domain = host.split(".")
        assert domain in ([], ["shift", "svc", "cluster", "local"]), address
        service_ports = [p["port"] for p in services[name]["spec"]["ports"]]
        assert int(port) in service_ports, address


def test_cache_reaches_redis_with_the_password_from_its_secret(objs: list[Obj]) -> None:
    (container,) = containers(named(objs, "Deployment", "shift-cache"))
    env = {e["name"]: e for e in container["env"]}
    assert env["SHIFT_REDIS_URL"]["value"] == "redis://:$(SHIFT_REDIS_PASSWORD)@redis:6379/0"
    names = [e["name"] for e in container["env"]]  # $(VAR) expands only earlier variables
    assert names.index("SHIFT_REDIS_PASSWORD") < names.index("SHIFT_REDIS_URL")
    secret = env["SHIFT_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "shift-redis", "key": "password"}
    assert not any("redis" in k.lower() for k in settings(objs))


def test_log_level_is_a_python_logging_level(objs: list[Obj]) -> None:
    assert settings(objs)["SHIFT_LOG_LEVEL"] in logging.getLevelNamesMapping()


def test_overlays_pin_the_released_image(cpu: list[Obj], gpu: list[Obj]) -> None:
    for objs in (cpu, gpu):
        for deployment in deployments(objs):
            assert {c["image"] for c in containers(deployment)} == {IMAGE}


REDIS_UNITS = {"": 1} | {p: 1000**n for n, p in ((1, "k"), (2, "m"), (3, "g"))}
REDIS_UNITS |= {f"{p}b": 1024**n for n, p in ((1, "k"), (2, "m"), (3, "g"))}
KUBERNETES_UNITS = {p: 1000**n for n, p in ((1, "K"), (2, "M"), (3, "G"))}
KUBERNETES_UNITS |= {f"{p}i": 1024**n for n, p in ((1, "K"), (2, "M"), (3, "G"))}


def redis_bytes(size: str) -> int:
    """A Redis memory size ("2gb", "1500mb", "100000") in bytes."""
    match = re.fullmatch(r"(\d+)([a-z]*)", size.lower())
    assert match is not None and match.group(2) in REDIS_UNITS, size
    return int(match.group(1)) * REDIS_UNITS[match.group(2)]


def kubernetes_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity ("4Gi", "512Mi") in bytes."""
    match = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity)
    assert match is not None and (match.group(2) in KUBERNETES_UNITS or not match.group(2))
    return int(match.group(1)) * KUBERNETES_UNITS.get(match.group(2), 1)


def test_redis_caps_memory_below_its_limit_and_evicts_only_features(objs: list[Obj]) -> None:
    (container,) = containers(named(objs, "StatefulSet", "redis"))
    args = container["args"]
    flags = dict(zip(args[0::2], args[1::2], strict=True))
    # only feature chunks carry a TTL (cache/redis_store.py): volatile-* evicts them alone
    assert flags["--maxmemory-policy"] == "volatile-lru"
    limit = kubernetes_bytes(container["resources"]["limits"]["memory"])
    # an AOF rewrite forks: leave the copy-on-write pages and client buffers room under the limit
    assert 0 < redis_bytes(flags["--maxmemory"]) <= limit * 3 // 4
