"""The CS dialogue: one round at a time (pure decisions) and the CS desk client at the edge."""

from __future__ import annotations

import base64
import re
import time
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, ValidationError
from tenacity import RetryCallState, retry_if_exception
from tenacity.wait import wait_base

from negotiation_agent.strategy import (
    HARD_MAX_ROUNDS,
    Strategy,
    offer_value,
    score_offer,
)
from shared import metrics
from shared.domain import Offer, OfferType
from shared.language.cs_reply import (
    CSReading,
    OfferTerms,
    names_in_force,
    read_asks,
    read_cs_reply,
)
from shared.language.normalize import without_quoted
from shared.language.reader import Reader
from shared.limits import CS_MAX_ATTEMPTS, CS_TIMEOUT_S, MAX_PHOTO_BYTES, MAX_TITLE_CHARS
from shared.logs import get_logger
from shared.retry import is_transient, transient_retry

log = get_logger(__name__)

CS_TEXT_LIMIT = 500
SENT_TEXT_LIMIT = 2000
CITATION_LIMIT = 240
HISTORY_LIMIT = 2 * HARD_MAX_ROUNDS + 4
NEAR_DEADLINE_SHARE = 0.8
STALL_ROUNDS = 2
STUCK_AFTER_SUPERVISOR = 2  # rounds without movement after a supervisor review before leaving

# follow_up: chasing a promise CS made on an earlier contact (the follow_up skill)
Intent = Literal["ask", "accept", "supervisor", "close", "follow_up"]
DecisionKind = Literal["accept", "counter", "supervisor", "walk_away"]
Status = Literal["open", "agreement", "accepted", "no_agreement", "cs_unavailable", "needs_input"]
# What CS may ask for that only the customer can give: the case waits for them.
CUSTOMER_ONLY_ASKS = frozenset({"photos", "serial_number", "other"})
MAX_UNCLEAR = 2  # replies we could not read before asking for a supervisor

_PROBLEM_WORDS = {
    "damaged_item": "the item arrived damaged",
    "defective_item": "the item is defective",
    "wrong_item": "the wrong item was delivered",
    "missing_parts": "the item arrived with parts missing",
    "not_delivered": "the order was never delivered",
    "late_delivery": "the order arrived late",
    "not_as_described": "the item is not as described",
    "billing_error": "the order was billed incorrectly",
    "refund_not_received": "a refund that was promised has not arrived",
    "unwanted_item": "the customer wants to return the item",
    "other": "there is a problem with the order",
}


# ---------------------------------------------------------------- the state of a negotiation


class Photo(BaseModel):
    """A photo of the case, as the coordinator sent it (an A2A file part): evidence for CS."""

    filename: str = Field(min_length=1, max_length=100)
    content_type: Literal["image/jpeg", "image/png", "image/heic"]
    data: bytes = Field(min_length=1, max_length=MAX_PHOTO_BYTES)

    def attachment(self) -> dict[str, str]:
        """The CS desk's attachment: name, type, base64 bytes."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return {"filename": self.filename, "content_type": self.content_type, "data": encoded}


class PendingMessage(BaseModel):
    """The message the next round sends: fixed in advance so a replay sends the same body."""

    intent: Intent
    text: str = Field(max_length=SENT_TEXT_LIMIT)
    ask: Offer | None = None
    citations: list[str] = Field(default_factory=list, max_length=10)
    attach_photos: bool = False  # the case's photos go with it (CS asked to see them)

    def body(self, photos: Sequence[Photo] = ()) -> dict[str, Any]:
        """The CS desk's message body (with the photos as attachments, when it carries them)."""
        body: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent,
            "citations": self.citations,
        }
        if self.ask is not None:
            body["ask"] = self.ask.model_dump(exclude_none=True)
        if self.attach_photos and photos:
            body["attachments"] = [p.attachment() for p in photos]
        return body


class HistoryEntry(BaseModel):
    """One round as it happened (CS text sanitized and capped)."""

    round: int
    intent: Intent
    sent: str = Field(max_length=SENT_TEXT_LIMIT)
    cs_text: str = Field(default="", max_length=CS_TEXT_LIMIT + 1)
    cs_offer: Offer | None = None
    cs_acts: list[str] = Field(default_factory=list, max_length=8)
    decision: str
    reason: str = Field(default="", max_length=500)


