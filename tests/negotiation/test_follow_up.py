"""The follow_up skill's messages: each rung cites the agreement and CS's words, safely."""

from __future__ import annotations

import pytest

from negotiation_agent.dialogue import SENT_TEXT_LIMIT
from negotiation_agent.follow_up import FollowUpInput, compose_follow_up

ORDER = "112-4839201-5839201"


def request(rung: int, quote: str = "Done! Refund of $129.99 within 5 business days.", **extra):
    return FollowUpInput.model_validate(
        {
            "session_id": "s1",
            "rung": rung,
            "customer_id": "C-1001",
            "order_id": ORDER,
            "agreement": {
                "date": "2026-12-01",
                "terms": {"type": "full_refund", "amount": 129.99, "refund_method": "card"},
                "cs_quote": quote,
                "reference": "CT-ABC",
                "promises": ["a refund of 129.99 USD within 5 days (by 2026-12-06)"],
            },
            **extra,
        }
    )


def test_a_re_contact_cites_date_terms_reference_and_quote() -> None:
    message = compose_follow_up(request(1))
    assert message.intent == "follow_up"
    text = message.text
    assert text.startswith(f"I'm following up on order {ORDER}.")
    assert "On 2026-12-01 you agreed (your reference CT-ABC)" in text
    assert "a full refund of 129.99 USD to your card" in text
    assert '"Done! Refund of $129.99 within 5 business days."' in text
    assert "supervisor" not in text and "complaint" not in text


def test_the_supervisor_and_complaint_rungs_say_so() -> None:
    assert "Please pass this to a supervisor" in compose_follow_up(request(2)).text
    letter = "Formal complaint: order ...\nPlease put it right within 7 days."
    text = compose_follow_up(request(3, letter=letter)).text
    assert text.startswith("This is a formal complaint") and letter in text


def test_cs_words_are_quoted_safely_and_the_message_is_capped() -> None:
    hostile = 'I said "yes"\n\x00 and ' + "x" * 1500
    text = compose_follow_up(request(1, quote=hostile)).text
    assert "\x00" not in text and '"yes"' not in text and "'yes'" in text
    assert len(compose_follow_up(request(3, letter="y" * 6000)).text) <= SENT_TEXT_LIMIT


@pytest.mark.parametrize("rung", [0, 4])
def test_only_three_rungs_reach_cs(rung: int) -> None:
    with pytest.raises(ValueError):
        request(rung)
