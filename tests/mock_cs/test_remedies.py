"""The retailer's own rules and its reading of the published policies (pure, no server)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from mock_cs_service.policy_book import PolicyBook, parse_policy_text, policy_from_meta
from mock_cs_service.remedies import OrderFacts, case_terms
from shared.domain import Order, ProblemType

TODAY = date(2026, 6, 15)


def make_order(**overrides: object) -> Order:
    base: dict[str, object] = {
        "order_id": "300-0000001-0000001",
        "customer_id": "C-1",
        "order_date": TODAY - timedelta(days=12),
        "promised_delivery_date": TODAY - timedelta(days=8),
        "delivered_date": TODAY - timedelta(days=8),
        "status": "delivered",
        "total": 100.0,
        "items": [{"sku": "S", "title": "Kettle", "category": "kitchen", "price": 100.0}],
    }
    return Order.model_validate({**base, **overrides})


def terms(problem: str, book: PolicyBook | None = None, prime: bool = False, **order: object):
    facts = OrderFacts(make_order(**order), TODAY, prime)
    published = book.remedies_for(problem, facts) if book else []
    return case_terms(facts, ProblemType(problem), published)


def kinds(t) -> list[str]:
    return [r.type for r in t.remedies]


def test_damaged_within_the_window_is_a_full_refund_without_return() -> None:
    t = terms("damaged_item")
    assert kinds(t)[0] == "full_refund" and t.remedies[0].max_amount == 100.0
    assert t.remedies[0].return_required is False


@pytest.mark.parametrize(("days", "entitled"), [(30, True), (31, False)])
def test_the_window_ends_on_day_30(days: int, entitled: bool) -> None:
    t = terms("wrong_item", delivered_date=TODAY - timedelta(days=days))
    assert t.entitled is entitled
    assert entitled or "outside our 30-day window" in t.reason


def test_defects_after_the_window_get_a_replacement_only() -> None:
    t = terms("defective_item", delivered_date=TODAY - timedelta(days=200))
    assert kinds(t) == ["replacement"]


def test_late_delivery_is_a_goodwill_share() -> None:
    t = terms("late_delivery", delivered_date=TODAY - timedelta(days=3))
    assert kinds(t) == ["partial_refund", "store_credit"]
    assert t.remedies[0].max_amount == 20.0
    assert not terms("late_delivery").entitled  # on time


def test_billing_error_is_capped_at_the_recorded_overcharge() -> None:
    assert terms("billing_error", charges=[100.0, 100.0]).remedies[0].max_amount == 100.0
    assert terms("billing_error", charges=[100.0, 12.5]).remedies[0].max_amount == 12.5
    assert not terms("billing_error").entitled


def test_a_charge_for_a_cancelled_order_is_refunded_unless_already_refunded() -> None:
    charged = terms("billing_error", status="cancelled", delivered_date=None, refund_issued=False)
    assert kinds(charged) == ["full_refund"]
    assert not terms(
        "billing_error", status="cancelled", delivered_date=None, refund_issued=True
    ).entitled


def test_refund_not_received_depends_on_the_ledger() -> None:
    assert terms("refund_not_received", status="returned").entitled
    paid = terms("refund_not_received", status="returned", refund_issued=True)
    assert not paid.entitled and "already issued" in paid.reason


@pytest.mark.parametrize("category", ["digital", "gift_cards", "hazmat", "grocery"])
def test_non_returnable_categories_cannot_be_returned_unwanted(category: str) -> None:
    items = [{"sku": "S", "title": "T", "category": category, "price": 100.0}]
    t = terms("unwanted_item", items=items)
    assert not t.entitled and "can't be returned" in t.reason


def test_unwanted_furniture_carries_a_restocking_fee() -> None:
    items = [{"sku": "S", "title": "Sofa", "category": "furniture", "price": 100.0}]
    refund = terms("unwanted_item", items=items).remedies[0]
    assert refund.return_required and refund.restocking_fee == 15.0


def test_not_delivered_waits_for_the_promised_date() -> None:
    on_the_way = terms(
        "not_delivered",
        status="in_transit",
        delivered_date=None,
        promised_delivery_date=TODAY + timedelta(days=2),
    )
    assert not on_the_way.entitled and "still on its way" in on_the_way.reason
    assert terms("not_delivered", status="lost", delivered_date=None).entitled


POLICY = """---
policy_id: LATE-X-001
scope:
  problem_types: [late_delivery]
  prime_only: true
conditions:
  days_late_min: 1
outcomes:
- type: store_credit
  max_share: 0.5
  max_amount: 40
---
Body text.
"""


def write(tmp_path: Path, text: str, name: str = "p.md") -> PolicyBook:
    (tmp_path / name).write_text(text)
    return PolicyBook.load(tmp_path)


def test_published_policies_widen_the_desks_terms(tmp_path: Path) -> None:
    book = write(tmp_path, POLICY)
    late = {"delivered_date": TODAY - timedelta(days=3)}
    assert terms("late_delivery", book, prime=True, **late).remedy("store_credit").max_amount == 40
    assert terms("late_delivery", book, prime=False, **late).remedy("store_credit").max_amount == 20


def test_policy_conditions_and_scope_decide_applicability(tmp_path: Path) -> None:
    book = write(tmp_path, POLICY)
    late = OrderFacts(make_order(delivered_date=TODAY - timedelta(days=3)), TODAY, True)
    on_time = OrderFacts(make_order(), TODAY, True)
    assert book.applies("late-x-001", "late_delivery", late)
    assert not book.applies("LATE-X-001", "late_delivery", on_time)
    assert not book.applies("LATE-X-001", "damaged_item", late)
    assert not book.applies("NOPE-1", "late_delivery", late)


def test_citations_are_found_in_free_text(tmp_path: Path) -> None:
    book = write(tmp_path, POLICY)
    assert book.cited_in("Under late-x-001 (and LATE-X-001 again) I am owed") == ["LATE-X-001"]
    assert book.cited_in("XLATE-X-0012 is not a citation") == []


def test_broken_policy_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\npolicy_id: [oops\n---\n")
    (tmp_path / "noid.md").write_text("---\ntitle: no id\n---\n")
    book = write(tmp_path, POLICY)
    assert len(book) == 1
    assert len(PolicyBook.load(tmp_path / "missing")) == 0


def test_yaml_policies_without_front_matter_are_read() -> None:
    meta = parse_policy_text("policy_id: Y-1\nscope: {categories: all}\n")
    policy = policy_from_meta(meta or {})
    assert policy is not None and policy.policy_id == "Y-1" and not policy.categories


def test_the_shipped_corpus_loads(tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[2] / "policies"
    if not any(corpus.glob("*.md")):
        pytest.skip("no policy corpus in this checkout")
    book = PolicyBook.load(corpus)
    assert len(book) >= 10


def test_a_cancelled_order_still_charged_is_refunded_in_full_not_capped_at_zero() -> None:
    charged = terms("billing_error", status="cancelled", delivered_date=None, refund_issued=False)
    assert charged.remedies[0].max_amount == charged.order_value