class Outcome(BaseModel):
    """How a negotiation ended (or the agreement awaiting the customer's approval)."""

    status: Literal["agreement", "accepted", "no_agreement", "cs_unavailable", "needs_input"]
    offer: Offer | None = None
    reason: str = Field(max_length=1000)
    cs_quote: str = Field(default="", max_length=CS_TEXT_LIMIT + 1)  # CS's own words for the terms
    asks: list[str] = Field(default_factory=list, max_length=8)  # needs_input: what CS wants
    question: str = Field(default="", max_length=1000)  # needs_input: what we ask the customer
    alternatives: list[str] = Field(default_factory=list, max_length=10)
    policy_basis: list[str] = Field(default_factory=list, max_length=50)
    cs_closed: bool = False  # no_agreement because CS closed the chat (a new one may help)


class NegotiationState(BaseModel):
    """Everything needed to resume a negotiation after a crash, returned with every round."""

    contact_id: str | None = Field(default=None, max_length=200)
    round: int = Field(default=0, ge=0, le=HARD_MAX_ROUNDS + 2)
    exchanges: int = Field(default=0, ge=0, le=HARD_MAX_ROUNDS + 2)
    status: Status = "open"
    last_offer: Offer | None = None
    best_value: float = 0.0
    stalled: int = 0
    supervisor_asked: bool = False
    confirming: Offer | None = None  # terms we restated to CS and await its explicit yes
    confirm_asks: int = 0
    confirm_basis: list[str] = Field(default_factory=list, max_length=50)
    unclear: int = 0  # CS replies in a row we could not read as anything actionable
    answered: list[str] = Field(default_factory=list, max_length=16)  # CS asks we answered
    waiting_for: list[str] = Field(
        default_factory=list, max_length=8
    )  # asks only the customer can answer
    pending: PendingMessage | None = None
    history: list[HistoryEntry] = Field(default_factory=list, max_length=HISTORY_LIMIT)
    started_at: float = Field(default_factory=time.time)
    outcome: Outcome | None = None  # kept so a replayed call answers the same


class Decision(BaseModel):
    """What we do about CS's latest reply."""

    kind: DecisionKind
    reason: str
    ask: Offer | None = None


class CSReply(BaseModel):
    """A CS desk reply, read from its words (a structured offer only counts where they agree)."""

    text: str = ""
    offer: Offer | None = None
    percent: float | None = None
    acts: list[str] = Field(default_factory=list)
    asks: list[str] = Field(default_factory=list)
    closed: bool = False
    agreed: bool = False
    confirms: bool = False  # CS says yes to terms (ours restated, or its own, as it words them)
    contradicts: bool = False  # CS says the terms we restated are not what it offered
    unsure: bool = False  # words that may hold an offer we cannot read: not an offer
    offer_source: Literal["structured", "text", "none"] = "none"
    refused: bool = False  # CS said no and put nothing on the table
    return_unsaid: bool = False  # the offer comes from words that do not say whether to return
    return_named: bool | None = None  # whether the words say the item goes back, offer or not
    yes_in_words: bool = False  # it opens with a yes in words, not only a deed done


def names_terms(reply: CSReply, terms: Offer) -> bool:
    """Whether CS's reply names these terms. No offer, or a return or fee left unsaid, is no
    conflict; a return the words name without an offer ("Done. You'll need to return it
    first though.") or a restocking fee ours do not have is."""
    if reply.offer is None:
        named = reply.return_named
        return named is None or named == terms.return_required
    said = reply.offer
    if (
        said.type == OfferType.RETURN_LABEL != terms.type
        and terms.return_required
        and names_in_force(reply.text, terms.type, terms.amount)
    ):
        # "The label is in your inbox; your refund follows once it's back" (or "the $40
        # follows"), said of our refund with the item returned: the label is that refund's
        # return, no other remedy
        return True
    if reply.return_unsaid:
        said = said.model_copy(update={"return_required": terms.return_required})
    fee = said.restocking_fee
    if fee and abs(fee - (terms.restocking_fee or 0.0)) > 0.01:
        return False  # "processed, minus a $10 restocking fee": not the terms approved
    return same_terms(said, terms)


