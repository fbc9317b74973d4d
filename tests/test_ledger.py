"""Judging a case from the desk's ledger: hand-written cases of agreeing and disagreeing books."""

from __future__ import annotations

import pytest

from csn.ledger import (
    by_contact,
    can_be_granted,
    exchanges,
    granted_value,
    grants_of,
    is_as_asked,
    misread,
    owed,
    within_terms,
)


def grant(kind: str, amount: float | None = None, **extra) -> dict:
    return {
        "contact_id": extra.pop("contact_id", "CT-1"),
        "customer_id": "C-1001",
        "order_id": extra.pop("order_id", "112-0000000-0000001"),
        "type": kind,
        "amount": amount,
        "return_required": extra.pop("return_required", False),
        **extra,
    }


@pytest.mark.parametrize(
    ("desired", "kinds", "expected"),
    [
        ("full_refund", ["full_refund"], True),
        ("full_refund", ["partial_refund"], False),
        ("full_refund", ["store_credit"], False),
        ("replacement", ["reship"], True),
        ("replacement", ["replacement"], True),
        ("reship", ["replacement"], True),
        ("store_credit", ["full_refund"], True),  # all the money back: more than credit
        ("store_credit", ["partial_refund"], False),
        ("partial_refund", ["full_refund"], True),
        ("unspecified", ["store_credit"], True),
        ("unspecified", ["reship"], True),
        ("unspecified", ["return_label"], False),
        ("unspecified", [], False),
        ("partial_refund", ["store_credit", "partial_refund"], True),
    ],
)
def test_resolved_as_asked_by_kind(desired: str, kinds: list[str], expected: bool) -> None:
    assert is_as_asked([grant(k, 10) for k in kinds], desired) is expected


def test_grants_are_found_by_contact_and_order() -> None:
    ledger = by_contact(
        [
            grant("full_refund", 10, contact_id="CT-1"),
            grant("store_credit", 5, contact_id="CT-1", order_id="999-0000000-0000000"),
            grant("replacement", contact_id="CT-2"),
        ]
    )
    assert len(grants_of(ledger, "CT-1")) == 2
    assert [g["type"] for g in grants_of(ledger, "CT-1", "112-0000000-0000001")] == ["full_refund"]
    assert grants_of(ledger, None) == []
    assert grants_of(ledger, "CT-9") == []


def test_granted_value_uses_the_one_valuation() -> None:
    # 100 refunded with a return (burden 2) + 50 of store credit at 90%
    grants = [grant("full_refund", 100, return_required=True), grant("store_credit", 50)]
    assert granted_value(grants, 100) == 98 + 45
    assert granted_value([grant("replacement")], 60) == 60
    assert granted_value([], 60) == 0


def test_agreeing_books_are_no_misread() -> None:
    ours = {"type": "full_refund", "amount": 129.99, "return_required": False}
    assert misread(ours, True, [grant("full_refund", 129.99)]) is None
    assert misread(ours, True, [grant("full_refund", 129.995)]) is None  # within a cent
    assert misread({"type": "replacement"}, True, [grant("replacement")]) is None
    assert misread(None, False, []) is None  # no deal on either side


@pytest.mark.parametrize(
    ("ours", "booked", "differences"),
    [
        ({"type": "full_refund", "amount": 40}, grant("partial_refund", 40), ["type"]),
        ({"type": "partial_refund", "amount": 40}, grant("partial_refund", 45), ["amount"]),
        ({"type": "partial_refund", "amount": None}, grant("partial_refund", 45), ["amount"]),
        ({"type": "store_credit"}, grant("store_credit", 20), ["amount"]),
        (
            {"type": "full_refund", "amount": 40, "return_required": False},
            grant("full_refund", 40, return_required=True),
            ["return_required"],
        ),
        (
            {"type": "store_credit", "amount": 30, "return_required": True},
            grant("partial_refund", 25),
            ["type", "amount", "return_required"],
        ),
    ],
)
def test_terms_that_differ_are_a_misread(ours: dict, booked: dict, differences: list) -> None:
    found = misread(ours, True, [booked])
    assert found is not None and found.kind == "terms"
    assert found.differences == differences


def test_an_amount_only_we_state_is_not_a_misread() -> None:
    # the desk books a replacement without a sum; naming the item's value is no misreading
    assert misread({"type": "replacement", "amount": 60}, True, [grant("replacement")]) is None


def test_a_deal_the_desk_never_booked_is_a_misread() -> None:
    found = misread({"type": "full_refund", "amount": 10}, True, [])
    assert found is not None and found.kind == "unbooked"


