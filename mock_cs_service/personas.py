"""How the desk's agents answer: one turn of a CS chat per persona, pure and seeded.

Every function here takes the contact's state and one customer message and returns the
agent's turn; randomness comes only from the contact's own generator, so a seeded run
replays exactly whatever else happens concurrently.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from mock_cs_service.reading import Intent, StatedTerms
from mock_cs_service.remedies import CONDITION_PROBLEMS, CaseTerms, Remedy, offer_value
from shared.domain import Offer, OfferType, ProblemType

__all__ = ["Intent"]  # re-exported: the personas' callers speak of intents too


class Persona(StrEnum):
    COOPERATIVE = "cooperative"
    ADVERSARIAL = "adversarial"
    BUREAUCRATIC = "bureaucratic"
    RANDOM = "random"
    UNRESPONSIVE = "unresponsive"


class Act(StrEnum):
    """What an agent's reply does, whatever its words."""

    GREET = "greet"
    GREET_BUSY = "greet_busy"
    GREET_PAPERWORK = "greet_paperwork"
    ASK_PROBLEM = "ask_problem"
    NEED_DETAILS = "need_details"
    DECLINE = "decline"
    OFFER = "offer"
    REPEAT = "repeat"
    STALL = "stall"
    HANG_UP = "hang_up"
    NOTHING_TO_ACCEPT = "nothing_to_accept"
    AGREED = "agreed"
    FAREWELL = "farewell"
    CONFIRM_YES = "confirm_yes"
    CONFIRM_NO = "confirm_no"
    CONFIRM_RECAP = "confirm_recap"
    NOT_WHAT_I_OFFERED = "not_what_i_offered"
    CHASE_ANSWER = "chase_answer"  # about a remedy agreed earlier: its words are its own


class Lead(StrEnum):
    """Why an offer is made or repeated: the sentence a person would open with."""

    APOLOGY = "apology"
    AGAIN = "again"
    OPENING = "opening"
    GRANTED = "granted"
    SUPERVISOR = "supervisor"
    SUPERVISOR_AGREES = "supervisor_agrees"
    CITATION = "citation"
    BAD_CITATION = "bad_citation"
    REFUSED_AMOUNT = "refused_amount"
    REFUSED_TYPE = "refused_type"
    FIRM = "firm"


@dataclass(frozen=True)
class Speech:
    """The meaning of a reply, for wordings other than the structured channel's own text."""

    act: Act
    offer: Offer | None = None
    lead: Lead | None = None
    wanted: Offer | None = None  # what the customer asked for, when the reply turns it down
    policy: str = ""
    asks: tuple[str, ...] = ()
    reason: str = ""
    wrap_up: bool = False  # the chat is long: the agent closes it after this reply


RANDOM_MIX = (
    (Persona.COOPERATIVE, 35),
    (Persona.ADVERSARIAL, 35),
    (Persona.BUREAUCRATIC, 20),
    (Persona.UNRESPONSIVE, 10),
)
AGENT_NAMES = ("Dana", "Luis", "Priya", "Marcus", "Aisha", "Tom", "Keiko", "Sofia")
MAX_ASK_ROUNDS = 2
UNRESPONSIVE_REPLIES = 3
DESCRIPTION_WORDS = 12
# A by-the-book agent wants photos of what arrived, unless the customer just changed their mind.
PHOTO_PROBLEMS = CONDITION_PROBLEMS - {ProblemType.UNWANTED_ITEM}
_PROBLEM_WORDS: tuple[tuple[ProblemType, re.Pattern[str]], ...] = tuple(
    (problem, re.compile(pattern, re.I))
    for problem, pattern in (
        (ProblemType.BILLING_ERROR, r"charged twice|double[- ]charged|duplicate charge|overcharg"),
        (
            ProblemType.REFUND_NOT_RECEIVED,
            r"refund.{0,30}(never|not|hasn.?t|still)|where.{0,10}refund",
        ),
        (ProblemType.WRONG_ITEM, r"wrong (item|size|colou?r|product)|not what i ordered"),
        (ProblemType.MISSING_PARTS, r"missing (part|piece|accessor)|parts? (are|is) missing"),
        (ProblemType.DAMAGED_ITEM, r"damaged|broken|cracked|smashed|shattered|dented"),
        (
            ProblemType.DEFECTIVE_ITEM,
            r"defective|stopped working|doesn.?t work|faulty|won.?t turn on",
        ),
        (
            ProblemType.NOT_DELIVERED,
            r"never (arrived|came)|not (been )?delivered|lost|didn.?t arrive",
        ),
        (ProblemType.LATE_DELIVERY, r"\blate\b|delayed|took (so|too) long"),
        (ProblemType.NOT_AS_DESCRIBED, r"not as described|doesn.?t match|different from the"),
        (ProblemType.UNWANTED_ITEM, r"changed my mind|don.?t (want|need)|no longer need|return it"),
    )
)