# ---------------------------------------------------------------- untrusted CS text


def sanitize_cs_text(text: object, limit: int = CS_TEXT_LIMIT) -> str:
    """CS text made safe to store: printable, one line, whitespace collapsed, capped."""
    raw = text if isinstance(text, str) else ""
    printable = "".join(
        ch if unicodedata.category(ch)[0] not in "C" else " " for ch in raw[: limit * 4]
    )
    flat = re.sub(r"\s+", " ", printable).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def terms_offer(terms: OfferTerms, currency: str, order_total: float | None) -> Offer | None:
    """An Offer from terms read in words; a share of the order becomes its amount."""
    amount = terms.amount
    if amount is None and terms.percent is not None and order_total:
        amount = round(order_total * terms.percent / 100, 2)
    try:
        return Offer(
            type=OfferType(terms.type),
            amount=amount,
            currency=currency,
            return_required=bool(terms.return_required),
            restocking_fee=terms.restocking_fee,
            refund_method=terms.refund_method,
            days_to_complete=terms.days_to_complete,
        )
    except (ValidationError, ValueError):
        return None  # an absurd amount is no offer


def same_terms(a: Offer, b: Offer) -> bool:
    """Whether two offers agree on what is granted: kind, amount and return terms."""
    kinds = {OfferType(a.type), OfferType(b.type)}
    refunds = {OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND}
    same_money = kinds <= refunds and a.amount is not None and b.amount is not None
    if len(kinds) > 1 and kinds != {OfferType.REPLACEMENT, OfferType.RESHIP} and not same_money:
        return False  # a refund of the same stated amount is the same grant, "partial" or not
    if a.amount is not None and b.amount is not None and abs(a.amount - b.amount) > 0.01:
        return False
    return a.return_required == b.return_required


def reply_text(payload: object) -> str:
    """The text of a CS reply, made safe to store and read: CS's own words, without the lines
    it quotes from our message ("> To confirm: ..." above its "No, sorry")."""
    text = payload.get("text") if isinstance(payload, dict) else None
    return sanitize_cs_text(without_quoted(text) if isinstance(text, str) else None)


def parse_reply(
    payload: object,
    reader: Reader,
    currency: str = "USD",
    order_total: float | None = None,
    reading: CSReading | None = None,
    names: Sequence[str] = (),
    answering_acceptance: bool = False,
) -> CSReply:
    """A CS reply read from its words (or from `reading` of them, if already read); a
    structured offer counts only where the words agree. `names`: the order's product names;
    `answering_acceptance`: the reply answers our "yes, please go ahead"."""
    data = payload if isinstance(payload, dict) else {}
    text = reply_text(payload)
    if reading is None:
        reading = read_cs_reply(text, reader, order_total, names, answering_acceptance)
    said = _said_offer(reading, currency, order_total)
    structured = _structured_offer(data.get("offer"))
    offer, source, unsure = said, "text" if said else "none", reading.unsure
    if structured is not None and said is not None and not _compatible(structured, said, reading):
        offer, source, unsure = None, "none", True  # the flag and the words disagree: not an offer
    elif structured is not None and said is not None:
        offer, source = _merged(structured, said, reading), "structured"
    elif (
        structured is not None
        and "refusal" not in reading.acts
        and not reading.contradicts
        and not unsure
    ):
        offer, source = structured, "structured"
    asks = [a for a in (data.get("asks") or []) if isinstance(a, str)]
    return CSReply(
        text=text,
        offer=offer,
        percent=reading.offer.percent if reading.offer else None,
        acts=reading.acts,
        asks=list(dict.fromkeys([*(_ASK_NAMES.get(a, a) for a in asks), *reading.asks]))[:6],
        closed=data.get("closed") is True,
        agreed=data.get("agreed") is True and not reading.contradicts,
        confirms=reading.confirms,
        contradicts=reading.contradicts,
        unsure=unsure and offer is None,
        offer_source=source if offer is not None else "none",
        refused=offer is None
        and ("refusal" in reading.acts or _structured_none(data.get("offer"))),
        return_unsaid=source == "text"
        and reading.offer is not None
        and reading.offer.return_required is None,
        return_named=reading.return_named,
        yes_in_words=reading.yes_in_words,
    )


