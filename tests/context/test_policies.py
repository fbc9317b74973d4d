"""The policy knowledge base: schema, ranking, applicability edges, conflicts, entitlement, validation."""

from __future__ import annotations

from datetime import date

import pytest

from context_agent.policies import (
    CATEGORIES,
    PolicyFileError,
    PolicyIndex,
    case_facts,
    load_policies,
    parse_policy_text,
    return_deadline,
)
from shared.domain import Offer
from tests.context.conftest import POLICY_DIR, TODAY, as_order, make_order


def facts(problem="unwanted_item", desired="full_refund", *, today=TODAY, prime=None, **order):
    return case_facts(
        as_order(make_order(today=today, **order)), problem, desired, today, prime=prime
    )


def applicable_ids(index, f):
    return {p.policy_id for p in index.assess(f).applicable}


# ---------------------------------------------------------------- the corpus


def test_the_corpus_loads_and_is_large_enough() -> None:
    policies = load_policies(POLICY_DIR)
    assert len(policies) >= 42
    assert len({p.policy_id for p in policies}) == len(policies)
    used = {c for p in policies for c in p.scope.categories}
    assert used <= set(CATEGORIES)


def test_every_problem_type_has_a_granting_policy(index) -> None:
    from shared.domain import ProblemType

    grants = {
        t for p in load_policies(POLICY_DIR) if p.effect == "grant" for t in p.scope.problem_types
    }
    assert grants == set(ProblemType)


# ---------------------------------------------------------------- schema errors

GOOD = """---
policy_id: TST-GEN-001
title: Test policy
effective_date: 2024-01-01
topic: return_window
scope:
  problem_types: [unwanted_item]
outcomes:
  - type: full_refund
citation: A test policy that allows a refund.
---
Body text.
"""


def test_a_good_file_parses_with_its_body() -> None:
    policy = parse_policy_text(GOOD, "tst-gen-001.md")
    assert policy.body == "Body text." and policy.source == "tst-gen-001.md"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("policy_id: TST-GEN-001", "policy_id: bad id"), "policy_id"),
        (GOOD.replace("effective_date: 2024-01-01", "effective_date: someday"), "effective_date"),
        (GOOD.replace("[unwanted_item]", "[melted_cheese]"), "problem_types"),
        (GOOD.replace("  - type: full_refund", "  - type: free_pony"), "outcomes.0.type"),
        (GOOD.replace("topic: return_window", "topic: return_window\nsurprise: 1"), "surprise"),
        (GOOD.replace("scope:\n", "scope:\n  categories: [spaceships]\n"), "categories"),
        (GOOD.replace("outcomes:\n  - type: full_refund\n", ""), "at least one outcome"),
        (GOOD.replace("citation: A test policy that allows a refund.", ""), "citation"),
        (GOOD.replace("---\nBody", "Body"), "never closed"),
        (GOOD.replace("title: Test policy", "title: [unclosed"), "invalid YAML"),
        ("- just\n- a list\n", "mapping"),
        (
            GOOD.replace(
                "outcomes:",
                "conditions:\n  days_since_delivery_min: 40\n"
                "  days_since_delivery_max: 30\noutcomes:",
            ),
            "greater than",
        ),
    ],
)
def test_a_broken_file_is_a_clear_error_naming_it(tmp_path, broken, message) -> None:
    (tmp_path / "aaa-good.md").write_text(GOOD)
    (tmp_path / "zzz-broken.md").write_text(broken)
    with pytest.raises(PolicyFileError, match="zzz-broken.md") as error:
        load_policies(tmp_path)
    assert message in str(error.value)


def test_duplicate_ids_and_empty_dirs_are_errors(tmp_path) -> None:
    with pytest.raises(PolicyFileError, match="no policy files"):
        load_policies(tmp_path)
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD)
    with pytest.raises(PolicyFileError, match="duplicate policy_id TST-GEN-001"):
        load_policies(tmp_path)
    with pytest.raises(PolicyFileError, match="does not exist"):
        load_policies(tmp_path / "nowhere")


def test_pure_yaml_files_are_accepted(tmp_path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD.split("---")[1])
    assert load_policies(tmp_path)[0].policy_id == "TST-GEN-001"


