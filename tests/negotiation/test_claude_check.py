"""Negotiation.read with Claude as a second reader (faked SDK): it can only withhold an offer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from negotiation_agent.skills import NegotiateInput, Negotiation
from shared.language.claude import TOOL_NAME, ClaudeReader
from tests.negotiation.conftest import ORDER_ID, make_strategy

TEXT = "We can offer you a full refund of $129.99, no need to send the item back."
STRUCTURED = {"type": "full_refund", "amount": 129.99, "return_required": False}


class FakeMessages:
    def __init__(self, offer: dict[str, Any] | None) -> None:
        self.offer = offer
        self.requests: list[dict[str, Any]] = []

    async def create(self, **request: Any) -> Any:
        self.requests.append(request)
        answer = {"acts": ["offer"], "offer": self.offer, "asks": []}
        return SimpleNamespace(
            content=[SimpleNamespace(type="tool_use", name=TOOL_NAME, input=answer)]
        )


def negotiation(offer: dict[str, Any] | None) -> tuple[Negotiation, FakeMessages]:
    inp = NegotiateInput.model_validate(
        {
            "session_id": "sess-1",
            "attempt": 1,
            "customer_id": "C-1001",
            "order_id": ORDER_ID,
            "problem_type": "damaged_item",
            "strategy": make_strategy().model_dump(mode="json"),
        }
    )
    messages = FakeMessages(offer)
    claude = ClaudeReader(SimpleNamespace(messages=messages), "a-model")
    return Negotiation(inp, None, None, 0.0, claude=claude), messages  # type: ignore[arg-type]


async def test_the_same_terms_read_by_both_stay_an_offer() -> None:
    claude_terms = {
        "type": "full_refund",
        "amount": 129.99,
        "percent": None,
        "return_required": False,
    }
    reader, messages = negotiation(claude_terms)
    reply = await reader.read({"text": TEXT, "offer": STRUCTURED})
    assert reply.offer is not None and reply.offer.type == "full_refund" and not reply.unsure
    assert TEXT in messages.requests[0]["messages"][0]["content"]


async def test_other_terms_withhold_the_offer_and_the_structured_flag_too() -> None:
    claude_terms = {
        "type": "store_credit",
        "amount": 129.99,
        "percent": None,
        "return_required": False,
    }
    reader, _ = negotiation(claude_terms)
    reply = await reader.read({"text": TEXT, "offer": STRUCTURED})
    assert reply.offer is None and reply.unsure and reply.offer_source == "none"


async def test_without_claude_the_reading_is_the_words_alone() -> None:
    reader, _ = negotiation(None)
    reader.claude = None
    reply = await reader.read({"text": TEXT, "offer": STRUCTURED})
    assert reply.offer is not None and reply.offer.amount == 129.99