_ASK_NAMES = {"problem": "description"}


def _said_offer(reading: CSReading, currency: str, order_total: float | None) -> Offer | None:
    return terms_offer(reading.offer, currency, order_total) if reading.offer else None


def _compatible(structured: Offer, said: Offer, reading: CSReading) -> bool:
    """The words name the same remedy as the structured offer (a missing detail is no conflict)."""
    if not same_terms(
        structured.model_copy(update={"return_required": said.return_required}), said
    ):
        return False
    stated_return = reading.offer.return_required if reading.offer else None
    return stated_return is None or stated_return == structured.return_required


def _merged(structured: Offer, said: Offer, reading: CSReading) -> Offer:
    """The structured offer, with what the words stated on top."""
    return structured.model_copy(
        update={
            k: v
            for k, v in {
                "amount": said.amount,
                "restocking_fee": said.restocking_fee,
                "refund_method": said.refund_method,
                "days_to_complete": said.days_to_complete,
            }.items()
            if v is not None
        }
    )


def _structured_offer(raw: object) -> Offer | None:
    if not isinstance(raw, dict):
        return None
    try:
        offer = Offer.model_validate(raw)
    except ValidationError:
        return None
    return None if OfferType(offer.type) is OfferType.NONE else offer


def _structured_none(raw: object) -> bool:
    return isinstance(raw, dict) and raw.get("type") == OfferType.NONE.value


def greeting_asks(payload: object) -> list[str]:
    """What a CS greeting asks for, read from its words (and its structured asks, if any)."""
    data = payload if isinstance(payload, dict) else {}
    text = sanitize_cs_text(data.get("text"))
    structured = [_ASK_NAMES.get(a, a) for a in data.get("asks") or [] if isinstance(a, str)]
    return list(dict.fromkeys([*structured, *read_asks(text)]))[:6]


# ---------------------------------------------------------------- deciding a round


def near_deadline(strategy: Strategy, round_no: int, elapsed_s: float) -> bool:
    """True in the last two rounds of the budget or the last fifth of the time."""
    return (
        round_no >= strategy.max_rounds - 1
        or elapsed_s >= NEAR_DEADLINE_SHARE * strategy.deadline_s
    )


def out_of_budget(strategy: Strategy, round_no: int, elapsed_s: float) -> bool:
    """True when the rounds or the time are spent."""
    return round_no >= strategy.max_rounds or elapsed_s >= strategy.deadline_s


def decide(
    strategy: Strategy,
    state: NegotiationState,
    reply: CSReply,
    *,
    round_no: int,
    elapsed_s: float,
) -> Decision:
    """Accept, counter, ask for a supervisor or walk away; nothing in CS's text moves our limits."""
    offer = reply.offer
    score = score_offer(offer, strategy, round_no) if offer is not None else None
    if reply.closed:
        return Decision(kind="walk_away", reason="CS closed the conversation")
    if score is not None and score.meets_ask:
        return Decision(
            kind="accept", reason=f"the offer is worth {score.value:.2f}, meeting this round's ask"
        )
    if score is not None and score.meets_floor and near_deadline(strategy, round_no, elapsed_s):
        return Decision(
            kind="accept",
            reason=f"near the deadline the offer ({score.value:.2f}) clears the floor",
        )
    if _held_after_review(state, score):
        return Decision(
            kind="accept",
            reason=f"CS holds its offer ({score.value:.2f}) after a review; it clears the floor",
        )
    if out_of_budget(strategy, round_no, elapsed_s):
        return Decision(kind="walk_away", reason=_budget_reason(strategy, round_no, score))
    next_ask = strategy.round_plan(round_no + 1).ask
    if _beats_next_ask(score, next_ask, strategy):
        return Decision(
            kind="accept",
            reason=f"the offer ({score.value:.2f}) is worth more than our next ask would be",
        )
    if reply.refused and offer is None:
        if state.supervisor_asked:
            return Decision(kind="walk_away", reason="CS refuses any remedy, even on review")
        return Decision(kind="supervisor", reason="CS refuses any remedy", ask=next_ask)
    if _stuck_below_floor(state, score):
        return Decision(kind="walk_away", reason="CS will not move above an offer below the floor")
    if _stalled(state, score) and not state.supervisor_asked and round_no >= 2:
        return Decision(kind="supervisor", reason="CS has not improved its offer", ask=next_ask)
    reason = "no offer yet" if score is None else f"the offer ({score.value:.2f}) is below our ask"
    return Decision(kind="counter", reason=reason, ask=next_ask)


