"""Offer valuation, scoring, the Boulware plan and its limits."""

from __future__ import annotations

import pytest

from negotiation_agent.strategy import (
    Lookup,
    PlanError,
    boulware_share,
    build_strategy,
    concession_value,
    offer_value,
    return_burden,
    score_offer,
    within_entitlement,
)
from shared.domain import Offer
from tests.negotiation.conftest import lookup_payload, make_strategy


def test_offer_value_by_type() -> None:
    assert offer_value(Offer(type="full_refund", amount=100), 100) == 100
    assert offer_value(Offer(type="replacement"), 100) == 100
    assert offer_value(Offer(type="store_credit", amount=100), 100) == 90
    assert offer_value(Offer(type="partial_refund", amount=40), 100) == 40
    assert offer_value(Offer(type="none"), 100) == 0
    assert offer_value(Offer(type="return_label"), 100) == 0


def test_offer_value_subtracts_fees_and_return_burden() -> None:
    offer = Offer(type="full_refund", amount=100, return_required=True, restocking_fee=15)
    assert offer_value(offer, 100) == 100 - 15 - return_burden(100)
    assert return_burden(1000) == 5.0  # capped
    assert offer_value(Offer(type="partial_refund", amount=3, restocking_fee=10), 100) == 0


def test_boulware_concedes_late() -> None:
    assert boulware_share(0, 0.3) == 0
    assert boulware_share(1, 0.3) == 1
    assert boulware_share(0.5, 0.3) < 0.15  # beta < 1: little conceded halfway
    assert boulware_share(0.5, 3.0) > 0.7  # beta > 1 would be a conceder
    assert concession_value(100, 80, 0.5, 0.3) > 97


def test_plan_opens_with_the_goal_and_never_asks_beyond_it(strategy) -> None:
    assert strategy.opening_ask == strategy.goal
    assert strategy.goal.type == "full_refund" and strategy.goal.amount == 129.99
    values = [r.min_value for r in strategy.concession_plan.rounds]
    assert values == sorted(values, reverse=True)
    assert values[0] == strategy.entitlement_value
    assert values[-1] == pytest.approx(strategy.floor.amount)
    assert all(within_entitlement(r.ask, strategy) for r in strategy.concession_plan.rounds)
    assert len(strategy.concession_plan.rounds) == strategy.max_rounds == 8


def test_default_floor_is_a_share_of_the_entitlement(strategy) -> None:
    assert strategy.floor.amount == pytest.approx(0.8 * strategy.entitlement_value, abs=0.01)
    assert strategy.floor.acceptable_types[:2] == ["full_refund", "partial_refund"]


def test_customer_floor_is_capped_at_the_entitlement() -> None:
    assert make_strategy(floor_amount=500).floor.amount == make_strategy().entitlement_value
    assert make_strategy(floor_amount=50).floor.amount == 50


def test_replacement_goal_keeps_asking_for_a_replacement() -> None:
    plan = make_strategy("replacement")
    assert plan.goal.type == "replacement"
    assert {r.ask.type for r in plan.concession_plan.rounds} == {"replacement"}


def test_max_rounds_is_capped_at_twenty() -> None:
    assert make_strategy(max_rounds=500).max_rounds == 20


def test_unspecified_goal_takes_the_best_entitled_outcome() -> None:
    assert make_strategy("unspecified").goal.type == "full_refund"


def test_not_entitled_and_conflicts_refuse_to_plan() -> None:
    payload = lookup_payload()
    payload["entitlement"].update(entitled=False, reason="outside the return window")
    with pytest.raises(PlanError, match="outside the return window"):
        build_strategy(
            Lookup.model_validate(payload),
            desired="full_refund",
            floor_amount=None,
            beta=0.3,
            max_rounds=8,
            deadline_s=1800,
            floor_share=0.8,
        )
    payload = lookup_payload()
    payload["entitlement"]["needs_human"] = True
    with pytest.raises(PlanError, match="human"):
        build_strategy(
            Lookup.model_validate(payload),
            desired="full_refund",
            floor_amount=None,
            beta=0.3,
            max_rounds=8,
            deadline_s=1800,
            floor_share=0.8,
        )


def test_arguments_cite_the_goals_policy_first_and_skip_inapplicable(strategy) -> None:
    ids = [a.policy_id for a in strategy.arguments]
    assert ids[0] == "POL-DAMAGED-001"
    assert "POL-DIGITAL-009" not in ids
    assert "damaged" in strategy.arguments[0].citation


def test_score_offer_against_ask_and_floor(strategy) -> None:
    full = score_offer(Offer(type="full_refund", amount=129.99, return_required=True), strategy, 1)
    assert full.meets_ask and full.as_asked and full.share == 1.0
    low = score_offer(Offer(type="partial_refund", amount=40), strategy, 1)
    assert not low.meets_ask and not low.meets_floor
    credit = score_offer(Offer(type="store_credit", amount=129.99), strategy, 1)
    assert not credit.meets_ask and credit.meets_floor and not credit.as_asked
    odd = score_offer(Offer(type="return_label"), strategy, 1)
    assert not odd.acceptable_type and odd.value == 0


def test_store_credit_goal_asks_for_the_credit_policy_allows_in_full() -> None:
    plan = make_strategy("store_credit")  # credit up to the item's value, no return
    assert plan.goal.type == "store_credit" and plan.goal.amount == 129.99


def test_store_credit_goal_takes_the_refund_when_credit_is_only_goodwill() -> None:
    """A customer happy with store credit, owed a $119.95 refund, where policy allows only
    $12 of goodwill credit: the goal is the refund (money serves them at least as well)."""
    payload = lookup_payload(119.95)
    outcomes = payload["entitlement"]["outcomes"]
    next(o for o in outcomes if o["type"] == "store_credit")["max_amount"] = 12.0
    plan = make_strategy("store_credit", payload=payload)
    assert plan.goal.type == "full_refund" and plan.goal.amount == 119.95
    assert "store_credit" in plan.floor.acceptable_types
    assert plan.credit_asked


def test_credit_is_the_kind_asked_by_a_customer_who_asked_for_credit() -> None:
    """We ask for the $119.95 refund on behalf of a customer happy with store credit. Credit is
    the kind of remedy they asked for (CS is told an offer of it falls short, never that it is
    not what they asked), valued as the one valuation values it: worth less than the money
    policy gives, so even credit of the same face value is countered."""
    payload = lookup_payload(119.95)
    outcomes = payload["entitlement"]["outcomes"]
    next(o for o in outcomes if o["type"] == "store_credit")["max_amount"] = 12.0
    plan = make_strategy("store_credit", payload=payload)
    whole = score_offer(Offer(type="store_credit", amount=119.95), plan, 1)
    assert whole.in_goal_family and not whole.as_asked and not whole.meets_ask
    assert whole.value == offer_value(Offer(type="store_credit", amount=119.95), 119.95)
    refund = score_offer(Offer(type="full_refund", amount=119.95), plan, 1)
    assert refund.as_asked and refund.meets_ask
    # for a customer who asked for the refund, credit is another kind of remedy
    assert not score_offer(
        Offer(type="store_credit", amount=129.99), make_strategy(), 1
    ).in_goal_family
