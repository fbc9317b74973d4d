"""The `follow_up` skill: contact CS again about a promise it broke, citing the agreement.

One call is one rung of the ladder: a re-contact (1), a supervisor (2), a formal written
complaint (3, the coordinator's letter). Each opens a new contact and sends one message
that cites the agreement's date, its terms and CS's own confirmation, quoted. Idempotent
per rung (its keys derive from the session and the rung), so a replay after a crash is
answered from CS's cache and never sends twice. Whether the promise is then kept is judged
by the order system, not by what CS says.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from negotiation_agent.dialogue import (
    SENT_TEXT_LIMIT,
    CSRejected,
    CSUnavailable,
    PendingMessage,
    reply_text,
    sanitize_cs_text,
)
from shared.a2a.server import Skill, SkillContext, SkillError
from shared.domain import ORDER_ID_PATTERN, Offer, ProblemType

QUOTE_CHARS = 300


class Agreement(BaseModel):
    """What CS agreed, as the coordinator recorded it."""

    date: str = Field(max_length=40)
    terms: Offer
    cs_quote: str = Field(default="", max_length=2000)
    reference: str | None = Field(default=None, max_length=100)  # the CS case that agreed it
    promises: list[str] = Field(default_factory=list, max_length=10)


class FollowUpInput(BaseModel):
    """follow_up's input: one rung of chasing a broken promise."""

    session_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    rung: Literal[1, 2, 3]
    customer_id: str = Field(min_length=1, max_length=64)
    order_id: str = Field(pattern=f"^{ORDER_ID_PATTERN}$")
    problem_type: ProblemType = ProblemType.OTHER
    agreement: Agreement
    letter: str | None = Field(default=None, max_length=6000)


def compose_follow_up(inp: FollowUpInput) -> PendingMessage:
    """The chasing message of a rung, citing the agreement and CS's words."""
    agreement = inp.agreement
    quote = _quote(agreement.cs_quote)
    said = f' Your colleague confirmed it in these words: "{quote}".' if quote else ""
    what = "; ".join(agreement.promises) or "the agreed remedy"
    reference = f" (your reference {_quote(agreement.reference)})" if agreement.reference else ""
    cited = (
        f"On {agreement.date} you agreed{reference}, for order {inp.order_id}, to "
        f"{_terms(agreement.terms)}."
        f"{said} It has not happened ({what}): nothing shows on the order."
    )
    if inp.rung == 1:
        text = f"I'm following up on order {inp.order_id}. {cited} Please put it right now."
    elif inp.rung == 2:
        text = (
            f"I'm following up again on order {inp.order_id}. {cited} It was chased before and "
            "it still has not happened. Please pass this to a supervisor who can put it right today."
        )
    else:
        letter = inp.letter or cited
        text = f"This is a formal complaint, following up on order {inp.order_id}.\n\n{letter}"
    return PendingMessage(intent="follow_up", text=text[:SENT_TEXT_LIMIT])


async def follow_up(inp: FollowUpInput, ctx: SkillContext) -> dict[str, Any]:
    """Skill: one rung of chasing a broken promise with CS."""
    desk = ctx.app.state.desk
    message = compose_follow_up(inp)
    key = f"{inp.session_id}:follow:{inp.rung}"
    try:
        opened = await desk.open_contact(
            key + ":open", inp.customer_id, inp.order_id, str(inp.problem_type)
        )
        raw = await desk.send(opened.contact_id, key, message)
    except CSUnavailable as error:
        return {"status": "cs_unavailable", "rung": inp.rung, "reason": str(error)[:300]}
    except CSRejected as error:
        raise SkillError(str(error)) from error
    return {
        "status": "sent",
        "rung": inp.rung,
        "contact_id": sanitize_cs_text(opened.contact_id, 100),
        "sent": message.text,
        "cs_text": reply_text(raw),
    }


def _quote(text: str) -> str:
    """CS's words, safe to repeat: one line, printable, no double quotes, capped."""
    return sanitize_cs_text(text.replace('"', "'"), QUOTE_CHARS)


def _terms(offer: Offer) -> str:
    kind = str(offer.type).replace("_", " ")
    money = f" of {offer.amount:.2f} {offer.currency}" if offer.amount else ""
    method = f" to your {offer.refund_method}" if offer.refund_method else ""
    return f"a {kind}{money}{method}" if kind != "reship" else "reship the order"


SKILL = Skill(
    id="follow_up",
    name="Chase a broken promise with customer service",
    description=(
        "Contacts CS again about a promise it made and did not keep (a refund that never "
        "posted, a replacement that never shipped), citing the agreement's date, terms and "
        "CS's own confirmation: rung 1 a re-contact, 2 a supervisor, 3 a formal complaint."
    ),
    tags=["negotiation", "customer-service", "follow-through"],
    input_model=FollowUpInput,
    handler=follow_up,
)
