"""The negotiation benchmark on the in-process mock CS desk and policy index, judged from the
desk's ledger."""

from __future__ import annotations

import json
from types import SimpleNamespace

from negotiation_agent.bench import RunResult, main, score_run
from shared.domain import Offer
from tests.negotiation.conftest import ORDER_ID, make_strategy


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
    assert report["channel"] == "structured"
    rows = {(r["persona"], r["negotiator"]): r for r in report["rows"]}
    ours, first = rows[("adversarial", "boulware")], rows[("adversarial", "accept_first")]
    assert ours["cases"] > 0 and ours["floor_violations"] == ours["entitlement_violations"] == 0
    assert ours["resolved_as_asked"] >= first["resolved_as_asked"]
    assert ours["in_full"] > first["in_full"]
    assert ours["value_share"] > first["value_share"]
    assert rows[("cooperative", "boulware")]["mean_exchanges"] <= 2
    # structured offers leave nothing to misread: every deal is the desk's booking
    assert report["misread_runs"] == [] and all(r["misreads"] == 0 for r in report["rows"])


def run_judged(ours: Offer | None, grants: list[dict]) -> RunResult:
    """score_run of one accepted (or not) run against the desk's `grants`."""
    reference = make_strategy("full_refund")
    status = "accepted" if ours is not None else "no_agreement"
    result = SimpleNamespace(outcome=SimpleNamespace(status=status, offer=ours))
    case = {"index": 0, "desired": "full_refund", "order": {"order_id": ORDER_ID}}
    return score_run(
        "boulware", "adversarial", case, reference, SimpleNamespace(sent=[]), result, 2, grants
    )


def booked(kind: str, amount: float | None, order_id: str = ORDER_ID) -> dict:
    return {
        "contact_id": "CT-1",
        "customer_id": "C-1001",
        "order_id": order_id,
        "type": kind,
        "amount": amount,
        "return_required": True,
    }


def test_a_run_is_judged_by_what_the_desk_booked() -> None:
    ours = Offer(type="full_refund", amount=129.99, return_required=True)
    agreed = run_judged(ours, [booked("full_refund", 129.99)])
    assert agreed.as_asked and agreed.in_full and agreed.misread is None
    assert agreed.share == 1.0

    # we believe in a full refund; the desk booked a partial one
    short = run_judged(ours, [booked("partial_refund", 60)])
    assert not short.as_asked and not short.in_full and short.floor_violation
    assert short.misread is not None and short.misread.differences == ["type", "amount"]

    # we believe in a deal the desk never booked: nothing obtained
    unbooked = run_judged(ours, [])
    assert unbooked.share == 0 and not unbooked.as_asked and not unbooked.floor_violation
    assert unbooked.misread is not None and unbooked.misread.kind == "unbooked"

    # the desk booked a refund we do not know of; on another order, it obtains nothing
    unreported = run_judged(None, [booked("full_refund", 129.99, order_id="999-0000000-0000000")])
    assert unreported.misread is not None and unreported.misread.kind == "unreported"
    assert unreported.share == 0 and not unreported.as_asked