# ---------------------------------------------------------------- applicability edges


@pytest.mark.parametrize(("days", "entitled"), [(0, True), (29, True), (30, True), (31, False)])
def test_day_30_is_inside_the_window_and_day_31_outside(index, days, entitled) -> None:
    f = facts(delivered_days_ago=days)
    result = index.lookup(f)
    assert ("RET-GEN-001" in applicable_ids(index, f)) is entitled
    assert result.entitlement.entitled is entitled
    if not entitled:
        row = next(p for p in result.policies if p.policy_id == "RET-GEN-001")
        assert "31" in row.reason and "30" in row.reason and not row.applicable


@pytest.mark.parametrize(("days", "entitled"), [(15, True), (16, False)])
def test_the_electronics_window_beats_the_general_one(index, days, entitled) -> None:
    f = facts(category="electronics", delivered_days_ago=days)
    ids = applicable_ids(index, f)
    assert ("RET-ELC-001" in ids) is entitled
    assert "RET-GEN-001" not in ids
    conflict = next(c for c in index.assess(f).conflicts if c.topic == "return_window")
    assert conflict.winner == "RET-ELC-001" and conflict.rule == "specificity"


def test_third_party_and_retailer_orders_take_different_policies(index) -> None:
    retailer = applicable_ids(index, facts("damaged_item", seller="retailer"))
    third = applicable_ids(index, facts("damaged_item", seller="third_party"))
    assert "DMG-GEN-001" in retailer and "DMG-3P-001" not in retailer
    assert "DMG-3P-001" in third and "DMG-GEN-001" not in third
    assert "MPG-001" in third and "MPG-001" not in retailer


def test_digital_items_cannot_be_returned_but_faulty_ones_are_refunded(index) -> None:
    unwanted = index.lookup(facts(category="digital", delivered_days_ago=1))
    assert unwanted.entitlement.entitled is False
    assert unwanted.entitlement.best is None
    assert "NR-DIG-001" in unwanted.entitlement.reason
    faulty = index.lookup(facts("defective_item", category="digital", delivered_days_ago=1))
    assert faulty.entitlement.best.type == "full_refund"
    assert faulty.entitlement.best.return_required is False


def test_non_returnable_stays_so_during_the_holidays(index) -> None:
    december = date(2026, 12, 20)
    f = facts(category="gift_cards", today=december, delivered_days_ago=5)
    assert index.lookup(f).entitlement.entitled is False


def test_the_holiday_extension_wins_by_recency_and_runs_to_january_31(index) -> None:
    jan = date(2027, 1, 31)
    f = facts(category="electronics", today=jan, delivered_days_ago=45, ordered_days_ago=50)
    assert f.order_date.month == 12
    ids = applicable_ids(index, f)
    assert "RET-HOL-001" in ids
    conflict = next(c for c in index.assess(f).conflicts if c.topic == "return_window")
    assert conflict.winner == "RET-HOL-001" and conflict.rule == "recency"
    late = facts(
        category="electronics", today=date(2027, 2, 1), delivered_days_ago=46, ordered_days_ago=51
    )
    assert "RET-HOL-001" not in applicable_ids(index, late)


def test_return_deadline_wraps_the_year() -> None:
    assert return_deadline(date(2026, 12, 5), "01-31") == date(2027, 1, 31)
    assert return_deadline(date(2026, 11, 1), "12-31") == date(2026, 12, 31)


def test_prime_only_policies_need_a_known_membership(index) -> None:
    base = {"delivered_days_ago": 2, "late_days": 3}
    assert "LATE-PRM-001" in applicable_ids(index, facts("late_delivery", prime=True, **base))
    for prime in (False, None):
        f = facts("late_delivery", prime=prime, **base)
        assert "LATE-PRM-001" not in applicable_ids(index, f)
        assert "LATE-GEN-001" in applicable_ids(index, f)


def test_late_delivery_needs_the_order_to_be_late(index) -> None:
    on_time = facts("late_delivery", delivered_days_ago=2, late_days=0)
    assert index.lookup(on_time).entitlement.entitled is False


