"""The negotiation benchmark on the in-process mock CS desk and policy index."""

from __future__ import annotations

import json

from negotiation_agent.bench import main


def test_bench_meets_the_quality_bar_and_beats_the_baselines(capsys) -> None:
    code = main(
        [
            "--count",
            "12",
            "--seed",
            "7",
            "--personas",
            "cooperative,adversarial",
            "--json",
            "--check",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report["quality_bar_misses"]
    rows = {(r["persona"], r["negotiator"]): r for r in report["rows"]}
    ours = rows[("adversarial", "boulware")]
    assert ours["cases"] > 0 and ours["floor_violations"] == ours["entitlement_violations"] == 0
    assert ours["resolved_as_asked"] >= rows[("adversarial", "accept_first")]["resolved_as_asked"]
    assert ours["value_share"] >= rows[("adversarial", "accept_first")]["value_share"]
    assert rows[("cooperative", "boulware")]["mean_exchanges"] <= 2