@dataclass
class ContactState:
    """What an agent remembers about one conversation."""

    persona: Persona
    rng: random.Random
    agent_name: str
    order_id: str
    problem_type: ProblemType | None
    opening_type: OfferType = OfferType.STORE_CREDIT
    opening_share: float = 0.4
    concessions_needed: int = 2
    step: int = 0
    offer: Offer | None = None
    pending_asks: list[str] = field(default_factory=list)
    ask_rounds: int = 0
    replies: int = 0


@dataclass
class Turn:
    """The agent's answer to one customer message."""

    text: str
    offer: Offer | None = None
    asks: list[str] = field(default_factory=list)
    closed: bool = False
    agreed: bool = False
    speech: Speech = field(kw_only=True)


@dataclass(frozen=True)
class CustomerTurn:
    """One customer message as the personas see it; `good_citations` were checked against policy."""

    text: str
    intent: Intent
    ask: Offer | None
    good_citations: tuple[str, ...] = ()
    bad_citations: tuple[str, ...] = ()
    attachments: int = 0


def new_contact_state(
    persona: Persona, rng: random.Random, order_id: str, problem_type: ProblemType | None
) -> ContactState:
    """Draw the traits of the agent who picks up a new contact."""
    if persona == Persona.RANDOM:
        people = [who for who, _ in RANDOM_MIX]
        persona = rng.choices(people, weights=[share for _, share in RANDOM_MIX])[0]
    state = ContactState(
        persona=persona,
        rng=rng,
        agent_name=rng.choice(AGENT_NAMES),
        order_id=order_id,
        problem_type=problem_type,
        opening_type=rng.choice((OfferType.STORE_CREDIT, OfferType.PARTIAL_REFUND)),
        opening_share=round(rng.uniform(0.3, 0.5), 2),
        concessions_needed=rng.choice((1, 2)),
    )
    if persona == Persona.BUREAUCRATIC:
        state.pending_asks = required_details(problem_type)
    return state


def required_details(problem_type: ProblemType | None) -> list[str]:
    """What a by-the-book agent wants before looking at a claim."""
    asks = ["order_id", "description"]
    if problem_type is None or problem_type in PHOTO_PROBLEMS:
        asks.append("photos")
    return asks


def guess_problem(text: str) -> ProblemType | None:
    """The problem a customer describes, when the contact was opened without one."""
    return next((problem for problem, words in _PROBLEM_WORDS if words.search(text)), None)


# ---- wording -------------------------------------------------------------------------------


def money(amount: float | None) -> str:
    return f"${amount or 0:,.2f}"


def headline(offer: Offer) -> str:
    """An offer in a few words: what and how much."""
    method = "to your original payment method"
    phrases = {
        OfferType.FULL_REFUND: f"a full refund of {money(offer.amount)} {method}",
        OfferType.PARTIAL_REFUND: f"a partial refund of {money(offer.amount)} {method}",
        OfferType.STORE_CREDIT: f"{money(offer.amount)} in store credit on your account",
        OfferType.REPLACEMENT: "a free replacement, shipped at no cost to you",
        OfferType.RESHIP: "a new shipment of your order at no extra cost",
        OfferType.RETURN_LABEL: "a prepaid return label",
        OfferType.NONE: "nothing further",
    }
    return phrases[OfferType(offer.type)]