def _beats_next_ask(score: Any, next_ask: Offer | None, strategy: Strategy) -> bool:
    """An offer of the kind asked for, above the floor and worth at least what we would
    concede to next: countering would ask CS for less than it already gives."""
    if score is None or next_ask is None or not (score.meets_floor and score.in_goal_family):
        return False
    return bool(score.value >= offer_value(next_ask, strategy.item_value) - 0.005)


def _budget_reason(strategy: Strategy, round_no: int, score: Any) -> str:
    spent = "rounds" if round_no >= strategy.max_rounds else "time"
    if score is None:
        return f"the {spent} budget is spent and CS made no offer"
    return f"the {spent} budget is spent; the last offer ({score.value:.2f}) is below the floor"


def _stuck_below_floor(state: NegotiationState, score: Any) -> bool:
    """A supervisor was asked, and CS still has not improved a below-floor offer for long."""
    if score is None or score.meets_floor or not state.supervisor_asked:
        return False
    return _stalled(state, score) and state.stalled + 1 >= STALL_ROUNDS + STUCK_AFTER_SUPERVISOR


def _held_after_review(state: NegotiationState, score: Any) -> bool:
    """CS keeps an offer of the kind the customer asked for, above their floor, after a
    supervisor's review: more rounds would only cost time. Another kind of remedy waits for
    the deadline, since CS may still grant the one asked for."""
    if score is None or not (score.meets_floor and score.in_goal_family):
        return False
    return state.supervisor_asked and _stalled(state, score)


def _stalled(state: NegotiationState, score: Any) -> bool:
    if score is None:
        return False  # questions without an offer are not a stall
    return score.value <= state.best_value + 0.005 and state.stalled + 1 >= STALL_ROUNDS


def advance(state: NegotiationState, reply: CSReply, strategy: Strategy) -> tuple[float, int]:
    """The best value seen so far and the count of rounds without improvement."""
    if reply.offer is None:
        return state.best_value, state.stalled
    value = offer_value(reply.offer, strategy.item_value)
    if value > state.best_value + 0.005:
        return value, 0
    return state.best_value, state.stalled + 1


# ---------------------------------------------------------------- composing our messages


class CaseFacts(BaseModel):
    """The facts our messages state (the customer's words summarised, never contact details)."""

    order_id: str
    problem_type: str
    description: str = Field(default="", max_length=600)
    order_date: str | None = None
    delivered_date: str | None = None
    item: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)


def money(amount: float | None, currency: str = "USD") -> str:
    """$129.99 (or 129.99 EUR)."""
    value = f"{amount or 0:,.2f}"
    return f"${value}" if currency == "USD" else f"{value} {currency}"


_KIND_WORDS = {
    OfferType.FULL_REFUND: "a full refund",
    OfferType.PARTIAL_REFUND: "a partial refund",
    OfferType.REPLACEMENT: "a replacement",
    OfferType.RESHIP: "a reship (sending the order again)",
    OfferType.RETURN_LABEL: "a prepaid return label",
    OfferType.NONE: "nothing",
}


