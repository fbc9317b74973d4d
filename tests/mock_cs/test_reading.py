"""How the desk reads a customer's words on the text channel, against hand-labelled messages."""

from __future__ import annotations

import pytest

from mock_cs_service.reading import Intent, StatedTerms, read_message
from shared.domain import Offer

ORDER_VALUE = 129.99

# (message, intent, type asked for or restated, amount)
LABELLED = [
    # accepting the offer on the table
    ("We accept.", "accept", None, None),
    ("Yes, please go ahead.", "accept", None, None),
    ("Yes please.", "accept", None, None),
    ("Sounds good, thanks!", "accept", None, None),
    ("Ok that's fine, please process it.", "accept", None, None),
    ("The customer will take it.", "accept", None, None),
    ("If that's the best you can do, we accept.", "accept", None, None),
    ("Deal.", "accept", None, None),
    (
        "Thank you, the customer accepts the full refund of $129.99.",
        "accept",
        "full_refund",
        129.99,
    ),
    ("We're happy to accept your offer of $58.50 in store credit.", "accept", "store_credit", 58.5),
    # not accepting, whatever the words
    ("We don't accept store credit. We want a refund.", "ask", "full_refund", None),
    ("If you can do a full refund, we accept.", "ask", "full_refund", None),
    ("Would you accept $100 as a partial refund?", "ask", "partial_refund", 100.0),
    ("That works, but could you add free shipping?", "ask", None, None),
    ("Before you go ahead, can you check the amount?", "ask", None, None),
    ("We'd like to proceed with a full refund.", "ask", "full_refund", None),
    ("No deal.", "ask", None, None),
    # asking to confirm terms
    (
        "To confirm: a full refund of $129.99 to the original payment method, no return "
        "needed \u2014 is that right?",
        "confirm",
        "full_refund",
        129.99,
    ),
    ("Just to confirm, that's $58.50 in store credit, right?", "confirm", "store_credit", 58.5),
    ("Can you confirm the terms of your offer?", "confirm", None, None),
    ("Can you confirm it's $40?", "confirm", None, 40.0),
    ("Could you confirm it's a replacement and not a refund?", "confirm", "replacement", None),
    # a supervisor
    ("I'd like to speak to a supervisor please.", "supervisor", None, None),
    ("Can I talk to your manager?", "supervisor", None, None),
    (
        "As we have not found a solution, I would like this escalated. The customer is "
        "entitled to a full refund of $129.99.",
        "supervisor",
        "full_refund",
        129.99,
    ),
    ("There's no need to escalate this.", "ask", None, None),
    # closing
    ("Thanks, goodbye.", "close", None, None),
    ("That's all, thanks.", "close", None, None),
    ("We could not reach an agreement and will pursue this elsewhere.", "close", None, None),
    ("Please close this chat.", "close", None, None),
    ("That's all we're asking for: a full refund.", "ask", "full_refund", None),
    ("We will pursue this elsewhere unless you can offer a refund.", "ask", "full_refund", None),
    # asking for a remedy
    (
        "My blender arrived cracked. I'd like a full refund of $129.99.",
        "ask",
        "full_refund",
        129.99,
    ),
    ("Could you do a partial refund of $40?", "ask", "partial_refund", 40.0),
    ("I'd settle for $25 in store credit.", "ask", "store_credit", 25.0),
    ("A refund of $40 to my card would be fine.", "ask", "partial_refund", 40.0),
    ("How about $60 back on the card?", "ask", "partial_refund", 60.0),
    ("I want 20% back.", "ask", "partial_refund", 26.0),
    ("I'd like my money back.", "ask", "full_refund", None),
    ("Please refund the whole $129.99.", "ask", "full_refund", 129.99),
    ("Could you send a replacement?", "ask", "replacement", None),
    ("Please just send a new one, the old one is smashed.", "ask", "replacement", None),
    ("It never came. Please send it again.", "ask", "reship", None),
    ("Can you reship the order?", "ask", "reship", None),
    ("Per DMG-T-001 I need a full refund of $1,299.99.", "ask", "full_refund", 1299.99),
    # what the agent offered, or what the customer rules out, is not the ask
    (
        "Thank you for offering a $40 store credit; it falls short of what policy provides. "
        "Under DMG-T-001, the customer is entitled to a full refund of $129.99. Could you "
        "please arrange it?",
        "ask",
        "full_refund",
        129.99,
    ),
    ("We would prefer a replacement rather than store credit.", "ask", "replacement", None),
    ("Not store credit please \u2014 a full refund.", "ask", "full_refund", None),
    ("I paid $129.99 for it and it's broken. Could I get a refund?", "ask", "full_refund", None),
    # nothing to read
    ("Hello", "ask", None, None),
    ("", "ask", None, None),
]


