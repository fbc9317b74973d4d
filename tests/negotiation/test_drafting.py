"""The optional Claude wording: kept only when it keeps every fact; any failure falls back."""

from __future__ import annotations

from types import SimpleNamespace

from negotiation_agent.dialogue import PendingMessage
from negotiation_agent.drafting import ClaudeDrafter, PlainWording, keeps_the_facts, make_drafter
from shared.domain import Offer

ORDER = "112-4839201-5839201"
MESSAGE = PendingMessage(
    intent="ask",
    text=f"Order {ORDER}: under DMG-GEN-001 the customer is entitled to a full refund of 129.99 USD.",
    ask=Offer(type="full_refund", amount=129.99),
    citations=["DMG-GEN-001"],
)


class FakeMessages:
    """The part of anthropic.AsyncAnthropic the drafter uses."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.requests: list[dict] = []

    async def create(self, **request):
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return SimpleNamespace(content=[SimpleNamespace(type="text", text=self.answer)])


def drafter(answer: str | Exception) -> tuple[ClaudeDrafter, FakeMessages]:
    messages = FakeMessages(answer)
    return ClaudeDrafter(SimpleNamespace(messages=messages), "a-model"), messages


async def test_a_draft_that_keeps_the_facts_replaces_the_wording_only() -> None:
    good = f"Hi! About order {ORDER}: per DMG-GEN-001, please refund 129.99 USD in full. Thanks!"
    claude, messages = drafter(good)
    result = await claude.redraft(MESSAGE, ORDER)
    assert result.text == good
    assert (result.ask, result.citations, result.intent) == (MESSAGE.ask, MESSAGE.citations, "ask")
    assert messages.requests[0]["messages"][0]["content"] == MESSAGE.text  # no CS text goes in


async def test_a_draft_that_drops_a_fact_is_thrown_away() -> None:
    for bad in (
        f"About order {ORDER}: please refund the customer in full.",  # amount gone
        "Per DMG-GEN-001, please refund 129.99 USD.",  # order id gone
        f"Order {ORDER}: please refund 129.99 USD.",  # citation gone
        "",
    ):
        claude, _ = drafter(bad)
        assert (await claude.redraft(MESSAGE, ORDER)).text == MESSAGE.text


async def test_an_api_failure_keeps_our_wording() -> None:
    claude, _ = drafter(RuntimeError("overloaded"))
    assert await claude.redraft(MESSAGE, ORDER) == MESSAGE


def test_the_facts_check_and_the_default_engine() -> None:
    assert keeps_the_facts(MESSAGE.text, MESSAGE, ORDER)
    assert not keeps_the_facts(MESSAGE.text * 40, MESSAGE, ORDER)  # too long
    assert isinstance(make_drafter(None, "m"), PlainWording)
    assert isinstance(make_drafter("sk-test", "m"), ClaudeDrafter)  # no call is made