def describe_terms(offer: Offer) -> str:
    """An offer in plain words, every term stated: what we ask for and what we confirm."""
    kind = OfferType(offer.type)
    if kind == OfferType.STORE_CREDIT:
        text = (
            f"{money(offer.amount, offer.currency)} in store credit"
            if offer.amount
            else "store credit"
        )
    else:
        text = _KIND_WORDS[kind]
        if offer.amount is not None and kind in (OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND):
            text += f" of {money(offer.amount, offer.currency)}"
    if kind in (OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND):
        text += (
            " to the original payment method"
            if offer.refund_method in (None, "original_payment")
            else f" as {offer.refund_method.replace('_', ' ')}"
        )
    if kind != OfferType.RETURN_LABEL:
        text += (
            ", with the item returned first" if offer.return_required else ", with no return needed"
        )
    if offer.restocking_fee:
        text += f", less a {money(offer.restocking_fee, offer.currency)} restocking fee"
    if offer.days_to_complete:
        text += f", within {offer.days_to_complete} day{'s' if offer.days_to_complete > 1 else ''}"
    return text


def _citation_line(strategy: Strategy, round_no: int) -> tuple[str, list[str]]:
    """The policies to cite this round: the goal's backing first, one more in rotation."""
    args = strategy.arguments
    if not args:
        return "", []
    chosen = [args[0]]
    if len(args) > 1:
        chosen.append(args[1 + (round_no - 1) % (len(args) - 1)])
    parts = []
    for arg in chosen:
        quote = sanitize_cs_text(arg.citation, CITATION_LIMIT)
        parts.append(f'{arg.policy_id} ("{quote}")' if quote else arg.policy_id)
    return "Under " + " and ".join(parts) + ", ", [a.policy_id for a in chosen]


def answer_lines(
    asks: list[str], facts: CaseFacts, goal: Offer, customer_input: str | None, photos: int = 0
) -> list[str]:
    """Answers to what CS asked, from the case; the customer's own words for the rest."""
    lines = []
    for ask in asks:
        if ask == "photos" and photos:
            lines.append(
                f"I have attached {photos} photo{'s' if photos > 1 else ''} the customer took."
            )
        if ask == "order_id":
            lines.append(f"The order number is {facts.order_id}.")
        elif ask == "description":
            lines.append(
                f"What happened, in the customer's words: {facts.description or _PROBLEM_WORDS.get(facts.problem_type, '')}"
            )
        elif ask == "dates" and facts.order_date:
            when = f"The order was placed on {facts.order_date}"
            lines.append(
                when
                + (f" and delivered on {facts.delivered_date}." if facts.delivered_date else ".")
            )
        elif ask == "preferred_remedy":
            lines.append(f"The customer would like {describe_terms(goal)}.")
        elif ask == "contact_details":
            lines.append(
                "Please keep the conversation in this chat; the customer's details are on the order."
            )
    if customer_input:
        lines.append(f"The customer adds: {customer_input}")
    return lines


def compose_ask(
    strategy: Strategy,
    facts: CaseFacts,
    ask: Offer,
    round_no: int,
    *,
    cs_offer: Offer | None = None,
    cs_asks: list[str] | None = None,
    intent: Intent = "ask",
    customer_input: str | None = None,
    photos: int = 0,
) -> PendingMessage:
    """A polite, specific message: the order, the problem, answers to CS, the ask, the policies;
    with `photos` (how many the case has) the photos CS asked for go with it."""
    problem = _PROBLEM_WORDS.get(facts.problem_type, _PROBLEM_WORDS["other"])
    cites, ids = _citation_line(strategy, round_no)
    lines = []
    if round_no == 1:
        lines.append(
            f"Hello, I am writing on behalf of the customer about order {facts.order_id}: {problem}."
        )
        if facts.description and "description" not in (cs_asks or []):
            lines.append(f"In the customer's words: {facts.description}")
    elif cs_offer is not None:
        why = (
            "it falls short of what policy provides"
            if OfferType(cs_offer.type) in strategy.family()
            else "it is not the remedy the customer asked for"
        )
        lines.append(f"Thank you for offering {describe_terms(cs_offer)}; {why}.")
    elif not cs_asks and not customer_input:
        lines.append(f"Thank you. To restate the case: order {facts.order_id}, {problem}.")
    attach = bool(photos) and "photos" in (cs_asks or [])
    lines += answer_lines(cs_asks or [], facts, strategy.goal, customer_input, photos)
    if intent == "supervisor":
        lines.append(
            "As we have not found a solution, I would like a supervisor to review this case."
        )
    lines.append(
        f"{cites}the customer is entitled to {describe_terms(ask)}. Could you please arrange it?"
    )
    text = " ".join(lines)[:SENT_TEXT_LIMIT]
    return PendingMessage(intent=intent, text=text, ask=ask, citations=ids, attach_photos=attach)


