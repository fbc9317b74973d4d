"""Prometheus config and alert rules: promtool validates them and runs their unit tests."""

from __future__ import annotations

import yaml

from tests.ops.conftest import DEPLOY, SERVICES, run_promtool

PROMETHEUS = DEPLOY / "prometheus"
REQUIRED_ALERTS = {
    "CsnServiceDown",
    "CsnHighErrorRate",
    "CsnHighLatencyP95",
    "CsnCustomerServiceUnavailable",
    "CsnHighEscalationRate",
}


def alert_rules() -> dict[str, dict]:
    """Every alert rule in alerts.yml by name."""
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def alert_cases() -> list[dict]:
    """Every alert_rule_test case of alerts_test.yml."""
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    return [case for test in tests for case in test.get("alert_rule_test", [])]


def test_config_is_valid(promtool):
    result = run_promtool(promtool, "check", "config", "deploy/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_valid(promtool):
    result = run_promtool(promtool, "check", "rules", "deploy/prometheus/alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass(promtool):
    result = run_promtool(promtool, "test", "rules", "deploy/prometheus/alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_config_scrapes_the_four_services_by_compose_name():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        + [f"{n}:{sd['port']}" for sd in job.get("dns_sd_configs", []) for n in sd["names"]]
        for job in config["scrape_configs"]
    }
    for service, port in SERVICES.items():  # replicated ones by DNS: every replica
        assert targets[service] == [f"{service}:{port}"]
    assert config["rule_files"] == ["alerts.yml"]


def test_the_required_alerts_exist_with_severity_and_summary():
    rules = alert_rules()
    assert REQUIRED_ALERTS <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name


def test_the_seed_thresholds_are_the_ones_alerted_on():
    rules = alert_rules()
    assert "> 0.05" in rules["CsnHighErrorRate"]["expr"]
    assert "histogram_quantile(0.95" in rules["CsnHighLatencyP95"]["expr"]
    assert "> 5" in rules["CsnHighLatencyP95"]["expr"]


def test_every_alert_is_tested_firing_and_not_firing():
    cases = alert_cases()
    for name in alert_rules():
        outcomes = [bool(case["exp_alerts"]) for case in cases if case["alertname"] == name]
        assert True in outcomes, f"{name} has no firing test"
        assert False in outcomes, f"{name} has no not-firing test"
