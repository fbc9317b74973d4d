"""docker-compose.yml: the four services (three of them replicated behind HAProxy), PostgreSQL,
Prometheus and Grafana, wired to each other."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from typing import Any

import pytest
import yaml

from csn.balancer import COMPOSE_PORTS, compose_config, haproxy_binary
from tests.ops.conftest import ROOT, SERVICES

REPLICATED = set(COMPOSE_PORTS)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def test_names_the_fleet_and_its_observers(compose):
    assert set(compose["services"]) == {*SERVICES, "balancer", "postgres", "prometheus", "grafana"}


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_runs_the_image_with_its_own_command(compose, name, port):
    service = compose["services"][name]
    assert service["build"] == "."
    assert service["command"] == ["csn", "serve", name, "--port", str(port)]
    assert service["restart"] == "unless-stopped"


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable interpolation (${V}, ${V:-default}, ${V:?error}); raises on error."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        found = env.get(name, "")
        if op == ":?" and not found:
            raise LookupError(f"{name}: {arg}")
        return found or (arg if op == ":-" else "")

    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", one, value)


def test_only_the_balanced_coordinator_prometheus_and_grafana_are_published_on_loopback(
    compose,
):
    published = {
        name: [interpolate(str(p), {}) for p in service.get("ports", [])]
        for name, service in compose["services"].items()
        if service.get("ports")
    }
    assert published == {
        "balancer": ["127.0.0.1:9000:9000"],
        "prometheus": ["127.0.0.1:9090:9090"],
        "grafana": ["127.0.0.1:3000:3000"],
    }


REQUIRED = {"CSN_AGENT_TOKEN", "CSN_OPS_TOKEN", "GF_SECURITY_ADMIN_PASSWORD", "POSTGRES_PASSWORD"}


def test_no_secret_has_a_default_and_a_missing_one_stops_the_stack(compose):
    for name, service in compose["services"].items():
        for key, value in _env(service).items() if "environment" in service else ():
            if not re.search(r"TOKEN|PASSWORD|SECRET|_KEY$", key):
                continue
            if key in REQUIRED:
                with pytest.raises(LookupError, match=r"set "):
                    interpolate(value, {})
            else:  # optional: empty unless set (a generated key, an optional API key)
                assert interpolate(value, {}) == "", (name, key)
            referenced = re.match(r"\$\{(\w+)", value)
            assert referenced, (name, key)  # from the environment, never written here
            assert interpolate(value, {referenced.group(1): "s3cret"}) == "s3cret"


def test_each_service_gets_only_the_secrets_it_needs(compose):
    secrets = {
        name: {k for k in _env(service) if re.search(r"TOKEN|PASSWORD|_KEY$", k)}
        for name, service in compose["services"].items()
        if "environment" in service
    }
    assert secrets["coordinator_agent"] == {
        "CSN_AGENT_TOKEN", "CSN_OPS_TOKEN", "CSN_ENCRYPTION_KEY", "CSN_HMAC_KEY",
        "CSN_MOCK_ADMIN_TOKEN",  # to read a customer's profile when an account links
    }  # fmt: skip
    assert secrets["context_agent"] == {"CSN_AGENT_TOKEN"}
    assert secrets["negotiation_agent"] == {"CSN_AGENT_TOKEN", "ANTHROPIC_API_KEY"}
    assert secrets["mock_cs_service"] == {"CSN_MOCK_ADMIN_TOKEN"}
    assert secrets["grafana"] == {"GF_SECURITY_ADMIN_PASSWORD"}
    assert secrets["postgres"] == {"POSTGRES_PASSWORD"}


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_listens_on_all_interfaces_and_finds_its_peers(compose, name, port):
    env = _env(compose["services"][name])
    assert env["CSN_HOST"] == "0.0.0.0"
    assert env["CSN_PORT"] == str(port)
    host = "balancer" if name in REPLICATED else name  # peers reach replicas through it
    assert env["CSN_PUBLIC_URL"] == f"http://{host}:{port}"
    for peer, peer_port in SERVICES.items():
        key = {
            "coordinator_agent": "CSN_COORDINATOR_URL",
            "context_agent": "CSN_CONTEXT_URL",
            "negotiation_agent": "CSN_NEGOTIATION_URL",
            "mock_cs_service": "CSN_CS_URL",
        }[peer]
        peer_host = "balancer" if peer in REPLICATED else peer
        assert env[key] == f"http://{peer_host}:{peer_port}"


def test_agents_share_one_token_from_the_environment(compose):
    agents = ("coordinator_agent", "context_agent", "negotiation_agent")
    tokens = {_env(compose["services"][name])["CSN_AGENT_TOKEN"] for name in agents}
    assert len(tokens) == 1
    assert interpolate(tokens.pop(), {"CSN_AGENT_TOKEN": "t0ken"}) == "t0ken"


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


def test_mock_cs_admin_api_takes_its_own_token(compose):
    env = _env(compose["services"]["mock_cs_service"])
    assert env["CSN_MOCK_ADMIN_TOKEN"] == "${CSN_MOCK_ADMIN_TOKEN:-}"


def test_prometheus_and_grafana_mount_files_that_exist(compose):
    for name in ("prometheus", "grafana"):
        service = compose["services"][name]
        assert service["restart"] == "unless-stopped"
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


def test_the_agents_run_replicas_behind_the_balancer_and_share_postgres(compose):
    for name in REPLICATED:
        service = compose["services"][name]
        assert interpolate(str(service["deploy"]["replicas"]), {}) == "2"
        assert "ports" not in service  # several replicas cannot bind one host port
    coordinator = compose["services"]["coordinator_agent"]
    url = interpolate(_env(coordinator)["CSN_DATABASE_URL"], {"POSTGRES_PASSWORD": "pw"})
    assert url == "postgresql://csn:pw@postgres:5432/csn"
    assert coordinator["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_the_balancer_mounts_the_configuration_csn_generates(compose):
    balancer = compose["services"]["balancer"]
    source, target = balancer["volumes"][0].split(":")[:2]
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    text = (ROOT / source).read_text()
    assert text == compose_config() + "\n"  # regenerate: csn.balancer.compose_config()
    for name, port in COMPOSE_PORTS.items():
        assert f"bind :{port}" in text
        assert f"{name}:{port} check resolvers docker" in text
    assert text.count("option httpchk GET /readyz") == len(COMPOSE_PORTS)


def test_the_balancer_configuration_is_valid_for_haproxy(tmp_path):
    binary = haproxy_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("HAProxy is not installed (apt-get install haproxy)")
        pytest.skip("HAProxy is not installed (apt-get install haproxy)")
    done = subprocess.run(  # noqa: S603 (our own command)
        [binary, "-c", "-f", str(ROOT / "deploy/haproxy/haproxy.cfg")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