def compose_confirm(offer: Offer, again: bool = False) -> PendingMessage:
    """Restating CS's offer exactly, for an explicit yes before the customer sees it."""
    lead = "Sorry, I need a clear yes or no before I take this to the customer. " if again else ""
    text = f"{lead}To confirm: {describe_terms(offer)}. Is that right?"
    return PendingMessage(intent="ask", text=text, ask=offer)


def compose_clarify_offer(strategy: Strategy, facts: CaseFacts, round_no: int) -> PendingMessage:
    """CS's words could not be read with confidence: ask it to state its offer plainly."""
    ask = strategy.round_plan(round_no).ask
    text = (
        f"Thank you. To be sure I understand you correctly about order {facts.order_id}: what "
        "exactly can you offer? Please state the remedy (refund, store credit, replacement or "
        "sending the order again), the amount, and whether the item has to be returned. "
        f"The customer is asking for {describe_terms(ask)}."
    )
    return PendingMessage(intent="ask", text=text, ask=ask)


def compose_verify(order_id: str, contact_id: str, offer: Offer) -> PendingMessage:
    """CS's answer to our acceptance said neither yes nor no in words we can read: on a new
    contact, ask the desk whether its records show the agreement booked."""
    text = (
        f"Hello, I'm following up on order {order_id} and the chat {contact_id} with your "
        f"colleague a moment ago, where the customer accepted {describe_terms(offer)}. "
        "Could you check your records and confirm whether it is booked on the order?"
    )
    return PendingMessage(intent="follow_up", text=text)


def compose_accept(
    offer: Offer, asks: list[str] | None = None, facts: CaseFacts | None = None
) -> PendingMessage:
    """Accepting CS's latest offer; with `asks`, CS's questions before it books it answered
    from the case (`facts`; the remedy wanted is the one accepted) and the yes said again in
    other words."""
    if asks is None or facts is None:
        text = f"Yes, please go ahead: the customer accepts {describe_terms(offer)}. Please confirm once it is done."
    else:
        lines = answer_lines(asks, facts, offer, None)
        lines.append(
            f"And yes, the customer accepts {describe_terms(offer)}: please go ahead and book it,"
            " and confirm once it is done."
        )
        text = " ".join(lines)[:SENT_TEXT_LIMIT]
    return PendingMessage(intent="accept", text=text)


def compose_close() -> PendingMessage:
    """Leaving the conversation politely."""
    return PendingMessage(
        intent="close",
        text="Thank you for your time. We could not reach an agreement and will pursue this elsewhere.",
    )


def not_a_repeat(message: PendingMessage, last_sent: str | None) -> PendingMessage:
    """Never the same words twice in a row: a repeat asks for a supervisor instead."""
    if last_sent != message.text:
        return message
    text = (
        "We seem to be going round in circles. " + message.text + " "
        "If you cannot arrange this, please pass the case to a supervisor."
    )[:SENT_TEXT_LIMIT]
    return message.model_copy(update={"text": text, "intent": "supervisor"})


def next_message(
    strategy: Strategy,
    facts: CaseFacts,
    decision: Decision,
    reply: CSReply,
    round_no: int,
    customer_input: str | None = None,
    photos: int = 0,
) -> PendingMessage | None:
    """The message the next round will send for this decision (None when there is none)."""
    if decision.kind not in ("counter", "supervisor") or decision.ask is None:
        return None
    intent: Intent = "supervisor" if decision.kind == "supervisor" else "ask"
    return compose_ask(
        strategy,
        facts,
        decision.ask,
        round_no + 1,
        cs_offer=reply.offer,
        cs_asks=reply.asks,
        intent=intent,
        customer_input=customer_input,
        photos=photos,
    )


# ---------------------------------------------------------------- the CS desk at the edge


class OpenedContact(BaseModel):
    """A new CS conversation: its id and the details the greeting asks for."""

    contact_id: str
    asks: list[str] = Field(default_factory=list)


class CSDeskError(Exception):
    """Base class of the CS desk client's errors."""