def describe(offer: Offer) -> str:
    """An offer in full, with its terms, in the words a CS agent would use."""
    text = headline(offer)
    if offer.type == OfferType.NONE:
        return text
    if offer.return_required:
        text += " once we receive the item back (I'll email you a prepaid return label)"
    elif offer.type != OfferType.STORE_CREDIT:
        text += ", and you don't need to send anything back"
    if offer.restocking_fee:
        text += f", minus a {money(offer.restocking_fee)} restocking fee"
    if offer.days_to_complete:
        days = offer.days_to_complete
        text += f"; it's usually completed within {days} business day{'s' if days > 1 else ''}"
    return text


def _pick(state: ContactState, *options: str) -> str:
    return state.rng.choice(options)


def greeting(state: ContactState, item: str) -> Turn:
    """The agent's first words when a contact opens."""
    hello = f"Hi, thanks for contacting customer service. My name is {state.agent_name}."
    seen = f"I can see your order {state.order_id} ({item})."
    if state.persona == Persona.UNRESPONSIVE:
        return Turn(
            "Thanks for reaching out. All of our agents are busy helping other customers; "
            "someone will be with you as soon as possible.",
            speech=Speech(Act.GREET_BUSY),
        )
    if state.persona == Persona.BUREAUCRATIC:
        return Turn(
            f"{hello} Before I can open a claim I'll need a few things from you: "
            f"{_ask_list(state.pending_asks)}.",
            asks=list(state.pending_asks),
            speech=Speech(Act.GREET_PAPERWORK, asks=tuple(state.pending_asks)),
        )
    return Turn(f"{hello} {seen} How can I help you today?", speech=Speech(Act.GREET))


_ASK_WORDS = {
    "order_id": "please confirm the order number",
    "description": "describe what happened in a few sentences",
    "photos": "attach photos of the item and the packaging",
    "problem": "tell me what went wrong with the order",
}


def _ask_list(asks: list[str]) -> str:
    words = [_ASK_WORDS.get(a, a) for a in asks]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# ---- judging what the customer asks for ----------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """What the retailer makes of an ask: the offer it can make for it, or why not."""

    offer: Offer | None = None
    refusal: str = ""
    refused: Lead | None = None  # REFUSED_TYPE or REFUSED_AMOUNT, with `refusal` in words


def _remedy_for(kind: OfferType, terms: CaseTerms) -> Remedy | None:
    found = terms.remedy(kind)
    if found is not None:
        return found
    twins = {OfferType.REPLACEMENT: OfferType.RESHIP, OfferType.RESHIP: OfferType.REPLACEMENT}
    if kind in twins:
        return terms.remedy(twins[kind])
    full = terms.remedy(OfferType.FULL_REFUND)
    if kind == OfferType.PARTIAL_REFUND and full is not None and not full.return_required:
        # Less than a full refund the customer could have anyway: fine to keep the item.
        return Remedy(
            OfferType.PARTIAL_REFUND,
            full.max_amount,
            refund_method=full.refund_method,
            days_to_complete=full.days_to_complete,
        )
    return None


def judge(ask: Offer | None, terms: CaseTerms) -> Judgement:
    """Can the retailer give this ask? Within policy it is granted on the retailer's terms."""
    if ask is None or ask.type in {OfferType.NONE, OfferType.RETURN_LABEL}:
        return Judgement()
    kind = OfferType(ask.type)
    remedy = _remedy_for(kind, terms)
    if remedy is None:
        label = kind.value.replace("_", " ")
        return Judgement(
            refusal=f"a {label} isn't something we can offer for this", refused=Lead.REFUSED_TYPE
        )
    if ask.amount is not None and remedy.max_amount is not None:
        if ask.amount > remedy.max_amount + 0.005:
            return Judgement(
                refusal=f"{money(ask.amount)} is more than we can offer for this",
                refused=Lead.REFUSED_AMOUNT,
            )
    amount = ask.amount if remedy.max_amount is not None else None
    return Judgement(offer=remedy.offer(terms.currency, amount))


