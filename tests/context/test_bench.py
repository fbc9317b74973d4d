"""The lookup benchmark runs and reports; timings themselves are not asserted (machine-dependent)."""

from __future__ import annotations

import json

import pytest

from context_agent.bench import main, summarize, write_scaled_corpus
from context_agent.policies import load_policies
from tests.context.conftest import POLICY_DIR


def test_summarize_gives_percentiles_and_rate() -> None:
    stats = summarize([i / 1000 for i in range(1, 101)], wall_s=0.5)
    assert stats["n"] == 100 and stats["p50_ms"] == 51.0 and stats["p99_ms"] == 100.0
    assert stats["lookups_per_s"] == 200.0


def test_the_scaled_corpus_is_valid_and_ten_times_larger(tmp_path) -> None:
    written = write_scaled_corpus(POLICY_DIR, tmp_path, 10)
    shipped = load_policies(POLICY_DIR)
    assert written == 10 * len(shipped)
    assert len(load_policies(tmp_path)) == written


def test_in_process_run_writes_a_report(tmp_path) -> None:
    out = tmp_path / "report.json"
    code = main(["--no-a2a", "--cases", "20", "--rounds", "1", "--scale", "2", "--json", str(out)])
    report = json.loads(out.read_text())
    assert code == 0
    for part in ("in_process_shipped", "in_process_scaled"):
        assert {"p50_ms", "p95_ms", "p99_ms", "lookups_per_s"} <= set(report[part])
    assert report["in_process_scaled"]["policies"] == 2 * report["in_process_shipped"]["policies"]


@pytest.mark.integration
def test_a2a_run_over_real_sockets(tmp_path) -> None:
    out = tmp_path / "report.json"
    main(
        [
            "--cases",
            "5",
            "--rounds",
            "1",
            "--scale",
            "1",
            "--a2a-calls",
            "10",
            "--fixture-only",
            "--json",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    assert report["a2a"]["order_system"] == "bench fixture" and report["a2a"]["n"] == 10