def test_lost_packages_and_marked_delivered_are_told_apart(index) -> None:
    lost = facts("not_delivered", status="lost", delivered_days_ago=None, ordered_days_ago=10)
    assert "NDL-LST-001" in applicable_ids(index, lost)
    marked = facts("not_delivered", delivered_days_ago=3)
    ids = applicable_ids(index, marked)
    assert "NDL-MDL-001" in ids and "NDL-GEN-001" not in ids
    too_soon = facts("not_delivered", delivered_days_ago=1)
    assert "NDL-MDL-001" not in applicable_ids(index, too_soon)


def test_low_value_items_are_refunded_without_a_return(index) -> None:
    cheap = index.lookup(facts("damaged_item", price=12.0))
    refund = next(o for o in cheap.entitlement.outcomes if o.type == "full_refund")
    assert refund.return_required is False and "RLS-LOW-001" in refund.policy_ids
    dear = index.lookup(facts("damaged_item", price=15.01))
    refund = next(o for o in dear.entitlement.outcomes if o.type == "full_refund")
    assert refund.return_required is True


# ---------------------------------------------------------------- conflicts


def test_an_unsettled_conflict_needs_a_human(index) -> None:
    f = facts(category="furniture", delivered_days_ago=5)
    result = index.lookup(f)
    conflict = next(c for c in result.conflicts if c.topic == "return_window")
    assert conflict.rule == "unresolved" and conflict.winner is None
    assert {"RET-FUR-001", "RET-FUR-002"} <= set(conflict.policy_ids)
    assert result.entitlement.needs_human is True
    assert "human" in result.entitlement.reason
    verdict = index.validate(f, Offer(type="full_refund", amount=100, return_required=True))
    assert verdict.valid is False and any("conflict" in v for v in verdict.violations)


def test_a_more_specific_policy_wins_over_the_general_one(index) -> None:
    f = facts("damaged_item", category="grocery", delivered_days_ago=2)
    conflict = next(c for c in index.assess(f).conflicts if c.topic == "damaged_remedy")
    assert conflict.winner == "DMG-GRO-001" and conflict.rule == "specificity"
    row = next(p for p in index.lookup(f, limit=60).policies if p.policy_id == "DMG-GEN-001")
    assert not row.applicable and "superseded by DMG-GRO-001" in row.reason


# ---------------------------------------------------------------- ranking and entitlement


def test_the_top_policies_speak_about_the_problem(index) -> None:
    result = index.lookup(facts("damaged_item"), limit=5)
    assert result.policies[0].policy_id == "DMG-GEN-001"
    assert all(
        "damaged_item" in index.get(p.policy_id).scope.problem_types for p in result.policies
    )
    scores = [p.score for p in result.policies]
    assert scores == sorted(scores, reverse=True)
    assert result.policies[0].outcomes[:2] == ["full_refund", "replacement"]


def test_applicable_policies_rank_above_inapplicable_ones_of_the_same_text(index) -> None:
    result = index.lookup(facts(delivered_days_ago=40), limit=60)
    gen = next(p for p in result.policies if p.policy_id == "RET-GEN-001")
    escalation = next(p for p in result.policies if p.policy_id == "ESC-001")
    assert not gen.applicable and escalation.applicable


@pytest.mark.parametrize(
    ("desired", "best_type"),
    [
        ("full_refund", "full_refund"),
        ("replacement", "replacement"),
        ("partial_refund", "partial_refund"),
        ("store_credit", "store_credit"),
        ("unspecified", "full_refund"),
    ],
)
def test_the_best_outcome_follows_the_customers_goal(index, desired, best_type) -> None:
    result = index.lookup(facts("damaged_item", desired))
    assert result.entitlement.best.type == best_type
    assert result.entitlement.outcomes[0].type == best_type