def best_offer(terms: CaseTerms) -> Offer:
    """The retailer's first-choice remedy at its ceiling."""
    return terms.remedies[0].offer(terms.currency)


def _value(offer: Offer | None, terms: CaseTerms) -> float:
    return offer_value(offer, terms.order_value)


def ladder(target: Offer, state: ContactState, terms: CaseTerms) -> list[Offer]:
    """An adversarial agent's offers on the way to `target`, lowest first, all within policy."""
    value = _value(target, terms)
    in_credit = target.type == OfferType.STORE_CREDIT
    first = OfferType.STORE_CREDIT if in_credit else state.opening_type
    middle = OfferType.STORE_CREDIT if in_credit else OfferType.PARTIAL_REFUND
    # Store credit costs the retailer less than cash, so an opening in credit is a bit higher.
    first_share = state.opening_share + (0.15 if first == OfferType.STORE_CREDIT else 0.0)
    steps = [(first, first_share), (middle, (state.opening_share + 1) / 2)]
    rungs: list[Offer] = []
    for kind, share in steps[: state.concessions_needed]:
        remedy = _remedy_for(kind, terms) or _remedy_for(OfferType.STORE_CREDIT, terms)
        if remedy is None or remedy.max_amount is None:
            continue
        found = remedy.offer(terms.currency, min(value * share, remedy.max_amount))
        floor = _value(rungs[-1], terms) if rungs else 0.0
        if floor < _value(found, terms) < value:
            rungs.append(found)
    return [*rungs, target]


# ---- persona turns -------------------------------------------------------------------------


def decline(state: ContactState, terms: CaseTerms) -> Turn:
    """Nothing is due: say why, plainly."""
    none = Offer(type=OfferType.NONE, currency=terms.currency)
    return Turn(
        _pick(
            state,
            "I'm sorry, but I'm not able to offer anything on this one: ",
            "I've looked into it, and unfortunately ",
        )
        + f"{terms.reason}. Is there anything else I can help with?",
        offer=none,
        speech=Speech(Act.DECLINE, offer=none, reason=terms.reason),
    )


def cooperative(state: ContactState, msg: CustomerTurn, terms: CaseTerms) -> Turn:
    """Gives the customer what they are entitled to, at once."""
    if not terms.entitled:
        return decline(state, terms)
    judged = judge(msg.ask, terms)
    if judged.refusal:
        offer = best_offer(terms)
        return Turn(
            f"I'm sorry, {judged.refusal}. What I can do is {describe(offer)}. "
            "Would you like me to go ahead with that?",
            offer=offer,
            speech=Speech(Act.OFFER, offer, judged.refused, wanted=msg.ask),
        )
    offer = judged.offer or best_offer(terms)
    if offer == state.offer and msg.intent != Intent.SUPERVISOR:
        return Turn(
            f"{_stands(offer, offer)} Would you like me to go ahead?",
            offer=offer,
            speech=Speech(Act.REPEAT, offer, Lead.AGAIN),
        )
    opener = _pick(
        state,
        "I'm really sorry about that.",
        "Thanks for explaining, and sorry for the trouble.",
        "I'm sorry to hear that; let's get it sorted.",
    )
    lead = Lead.APOLOGY
    if msg.intent == Intent.SUPERVISOR:
        opener, lead = "I've checked with my supervisor and they agree.", Lead.SUPERVISOR_AGREES
    return Turn(
        f"{opener} I can offer you {describe(offer)}. Shall I go ahead?",
        offer=offer,
        speech=Speech(Act.OFFER, offer, lead),
    )


