"""deploy/kubernetes/: valid against the Kubernetes schemas (kubernetes-validate bundles them,
no network), and wired as an operator needs: probes, Services, budgets, autoscalers, Secrets
referenced (never inlined), PostgreSQL outside."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.ops.conftest import DEPLOY, SERVICES

KUBERNETES = DEPLOY / "kubernetes"
VERSION = "1.30"
STATELESS = ("context_agent", "negotiation_agent")
SECRET_VARIABLES = {"CSN_AGENT_TOKEN", "CSN_OPS_TOKEN", "CSN_ENCRYPTION_KEY", "CSN_HMAC_KEY",
                    "CSN_DATABASE_URL", "CSN_MOCK_ADMIN_TOKEN"}  # fmt: skip


def documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        found += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def name_of(service: str) -> str:
    return service.replace("_", "-")


@pytest.mark.parametrize(
    "document", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}"
)
def test_every_manifest_is_valid_against_the_kubernetes_schema(document) -> None:
    kubernetes_validate.validate(document, VERSION, strict=True)


def test_an_invalid_manifest_is_refused() -> None:
    """The check can fail: a Deployment with a misspelt field is not accepted."""
    broken = of_kind("Deployment")["context-agent"]
    broken = {**broken, "spec": {**broken["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


@pytest.mark.parametrize(("service", "port"), SERVICES.items())
def test_each_service_runs_with_probes_behind_its_service(service: str, port: int) -> None:
    deployment = of_kind("Deployment")[name_of(service)]
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert container["command"] == ["csn", "serve", service, "--port", str(port)]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["resources"]["requests"]["cpu"]  # the autoscaler measures against it
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    labels = pod["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    svc = of_kind("Service")[name_of(service)]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


def test_peers_are_found_through_the_services() -> None:
    config = of_kind("ConfigMap")["csn-config"]["data"]
    services = of_kind("Service")
    for setting, service in (("CSN_COORDINATOR_URL", "coordinator_agent"),
                             ("CSN_CONTEXT_URL", "context_agent"),
                             ("CSN_NEGOTIATION_URL", "negotiation_agent"),
                             ("CSN_CS_URL", "mock_cs_service")):  # fmt: skip
        host = name_of(service)
        assert host in services
        assert config[setting] == f"http://{host}:{SERVICES[service]}"


@pytest.mark.parametrize("service", STATELESS)
def test_stateless_agents_have_a_budget_and_scale_on_cpu(service: str) -> None:
    name = name_of(service)
    deployment = of_kind("Deployment")[name]
    budget = of_kind("PodDisruptionBudget")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]  # a drain can proceed
    scaler = of_kind("HorizontalPodAutoscaler")[name]
    target = scaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", name)
    assert scaler["spec"]["minReplicas"] >= 2
    [metric] = scaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_coordinators_share_the_cases_by_lease_so_they_scale_and_roll() -> None:
    """Cases are leased (one driver each), so several coordinators run, roll one at a time,
    keep one through a drain and scale on CPU like the agents."""
    deployment = of_kind("Deployment")["coordinator-agent"]
    assert deployment["spec"]["replicas"] >= 2
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    budget = of_kind("PodDisruptionBudget")["coordinator-agent"]
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    scaler = of_kind("HorizontalPodAutoscaler")["coordinator-agent"]
    assert scaler["spec"]["minReplicas"] >= 2


def test_secrets_are_referenced_never_inlined() -> None:
    assert of_kind("Secret") == {}
    seen = set()
    for deployment in of_kind("Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for variable in container.get("env", []):
                if variable["name"] in SECRET_VARIABLES:
                    assert "value" not in variable, variable["name"]
                    assert variable["valueFrom"]["secretKeyRef"]["name"] == "csn-secrets"
                    seen.add(variable["name"])
    config = of_kind("ConfigMap")["csn-config"]["data"]
    assert not SECRET_VARIABLES & set(config)
    assert {"CSN_AGENT_TOKEN", "CSN_ENCRYPTION_KEY", "CSN_HMAC_KEY", "CSN_DATABASE_URL"} <= seen


def test_postgresql_is_an_external_dependency() -> None:
    images = [c["image"] for d in documents() if d["kind"] in ("Deployment", "StatefulSet")
              for c in d["spec"]["template"]["spec"]["containers"]]  # fmt: skip
    assert not [i for i in images if "postgres" in i]
    assert "StatefulSet" not in {d["kind"] for d in documents()}