@pytest.mark.parametrize(("text", "intent", "kind", "amount"), LABELLED)
def test_reading_matches_the_hand_labels(text, intent, kind, amount) -> None:
    reading = read_message(text, ORDER_VALUE)
    assert reading.intent == intent
    assert reading.terms.type == kind
    assert reading.terms.amount == amount
    if kind is None:
        assert reading.ask is None
    else:
        assert reading.ask is not None and reading.ask.type == kind


@pytest.mark.parametrize(
    ("text", "returns", "fee"),
    [
        ("To confirm: a full refund of $129.99, no return needed - is that right?", False, None),
        ("Can you confirm it's $129.99 back and we keep the item?", False, None),
        ("Just to confirm, a full refund once you receive the item back, right?", True, None),
        ("To confirm: a full refund of $249 with a return, is that correct?", True, None),
        ("So the refund is $249 minus a $37.35 restocking fee, is that correct?", None, 37.35),
        ("To confirm: a full refund of $249 with no restocking fee, right?", None, 0.0),
        ("To confirm: a full refund of $129.99, right?", None, None),
        ("To confirm: a full refund of $249, with the chair returned first. Right?", True, None),
        ("Can you confirm the blender has to be sent back?", True, None),
        (
            "To confirm: a full refund of $249 to the original payment method, with no return "
            "needed, less a $37.35 restocking fee, within 5 days. Is that right?",
            False,
            37.35,
        ),
    ],
)
def test_restated_return_and_fee_terms(text, returns, fee) -> None:
    terms = read_message(text, ORDER_VALUE).terms
    assert terms.return_required is returns
    assert terms.restocking_fee == fee


def offer(kind: str, amount: float | None, **terms: object) -> Offer:
    return Offer.model_validate({"type": kind, "amount": amount, **terms})


@pytest.mark.parametrize(
    ("terms", "standing", "matches"),
    [
        (StatedTerms("full_refund", 129.99, False), offer("full_refund", 129.99), True),
        (StatedTerms("full_refund", 129.99), offer("full_refund", 129.99), True),
        (StatedTerms("full_refund", 100.0), offer("full_refund", 129.99), False),
        (StatedTerms("store_credit", 129.99), offer("full_refund", 129.99), False),
        (
            StatedTerms("full_refund", 129.99, False),
            offer("full_refund", 129.99, return_required=True),
            False,
        ),
        (StatedTerms("reship"), offer("replacement", None), True),  # one and the same to a person
        (StatedTerms("full_refund", some_refund=True), offer("partial_refund", 40.0), True),
        (StatedTerms(restocking_fee=0.0), offer("full_refund", 249.0, restocking_fee=37.35), False),
        (
            StatedTerms(restocking_fee=37.35),
            offer("full_refund", 249.0, restocking_fee=37.35),
            True,
        ),
        (StatedTerms(), offer("store_credit", 10.0), True),
    ],
)
def test_stated_terms_match_an_offer(terms, standing, matches) -> None:
    assert terms.matches(standing) is matches


def test_the_structured_ask_as_terms() -> None:
    ask = offer("partial_refund", 40.0, return_required=True)
    assert StatedTerms.of(ask) == StatedTerms("partial_refund", 40.0, True, None)


def test_intent_values_are_the_structured_api_values() -> None:
    assert {i.value for i in Intent} == {
        "ask",
        "accept",
        "supervisor",
        "close",
        "confirm",
        "follow_up",  # chasing a remedy agreed on an earlier contact
    }