def adversarial(state: ContactState, msg: CustomerTurn, terms: CaseTerms) -> Turn:
    """Opens low; concedes a step only to a correct policy citation or a supervisor."""
    if not terms.entitled:
        return decline(state, terms)
    standing = state.offer if state.offer and state.offer.type != OfferType.NONE else None
    judged = judge(msg.ask, terms)
    if judged.refusal:
        offer = standing or ladder(best_offer(terms), state, terms)[0]
        act = Act.OFFER if standing is None else Act.REPEAT
        return Turn(
            f"I'm afraid {judged.refusal}. {_stands(offer, standing)}",
            offer=offer,
            speech=Speech(act, offer, judged.refused, wanted=msg.ask),
        )
    target = judged.offer or best_offer(terms)
    rungs = ladder(target, state, terms)
    conceded = msg.intent == Intent.SUPERVISOR or (
        bool(msg.good_citations) and standing is not None
    )
    if conceded:
        state.step += 1
    offer = rungs[min(state.step, len(rungs) - 1)]
    if _value(target, terms) <= max(_value(offer, terms), _value(standing, terms)):
        offer = target
    elif standing is not None and _value(offer, terms) < _value(standing, terms):
        offer = standing
    text, speech = _adversarial_words(state, msg, offer, standing, target)
    return Turn(text, offer=offer, speech=speech)


def _stands(offer: Offer, standing: Offer | None) -> str:
    if standing is None:
        return f"The best I can do is {describe(offer)}."
    return f"My offer of {headline(offer)} still stands."


def _adversarial_words(
    state: ContactState, msg: CustomerTurn, offer: Offer, standing: Offer | None, target: Offer
) -> tuple[str, Speech]:
    moved = standing is None or offer != standing
    if standing is None and offer != target:
        text = (
            _pick(state, "I understand your frustration.", "Thanks for your patience.")
            + f" Looking at this order, the best I can offer is {describe(offer)}."
        )
        return text, Speech(Act.OFFER, offer, Lead.OPENING, wanted=msg.ask)
    if msg.intent == Intent.SUPERVISOR and moved:
        text = f"I've spoken with my supervisor, and they've approved {describe(offer)}."
        return text, Speech(Act.OFFER, offer, Lead.SUPERVISOR)
    if msg.good_citations and moved:
        cited = msg.good_citations[0]
        text = (
            f"You're right, policy {cited} does cover this. I've gone back to my team and "
            f"I can now offer {describe(offer)}."
        )
        return text, Speech(Act.OFFER, offer, Lead.CITATION, policy=cited)
    if offer == target and moved:
        return f"OK, I can do that: {describe(offer)}.", Speech(Act.OFFER, offer, Lead.GRANTED)
    if msg.bad_citations:
        cited = msg.bad_citations[0]
        text = f"I've looked up {cited}, and it doesn't apply to this order. " + _stands(
            offer, standing
        )
        return text, Speech(Act.REPEAT, offer, Lead.BAD_CITATION, policy=cited)
    text = _pick(
        state,
        "I'm sorry, but this is the best I can do at the moment. ",
        "I've checked again and my hands are tied. ",
    ) + _stands(offer, standing)
    return text, Speech(Act.REPEAT, offer, Lead.FIRM, wanted=msg.ask)


def bureaucratic(state: ContactState, msg: CustomerTurn, terms: CaseTerms) -> Turn:
    """Wants the paperwork first (order number, description, photos), then cooperates."""
    state.pending_asks = [a for a in state.pending_asks if not _satisfies(a, msg, state)]
    if msg.intent == Intent.SUPERVISOR:
        state.pending_asks = []
    if state.pending_asks and state.ask_rounds < MAX_ASK_ROUNDS:
        state.ask_rounds += 1
        return Turn(
            f"Thank you. Before I can go any further I still need you to "
            f"{_ask_list(state.pending_asks)}.",
            asks=list(state.pending_asks),
            speech=Speech(Act.NEED_DETAILS, asks=tuple(state.pending_asks)),
        )
    state.pending_asks = []
    return cooperative(state, msg, terms)


def _satisfies(ask: str, msg: CustomerTurn, state: ContactState) -> bool:
    text = msg.text
    if ask == "order_id":
        return state.order_id.replace("-", "") in re.sub(r"\D", "", text)
    if ask == "photos":  # a picture: saying "photos attached" without one is no photo
        return msg.attachments > 0
    if ask == "description":
        return len(text.split()) >= DESCRIPTION_WORDS
    return bool(text.strip())


