"""docker-compose.yml: the four services, Prometheus and Grafana, wired to each other."""

from __future__ import annotations

import ast
from typing import Any

import pytest
import yaml

from tests.ops.conftest import ROOT, SERVICES


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def test_names_the_fleet_and_its_observers(compose):
    assert set(compose["services"]) == {*SERVICES, "prometheus", "grafana"}


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_runs_the_image_with_its_own_command(compose, name, port):
    service = compose["services"][name]
    assert service["build"] == "."
    assert service["command"] == ["csn", "serve", name, "--port", str(port)]
    assert any(str(p).endswith(f"{port}:{port}") for p in service["ports"])
    assert service["restart"] == "unless-stopped"


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_listens_on_all_interfaces_and_finds_its_peers(compose, name, port):
    env = _env(compose["services"][name])
    assert env["CSN_HOST"] == "0.0.0.0"
    assert env["CSN_PORT"] == str(port)
    assert env["CSN_PUBLIC_URL"] == f"http://{name}:{port}"
    for peer, peer_port in SERVICES.items():
        key = {
            "coordinator_agent": "CSN_COORDINATOR_URL",
            "context_agent": "CSN_CONTEXT_URL",
            "negotiation_agent": "CSN_NEGOTIATION_URL",
            "mock_cs_service": "CSN_CS_URL",
        }[peer]
        assert env[key] == f"http://{peer}:{peer_port}"


def test_agents_share_one_token_from_the_environment_with_a_dev_default(compose):
    tokens = {_env(compose["services"][name])["CSN_AGENT_TOKEN"] for name in SERVICES}
    assert len(tokens) == 1
    (token,) = tokens
    assert token.startswith("${CSN_AGENT_TOKEN:-") and len(token) > len("${CSN_AGENT_TOKEN:-}")


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_healthcheck_probes_healthz_with_python(compose, name, port):
    check = compose["services"][name]["healthcheck"]
    kind, binary, flag, code = check["test"]
    assert (kind, binary, flag) == ("CMD", "python", "-c")
    ast.parse(code)  # the probe is valid Python
    assert f"http://127.0.0.1:{port}/healthz" in code
    assert {"interval", "timeout", "retries"} <= set(check)


def test_coordinator_keeps_its_var_on_a_named_volume(compose):
    volumes = compose["services"]["coordinator_agent"]["volumes"]
    assert "coordinator_var:/app/var" in volumes
    assert "coordinator_var" in compose["volumes"]


def test_mock_cs_admin_api_is_published_on_loopback_only(compose):
    assert all(p.startswith("127.0.0.1:") for p in compose["services"]["mock_cs_service"]["ports"])


def test_prometheus_and_grafana_mount_files_that_exist(compose):
    for name, port in (("prometheus", 9090), ("grafana", 3000)):
        service = compose["services"][name]
        assert service["restart"] == "unless-stopped"
        assert any(str(p).endswith(f"{port}:{port}") for p in service["ports"])
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_prometheus_loads_the_config_and_rules_it_is_given(compose):
    prometheus = compose["services"]["prometheus"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    mounted = {v.split(":")[1] for v in prometheus["volumes"]}
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    for rule_file in config["rule_files"]:
        assert f"/etc/prometheus/{rule_file}" in mounted


def test_grafana_dashboard_provider_points_at_the_mounted_dashboards(compose):
    grafana = compose["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"])
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/csn.yml").read_text()
    )["providers"][0]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
