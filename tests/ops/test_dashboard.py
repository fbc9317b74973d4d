"""The Grafana dashboard: valid JSON, the panels an operator needs, PromQL on real metrics only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram

from shared import metrics
from tests.ops.conftest import DEPLOY, run_promtool

DASHBOARD = DEPLOY / "grafana/dashboards/csn.json"
REQUIRED_PANELS = {
    "Throughput",
    "Error rate",
    "Latency percentiles",
    "Sessions by state",
    "Negotiation outcomes",
    "CS retries and timeouts",
    "Escalations",
    "A2A calls by peer and result",
    "Policy lookup latency",
    "Persistence latency",
    "Promises kept, broken and recovered",
    "Money recovered after a broken promise",
}
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}
METRIC_NAME = re.compile(r"\bcsn_[a-z0-9_]+")


def exposed_names() -> set[str]:
    """Every series name shared/metrics.py exposes, with the suffixes its type adds."""
    names: set[str] = set()
    for metric in vars(metrics).values():
        if isinstance(metric, Histogram):
            base = metric._name
            names |= {f"{base}_bucket", f"{base}_count", f"{base}_sum"}
        elif isinstance(metric, Counter):
            names.add(f"{metric._name}_total")
        elif isinstance(metric, Gauge):
            names.add(metric._name)
    return names


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of every panel target."""
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def test_dashboard_has_the_panels_an_operator_needs(dashboard):
    titles = {p["title"] for p in panels(dashboard)}
    assert REQUIRED_PANELS <= titles


def test_panel_ids_are_unique_and_every_graph_has_a_query(dashboard):
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]


def test_every_expression_uses_only_metrics_that_exist(dashboard):
    known = exposed_names()
    for expr in expressions(dashboard):
        for name in METRIC_NAME.findall(expr):
            assert name in known, f"{name} (in {expr!r}) is not in shared/metrics.py"


def test_the_name_check_catches_a_misspelt_metric():
    assert "csn_http_requests_total" not in exposed_names()
    assert "csn_http_request_duration_seconds_bucket" in exposed_names()


def test_panels_use_the_provisioned_data_source(dashboard):
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"][0]
    assert provisioned["url"] == "http://prometheus:9090"
    for panel in panels(dashboard):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == provisioned["uid"], panel["title"]


def test_every_expression_is_valid_promql(promtool, tmp_path, dashboard):
    rules = []
    for index, expr in enumerate(expressions(dashboard)):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run_promtool(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