def unresponsive(state: ContactState, msg: CustomerTurn, terms: CaseTerms) -> Turn:
    """Stalls, never offers anything, and closes the chat after a few replies."""
    state.replies += 1
    if state.replies >= UNRESPONSIVE_REPLIES:
        return Turn(
            "We're experiencing very high volumes right now, so I'm closing this chat. "
            "You'll receive an update by email.",
            closed=True,
            speech=Speech(Act.HANG_UP),
        )
    return Turn(
        _pick(
            state,
            "Thanks for your patience. I've passed your case to the relevant team.",
            "I'm still looking into this for you; please bear with me.",
            "Our systems are running slowly today. I'll get back to you shortly.",
        ),
        speech=Speech(Act.STALL),
    )


PERSONA_TURNS: dict[Persona, Callable[[ContactState, CustomerTurn, CaseTerms], Turn]] = {
    Persona.COOPERATIVE: cooperative,
    Persona.ADVERSARIAL: adversarial,
    Persona.BUREAUCRATIC: bureaucratic,
    Persona.UNRESPONSIVE: unresponsive,
}


def accept(state: ContactState) -> Turn:
    """The customer accepts the offer on the table, if there is one."""
    offer = state.offer
    if offer is None or offer.type == OfferType.NONE:
        return Turn(
            "There isn't an offer on the table yet. Tell me what you're looking for and "
            "I'll see what I can do.",
            speech=Speech(Act.NOTHING_TO_ACCEPT),
        )
    return Turn(
        f"Done! I've set up {describe(offer)}. You'll get a confirmation email shortly. "
        "Is there anything else I can help with?",
        offer=offer,
        closed=True,
        agreed=True,
        speech=Speech(Act.AGREED, offer),
    )


def standing_offer(state: ContactState) -> Offer | None:
    """The offer on the table: the last one made, unless the agent has said no."""
    offer = state.offer
    return None if offer is None or offer.type == OfferType.NONE else offer


def confirm(state: ContactState, stated: StatedTerms) -> Turn:
    """The customer asks the agent to confirm terms: yes if they are the offer, else the real terms.

    Nothing is agreed: the customer still has to accept. Call it only with an offer standing.
    """
    offer = standing_offer(state)
    assert offer is not None, "confirm() needs an offer on the table"
    if stated.empty:
        return Turn(
            f"Of course. What I've offered is {describe(offer)}.",
            offer=offer,
            speech=Speech(Act.CONFIRM_RECAP, offer),
        )
    if stated.matches(offer):
        return Turn(
            f"Yes, that's right: {describe(offer)}. Just let me know if you'd like me to go ahead.",
            offer=offer,
            speech=Speech(Act.CONFIRM_YES, offer),
        )
    return Turn(
        f"No, that's not quite right. What I offered is {describe(offer)}.",
        offer=offer,
        speech=Speech(Act.CONFIRM_NO, offer),
    )


def not_what_i_offered(state: ContactState) -> Turn:
    """The customer accepts terms other than the offer on the table: nothing is booked."""
    offer = standing_offer(state)
    assert offer is not None, "not_what_i_offered() needs an offer on the table"
    return Turn(
        f"Before I process anything: what I offered is {describe(offer)}. "
        "Would you like me to go ahead with that?",
        offer=offer,
        speech=Speech(Act.NOT_WHAT_I_OFFERED, offer),
    )


def ask_problem() -> Turn:
    """The customer has not said what went wrong yet."""
    return Turn(
        "Sorry, I didn't quite catch that. Could you tell me what went wrong with the order?",
        asks=["problem"],
        speech=Speech(Act.ASK_PROBLEM, asks=("problem",)),
    )


def farewell() -> Turn:
    """The customer ends the chat."""
    return Turn(
        "Thanks for contacting us. Have a great day!", closed=True, speech=Speech(Act.FAREWELL)
    )
