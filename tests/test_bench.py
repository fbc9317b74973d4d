"""`csn bench` against a real fleet: it runs, reports every figure, and a seed reproduces it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from csn.scenarios import ID_STYLES, PROBLEM_PHRASES, generate, problems_for
from tests.fleet import REPO, running_fleet

pytestmark = pytest.mark.integration
FIGURES = (
    "sessions",
    "concurrency",
    "resolution_rate",
    "policy_compliance",
    "mean_cs_exchanges",
    "escalation_rate",
    "e2e_p50_s",
    "e2e_p95_s",
    "a2a_success_rate",
    "value_captured",
    "lost_sessions",
    "restarts",
    "per_persona",
)


def run_bench(fleet, out, seed: int) -> dict:
    urls = [
        f"--{flag}={fleet.url(name)}"
        for flag, name in (
            ("coordinator", "coordinator_agent"),
            ("context", "context_agent"),
            ("negotiation", "negotiation_agent"),
            ("cs", "mock_cs_service"),
        )
    ]
    command = [
        sys.executable,
        "-m",
        "csn",
        "bench",
        *urls,
        "--sessions",
        "12",
        "--concurrency",
        "4",
        "--seed",
        str(seed),
        "--json",
        str(out),
    ]
    done = subprocess.run(
        command, env=fleet.env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resolution_rate" in done.stderr  # the summary table
    return json.loads(out.read_text())


def test_bench_reports_every_figure_and_a_seed_reproduces_them(tmp_path):
    with running_fleet(tmp_path / "fleet") as fleet:
        first = run_bench(fleet, tmp_path / "a.json", seed=3)
        second = run_bench(fleet, tmp_path / "b.json", seed=3)
    assert set(FIGURES) <= set(first)
    assert first["sessions"] == 12 and first["lost_sessions"] == 0
    assert first["states"].get("resolved", 0) > 0  # something was judged ...
    assert first["policy_compliance"] == 1.0  # ... and every resolved outcome passed
    for figure in (
        "resolution_rate",
        "policy_compliance",
        "mean_cs_exchanges",
        "escalation_rate",
        "value_captured",
        "states",
    ):
        assert first[figure] == second[figure], figure


def test_scenarios_are_reproducible_and_cover_the_vocabulary():
    orders = json.loads((REPO / "mock_cs_service" / "data" / "orders.json").read_text())["orders"]
    one, two = generate(orders, 300, seed=5), generate(orders, 300, seed=5)
    assert one == two and one != generate(orders, 300, seed=6)
    assert {s.problem_type for s in one} == set(PROBLEM_PHRASES)
    assert {s.id_style for s in one} == set(ID_STYLES)
    assert {s.persona for s in one} == {"cooperative", "adversarial", "bureaucratic", "random"}
    for scenario in one:
        order = next(o for o in orders if o["order_id"] == scenario.order_id)
        assert scenario.problem_type in problems_for(order, None)