class CSUnavailable(CSDeskError):
    """CS could not be reached, or kept failing, after every attempt."""


class CSRejected(CSDeskError):
    """CS refused the request (4xx): unknown contact or order, closed contact, key reuse."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"CS refused the request (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


def is_cs_transient(error: BaseException) -> bool:
    """Transient for CS: the fleet's transient errors plus any 5xx."""
    if isinstance(error, httpx.HTTPStatusError) and error.response.status_code >= 500:
        return True
    return is_transient(error)


class CSDesk:
    """The retailer's CS desk over HTTP: idempotent posts, timeouts, retries with backoff."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        timeout_s: float = CS_TIMEOUT_S,
        max_attempts: int = CS_MAX_ATTEMPTS,
        wait: wait_base | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._attempts = max(1, max_attempts)
        self._wait = wait

    async def open_contact(
        self, key: str, customer_id: str, order_id: str, problem_type: str
    ) -> OpenedContact:
        """Open a conversation; returns its id and what the greeting asks for."""
        body = {"customer_id": customer_id, "order_id": order_id, "problem_type": problem_type}
        payload = await self._post("open_contact", "/v1/contacts", key, body)
        data = payload if isinstance(payload, dict) else {}
        contact_id = data.get("contact_id")
        if not isinstance(contact_id, str) or not 0 < len(contact_id) <= 200:
            raise CSUnavailable("CS answered the contact request without a contact id")
        return OpenedContact(contact_id=contact_id, asks=greeting_asks(data))

    async def send(
        self, contact_id: str, key: str, message: PendingMessage, photos: Sequence[Photo] = ()
    ) -> object:
        """Send one message (with the photos it carries); returns CS's raw JSON reply."""
        path = f"/v1/contacts/{quote(contact_id, safe='')}/messages"  # CS's id: untrusted
        return await self._post("message", path, key, message.body(photos))

    async def ping(self) -> bool:
        """True when the desk answers its health check."""
        try:
            response = await self._http.get(
                f"{self._base}/healthz", timeout=min(self._timeout, 2.0)
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _post(self, operation: str, path: str, key: str, body: dict[str, Any]) -> object:
        started = time.perf_counter()
        result = "ok"
        try:
            return await self._post_with_retry(operation, path, key, body)
        except CSRejected:
            result = "rejected"
            raise
        except CSUnavailable:
            result = "unavailable"
            raise
        finally:
            metrics.CS_CALLS.labels(operation, result).inc()
            metrics.CS_CALL_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def _post_with_retry(
        self, operation: str, path: str, key: str, body: dict[str, Any]
    ) -> object:
        retrying = transient_retry(self._attempts, on_retry=self._on_retry(operation))
        retrying = retrying.copy(retry=retry_if_exception(is_cs_transient))
        if self._wait is not None:
            retrying = retrying.copy(wait=self._wait)
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._post_once(operation, path, key, body)
        except httpx.TimeoutException as error:
            raise CSUnavailable(f"CS timed out after {self._attempts} attempts") from error
        except (httpx.TransportError, httpx.HTTPStatusError) as error:
            raise CSUnavailable(
                f"CS unavailable after {self._attempts} attempts: {type(error).__name__}"
            ) from error
        return _json_or_none(response)

    async def _post_once(
        self, operation: str, path: str, key: str, body: dict[str, Any]
    ) -> httpx.Response:
        try:
            response = await self._http.post(
                self._base + path,
                json=body,
                headers={"Idempotency-Key": key},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            metrics.CS_TIMEOUTS.labels(operation).inc()
            raise
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()
        if response.status_code >= 400:
            raise CSRejected(response.status_code, _detail(response))
        return response

    @staticmethod
    def _on_retry(operation: str) -> Any:
        def record(state: RetryCallState) -> None:
            metrics.CS_RETRIES.labels(operation).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "retrying CS %s (attempt %d): %s",
                operation,
                state.attempt_number,
                type(error).__name__,
            )

        return record


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return sanitize_cs_text(response.text, 200)
    detail = payload.get("detail") if isinstance(payload, dict) else None
    return sanitize_cs_text(detail if isinstance(detail, str) else str(payload), 200)