def test_a_booking_we_do_not_report_is_a_misread() -> None:
    found = misread(None, False, [grant("store_credit", 5)])
    assert found is not None and found.kind == "unreported"
    assert found.as_json()["ledger"][0]["type"] == "store_credit"


def test_a_second_booking_on_the_contact_is_a_misread() -> None:
    ours = {"type": "full_refund", "amount": 10}
    found = misread(ours, True, [grant("full_refund", 10), grant("store_credit", 5)])
    assert found is not None and found.kind == "terms" and "type" in found.differences


@pytest.mark.parametrize(
    ("allowed", "desired", "expected"),
    [
        (["store_credit", "partial_refund"], "full_refund", False),
        (["store_credit", "partial_refund"], "partial_refund", True),
        (["reship"], "replacement", True),
        (["return_label"], "unspecified", False),
        (["store_credit"], "unspecified", True),
    ],
)
def test_a_case_can_be_resolved_as_asked_only_where_policy_allows_the_kind(
    allowed: list[str], desired: str, expected: bool
) -> None:
    assert can_be_granted(allowed, desired) is expected


# What the retailer allows a damaged $100 order (as `GET /v1/admin/terms` lists it).
ALLOWED = [
    {"type": "full_refund", "max_amount": 100.0, "return_required": True},
    {"type": "partial_refund", "max_amount": 30.0, "return_required": False},
    {"type": "replacement", "max_amount": None, "return_required": False},
]


@pytest.mark.parametrize(
    ("booked", "expected"),
    [
        (grant("full_refund", 100.0, return_required=True), True),
        (grant("full_refund", 100.0), False),  # the return policy asks for was waived
        (grant("partial_refund", 30.0), True),
        (grant("partial_refund", 30.01), True),  # within a cent
        (grant("partial_refund", 45.0), False),  # above the ceiling
        (grant("reship"), True),  # a reship is a replacement to the customer
        (grant("store_credit", 10.0), False),  # a kind policy does not grant
    ],
)
def test_a_grant_is_compliant_only_within_what_the_retailer_allows(booked, expected):
    assert within_terms(booked, ALLOWED) is expected


def test_nothing_is_compliant_where_nothing_is_allowed():
    assert within_terms(grant("store_credit", 5.0), []) is False


def said(role: str, n: int) -> dict:
    return {"message_id": f"CT-1-M{n:03d}", "role": role, "text": "..."}


def test_an_exchange_is_a_message_of_ours_the_desk_answered():
    """A hand-built transcript: the greeting, three answered messages (the last one an
    accept, answered by the booking), then a goodbye CS never answered (it had closed)."""
    transcript = {
        "contact_id": "CT-1",
        "messages": [
            said("agent", 1),  # the greeting answers nothing
            said("customer", 2),
            said("agent", 3),
            said("customer", 4),
            said("agent", 5),
            said("customer", 6),
            said("agent", 7),  # the booking
            said("customer", 8),  # unanswered
        ],
    }
    assert exchanges(transcript) == 3
    assert exchanges(transcript, until="CT-1-M007") == 2  # until CS agreed
    assert exchanges({"messages": [said("agent", 1)]}) == 0
    assert exchanges({}) == 0


def test_what_a_case_is_owed_comes_from_the_desks_terms():
    terms = {
        "entitled": True,
        "order_value": 100.0,
        "remedies": [
            {"type": "full_refund", "max_amount": 100.0, "return_required": False},
            {"type": "store_credit", "max_amount": 15.0, "return_required": False},
            {"type": "replacement", "max_amount": None, "return_required": False},
        ],
    }
    found = owed(terms)
    assert found.entitled and found.item_value == 100.0 and found.value == 100.0
    assert found.askable("store_credit") and found.askable("partial_refund")  # all of it back
    # the desk allows $15 of credit (worth $13.50: credit is 90% of cash in the shared
    # valuation) and a $100 refund, which serves a customer who asked for credit as well
    assert found.worth("store_credit") == 100.0
    credit_only = owed({**terms, "remedies": terms["remedies"][1:]})
    assert credit_only.worth("store_credit") == 13.5
    assert found.worth("partial_refund") == 100.0  # none of that kind: all the money back
    assert found.worth("unspecified") == 100.0
    nothing = owed({"entitled": False, "order_value": 20.0, "remedies": []}, item_value=5.0)
    assert not nothing.entitled and nothing.value == 0.0 and not nothing.askable("full_refund")
