"""Every service's /metrics is lint-clean for promtool, and shared/metrics.py keeps the conventions."""

from __future__ import annotations

import importlib

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram

from shared import metrics
from shared.service import create_service_app
from shared.settings import ServiceSettings
from tests.ops.conftest import ROOT, SERVICES, run_promtool

FORBIDDEN_LABELS = {"session_id", "customer_id", "order_id", "task_id", "request_id", "context_id"}
ALL_METRICS = [m for m in vars(metrics).values() if isinstance(m, Counter | Gauge | Histogram)]


def touch_every_metric() -> None:
    """Record one sample on every shared metric so every family is in the exposition."""
    for metric in ALL_METRICS:
        child = (
            metric.labels(*["probe"] * len(metric._labelnames)) if metric._labelnames else metric
        )
        if isinstance(metric, Histogram):
            child.observe(0.01)
        elif isinstance(metric, Counter):
            child.inc()
        else:
            child.set(1)


async def scrape(app: FastAPI) -> str:
    """GET /metrics from the app in-process, after one request so its own series exist."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def assert_lint_clean(promtool: str, exposition: str) -> None:
    """promtool check metrics says nothing about this exposition."""
    result = run_promtool(promtool, "check", "metrics", stdin=exposition)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("metric", ALL_METRICS, ids=lambda m: m._name)
def test_metric_follows_prometheus_naming(metric):
    name = metric._name
    assert name.startswith("csn_")
    if isinstance(metric, Histogram) and ("duration" in name or "latency" in name):
        assert name.endswith("_seconds"), f"{name}: durations are in seconds"
    assert not name.endswith("_total") or isinstance(metric, Counter)
    assert not set(metric._labelnames) & FORBIDDEN_LABELS, f"{name}: unbounded label"


async def test_shared_app_exposition_is_lint_clean(promtool, tmp_path):
    touch_every_metric()
    settings = ServiceSettings(port=9999, var_dir=tmp_path, agent_token="ops-test-token")
    text = await scrape(create_service_app(settings, name="ops_probe", description="probe"))
    for metric in ALL_METRICS:
        assert f"# TYPE {metric._name}" in text, f"{metric._name} is not exposed"
    assert 'csn_http_request_duration_seconds_count{method="GET",route="/healthz"' in text
    assert_lint_clean(promtool, text)


def test_lint_catches_a_badly_named_metric(promtool):
    bad = "# HELP latency_ms Latency.\n# TYPE latency_ms counter\nlatency_ms 1\n"
    result = run_promtool(promtool, "check", "metrics", stdin=bad)
    assert result.stdout.strip() or result.stderr.strip()


@pytest.fixture
def service_env(monkeypatch, tmp_path):
    """Keep a service's generated secrets and database under a temporary var/."""
    monkeypatch.setenv("CSN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CSN_AGENT_TOKEN", "ops-test-token")
    monkeypatch.setenv("CSN_POLICY_DIR", str(ROOT / "policies"))
    monkeypatch.delenv("CSN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("service", SERVICES)
async def test_service_exposition_is_lint_clean(promtool, service_env, service):
    if not (ROOT / service / "app.py").exists():
        pytest.skip(f"{service}/app.py is not written yet")
    touch_every_metric()
    app = importlib.import_module(f"{service}.app").create_app()
    async with app.router.lifespan_context(app):  # as uvicorn runs it
        text = await scrape(app)
    assert f'service="{app.state.service_name}"' in text
    assert_lint_clean(promtool, text)
