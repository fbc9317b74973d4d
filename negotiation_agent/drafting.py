"""Optional: Claude rewords our next message to CS; the deterministic text stays the fallback.

Only the wording can change. The ask, the citations and the intent are the strategy's,
fixed before Claude sees anything; a draft that drops the order id, a cited policy or the
amount asked, or that runs too long, is thrown away. Claude never sees text from CS, so
nothing CS writes can steer it. The draft is made for the *next* round and stored in the
checkpointed state before it is sent, so a replayed round sends the same words.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from negotiation_agent.dialogue import SENT_TEXT_LIMIT, PendingMessage
from shared.logs import get_logger

log = get_logger(__name__)

SYSTEM_PROMPT = (
    "You reword messages that a customer's assistant sends to a retailer's customer service "
    "chat. Keep every fact, number, order id and policy id exactly as written, and keep the "
    "request itself unchanged. Be polite, clear and brief. Answer with the reworded message only."
)


class Drafter(Protocol):
    """Rewords a message; must return the message unchanged when it cannot do better."""

    async def redraft(self, message: PendingMessage, order_id: str) -> PendingMessage: ...


class PlainWording:
    """The deterministic engine's own wording (no API key)."""

    async def redraft(self, message: PendingMessage, order_id: str) -> PendingMessage:
        return message


class ClaudeDrafter:
    """Asks Claude for better wording, and keeps it only if it keeps every fact."""

    def __init__(self, client: Any, model: str, timeout_s: float = 10.0) -> None:
        self._client = client  # an anthropic.AsyncAnthropic
        self._model = model
        self._timeout = timeout_s

    async def redraft(self, message: PendingMessage, order_id: str) -> PendingMessage:
        """The message with Claude's wording, or unchanged if the draft fails a check."""
        try:
            reply = await asyncio.wait_for(
                self._client.messages.create(
                    model=self._model,
                    max_tokens=600,
                    temperature=0,
                    system=SYSTEM_PROMPT,
                    messages=[{"role": "user", "content": message.text}],
                ),
                self._timeout,
            )
            draft = "".join(getattr(block, "text", "") for block in reply.content).strip()
        except Exception as error:  # any failure of the optional upgrade falls back
            log.warning("Claude drafting failed, keeping our wording: %s", type(error).__name__)
            return message
        if not keeps_the_facts(draft, message, order_id):
            log.info("Claude's draft dropped a fact; keeping our wording")
            return message
        return message.model_copy(update={"text": draft})


def keeps_the_facts(draft: str, message: PendingMessage, order_id: str) -> bool:
    """The draft still names the order, every cited policy and the amount asked."""
    required = [order_id, *message.citations]
    if message.ask is not None and message.ask.amount is not None:
        required.append(f"{message.ask.amount:.2f}")
    return 0 < len(draft) <= SENT_TEXT_LIMIT and all(fact in draft for fact in required)


def make_drafter(api_key: str | None, model: str) -> Drafter:
    """Claude when an API key is configured, else the plain wording."""
    if not api_key:
        return PlainWording()
    from anthropic import AsyncAnthropic  # imported only when the upgrade is switched on

    return ClaudeDrafter(AsyncAnthropic(api_key=api_key), model)