def test_limits_are_computed_from_the_item_value(index) -> None:
    result = index.lookup(facts("damaged_item", "partial_refund", price=200.0))
    partial = next(o for o in result.entitlement.outcomes if o.type == "partial_refund")
    assert partial.max_amount == 60.0  # 30% of the item
    goodwill = next(o for o in result.entitlement.outcomes if o.type == "store_credit")
    assert goodwill.max_amount == 10.0  # 5% capped at 10


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("offer", "valid", "violation"),
    [
        (Offer(type="partial_refund", amount=39.0), True, None),
        (Offer(type="partial_refund", amount=39.01), False, "exceeds"),
        (Offer(type="full_refund", amount=129.99, return_required=True), True, None),
        (Offer(type="full_refund", amount=129.99, return_required=False), False, "returned"),
        (
            Offer(type="full_refund", amount=129.99, return_required=True, restocking_fee=10),
            False,
            "restocking fee",
        ),
        (Offer(type="replacement", return_required=True), True, None),
        (Offer(type="reship", return_required=True), True, None),
        (Offer(type="store_credit", amount=6.5), True, None),
        (Offer(type="store_credit", amount=11.0), False, "exceeds"),
        (Offer(type="none"), False, "no applicable policy allows"),
    ],
)
def test_offers_are_checked_against_policy(index, offer, valid, violation) -> None:
    verdict = index.validate(facts("damaged_item", price=129.99), offer)
    assert verdict.valid is valid
    if violation:
        assert any(violation in v for v in verdict.violations)
    else:
        assert verdict.policy_basis and not verdict.violations


def test_a_restocking_fee_within_policy_is_valid(index) -> None:
    f = facts(category="electronics", price=400.0, delivered_days_ago=3)
    ok = index.validate(
        f, Offer(type="full_refund", amount=400, return_required=True, restocking_fee=60)
    )
    assert ok.valid and {"RET-ELC-001", "RSF-001"} <= set(ok.policy_basis)
    too_much = index.validate(
        f, Offer(type="full_refund", amount=400, return_required=True, restocking_fee=80)
    )
    assert not too_much.valid


def test_nothing_is_valid_outside_every_window(index) -> None:
    verdict = index.validate(facts(delivered_days_ago=31), Offer(type="full_refund", amount=1))
    assert not verdict.valid and "no remedy" in verdict.violations[0]


def test_an_index_needs_policies() -> None:
    with pytest.raises(ValueError):
        PolicyIndex([])


# ---------------------------------------------------------------- evidence in the order's records


def test_a_billing_error_needs_an_overcharge_on_record(index) -> None:
    unproven = index.lookup(facts("billing_error", charges=[129.99]))
    assert not unproven.entitlement.entitled
    row = next(p for p in unproven.policies if p.policy_id == "BIL-DUP-001")
    assert not row.applicable and "no charge above" in row.reason
    assert not index.lookup(facts("billing_error")).entitlement.entitled  # no records at all


def test_a_duplicate_charge_is_refunded_up_to_the_overcharge(index) -> None:
    result = index.lookup(facts("billing_error", charges=[129.99, 129.99]))
    assert result.entitlement.entitled
    best = result.entitlement.best
    assert best is not None and best.amount == pytest.approx(129.99)
    too_much = Offer(type="partial_refund", amount=200.0)
    assert not index.validate(facts("billing_error", charges=[129.99, 129.99]), too_much).valid


def test_a_refund_already_issued_is_not_owed_again(index) -> None:
    owed = facts(
        "refund_not_received", status="returned", delivered_days_ago=30, refund_issued=False
    )
    paid = facts(
        "refund_not_received", status="returned", delivered_days_ago=30, refund_issued=True
    )
    assert index.lookup(owed).entitlement.entitled
    assert not index.lookup(paid).entitlement.entitled


def test_cs_may_waive_a_required_return_but_we_may_not_ask_for_it(index) -> None:
    f = facts("defective_item", delivered_days_ago=40)
    waived = Offer(type="replacement", return_required=False)
    assert not index.validate(f, waived, "ask").valid
    assert index.validate(f, waived, "offer").valid
    assert index.validate(f, waived.model_copy(update={"return_required": True}), "ask").valid


def test_cs_may_offer_more_than_our_reading_up_to_what_was_paid(index) -> None:
    """Our reading caps a partial refund for damage at 30% ($39 of $129.99). CS may give more,
    as it may waive a return, but never more than the customer paid; we may not ask for it."""
    f = facts("damaged_item", price=129.99)
    generous = Offer(type="partial_refund", amount=60.0)
    assert index.validate(f, generous, "offer").valid
    assert not index.validate(f, generous, "ask").valid
    above_paid = index.validate(f, Offer(type="partial_refund", amount=140.0), "offer")
    assert not above_paid.valid and "exceeds the 129.99" in above_paid.violations[0]
