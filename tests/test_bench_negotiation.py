"""`csn bench-negotiation`: the fleet's negotiator against the in-process mock CS desk, judged
by the desk's own records (its terms, its ledger, its transcripts), never by the fleet's."""

from __future__ import annotations

import json
from types import SimpleNamespace

from csn.bench_negotiation import RunResult, main, score_run
from csn.ledger import owed
from shared.domain import Offer
from tests.negotiation.conftest import ORDER_ID, make_strategy


def test_bench_judged_by_the_desk_beats_the_baselines(capsys) -> None:
    code = main(
        [
            "--count",
            "12",
            "--seed",
            "7",
            "--personas",
            "cooperative,adversarial,bureaucratic",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["channel"] == "structured"
    rows = {(r["persona"], r["negotiator"]): r for r in report["rows"]}
    ours, first = rows[("adversarial", "boulware")], rows[("adversarial", "accept_first")]
    assert ours["cases"] > 0 and ours["floor_violations"] == ours["entitlement_violations"] == 0
    assert ours["resolved_as_asked"] >= first["resolved_as_asked"]
    assert ours["in_full"] > first["in_full"]
    assert ours["value_share"] > first["value_share"]
    assert rows[("cooperative", "boulware")]["mean_exchanges"] <= 2
    # the bureaucrat's questions are answered (by the agent, or by the customer when only
    # the customer knows): every case agreed, as many granted in full as with a cooperative desk
    assert rows[("bureaucratic", "boulware")]["agreed"] == 1
    assert (
        rows[("bureaucratic", "boulware")]["in_full"]
        == rows[("cooperative", "boulware")]["in_full"]
    )
    # structured offers leave nothing to misread: every deal is the desk's booking
    assert report["misread_runs"] == [] and all(r["misreads"] == 0 for r in report["rows"])


# What the desk's terms say the retailer owes the case: a full refund of the $129.99 order
# against its return, or $20 in store credit.
TERMS = {
    "entitled": True,
    "order_value": 129.99,
    "remedies": [
        {"type": "full_refund", "max_amount": 129.99, "return_required": True},
        {"type": "store_credit", "max_amount": 20.0, "return_required": False},
    ],
}
# The desk's transcript: greeting, two messages answered, the accept answered by the booking.
TRANSCRIPT = {
    "messages": [
        {"message_id": "CT-1-M001", "role": "agent", "offer": None},
        {"message_id": "CT-1-M002", "role": "customer"},
        {"message_id": "CT-1-M003", "role": "agent", "offer": None},
        {"message_id": "CT-1-M004", "role": "customer"},
        {
            "message_id": "CT-1-M005",
            "role": "agent",
            "offer": {"type": "full_refund", "amount": 129.99, "return_required": True},
        },
        {"message_id": "CT-1-M006", "role": "customer"},
        {"message_id": "CT-1-M007", "role": "agent", "offer": None},
    ]
}


def run_judged(
    ours: Offer | None, grants: list[dict], sent: list | None = None, terms: dict = TERMS
) -> RunResult:
    """score_run of one accepted (or not) run against the desk's `grants` and `terms`."""
    reference = make_strategy("full_refund")  # our own plan: only its floor counts
    status = "accepted" if ours is not None else "no_agreement"
    result = SimpleNamespace(outcome=SimpleNamespace(status=status, offer=ours))
    case = {"index": 0, "desired": "full_refund", "order": {"order_id": ORDER_ID}}
    return score_run(
        "boulware", "adversarial", case, owed(terms), reference, sent or [], result, grants,
        TRANSCRIPT,
    )  # fmt: skip


def booked(kind: str, amount: float | None, order_id: str = ORDER_ID) -> dict:
    return {
        "contact_id": "CT-1",
        "customer_id": "C-1001",
        "order_id": order_id,
        "type": kind,
        "amount": amount,
        "return_required": True,
        "message_id": "CT-1-M007",
    }


def test_a_run_is_judged_by_what_the_desk_booked() -> None:
    ours = Offer(type="full_refund", amount=129.99, return_required=True)
    agreed = run_judged(ours, [booked("full_refund", 129.99)])
    assert agreed.as_asked and agreed.in_full and agreed.misread is None
    assert agreed.share == 1.0
    assert agreed.exchanges == 2  # until the desk booked it: the accept is not counted

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


def test_what_is_owed_is_the_desks_terms_not_our_plan() -> None:
    """Our plan settles for $20 of credit; the desk owes the customer a full refund."""
    credit = Offer(type="store_credit", amount=20.0, return_required=False)
    grant = {**booked("store_credit", 20.0), "return_required": False}
    run = run_judged(credit, [grant])
    assert run.misread is None  # the desk booked what we report ...
    assert not run.as_asked and not run.in_full and run.share < 0.2  # ... far from what it owed
    # the desk owes only credit for this order: the same grant is the whole of it
    only_credit = {**TERMS, "remedies": TERMS["remedies"][1:]}
    assert run_judged(credit, [grant], terms=only_credit).share == 1.0


def test_asking_for_more_than_the_desk_owes_is_an_entitlement_violation() -> None:
    ours = Offer(type="full_refund", amount=129.99, return_required=True)
    grants = [booked("full_refund", 129.99)]
    waived = SimpleNamespace(ask=Offer(type="full_refund", amount=129.99, return_required=False))
    assert run_judged(ours, grants, sent=[waived]).entitlement_violation
    # restating the desk's own offer (its transcript) asks for nothing new
    restated = SimpleNamespace(ask=ours)
    assert not run_judged(ours, grants, sent=[restated]).entitlement_violation
