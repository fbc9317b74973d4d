"""The CS desk: contacts, messages, idempotency keys, fault draws. Pure state, no I/O.

The web layer does the sleeping and the HTTP; everything that decides lives here, under
one lock, so concurrent requests with the same idempotency key are answered once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from mock_cs_service.followup import (
    FollowUpTrait,
    Fulfilment,
    chase_reply,
    is_follow_up,
    order_facts,
    plan_fulfilment,
    rung_of,
)
from mock_cs_service.orders import OrderBook
from mock_cs_service.personas import (
    PERSONA_TURNS,
    Act,
    ContactState,
    CustomerTurn,
    Persona,
    Speech,
    Turn,
    accept,
    ask_problem,
    confirm,
    farewell,
    greeting,
    guess_problem,
    new_contact_state,
    not_what_i_offered,
    standing_offer,
)
from mock_cs_service.policy_book import PolicyBook
from mock_cs_service.reading import Intent, StatedTerms, read_message
from mock_cs_service.remedies import CaseTerms, OrderFacts, case_terms
from mock_cs_service.wording import PHRASE_BOOKS, Phrasebook, Scene, Wording, phrasebook_named
from shared.domain import Offer, Order, ProblemType

MAX_MESSAGES = 30
MAX_IDEMPOTENCY_KEYS = 100_000
UNRESPONSIVE_ERROR_SHARE = 0.4
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Base64 of an attachment at its limit, with room for line breaks; the exact limit is checked
# on the decoded bytes.
MAX_BASE64_CHARS = MAX_ATTACHMENT_BYTES * 4 // 3 + 64_000
MAX_MESSAGE_BYTES = MAX_ATTACHMENTS * MAX_BASE64_CHARS + 100_000


class Channel(StrEnum):
    """How the desk talks: words plus structured fields, or words only, like a person."""

    STRUCTURED = "structured"
    TEXT = "text"


class DeskConfig(BaseModel):
    """The simulation's settings: who answers, how, and how the line misbehaves."""

    model_config = ConfigDict(extra="forbid")

    persona: Persona = Persona.COOPERATIVE
    channel: Channel = Channel.STRUCTURED
    wording: Wording = Wording.FIRST
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_s: float = Field(default=35.0, ge=0.0, le=600.0)
    followup: FollowUpTrait = FollowUpTrait.RELIABLE
    # On the text channel, a first message that sounds like a chase ("it never arrived") is
    # answered about a remedy an earlier contact booked on the order. A benchmark of
    # independent cases over a small order book turns this off.
    chases_in_words: bool = True

    @model_validator(mode="after")
    def _rates_fit(self) -> DeskConfig:
        if self.error_rate + self.timeout_rate > 1.0:
            raise ValueError("error_rate + timeout_rate must not exceed 1")
        return self


class ConfigUpdate(BaseModel):
    """A partial change of the simulation settings."""

    model_config = ConfigDict(extra="forbid")

    persona: Persona | None = None
    channel: Channel | None = None
    wording: Wording | None = None
    seed: int | None = None
    latency_ms: int | None = None
    error_rate: float | None = None
    timeout_rate: float | None = None
    timeout_s: float | None = None
    followup: FollowUpTrait | None = None
    chases_in_words: bool | None = None


class OpenContact(BaseModel):
    """`POST /v1/contacts` body."""

    customer_id: str = Field(min_length=1, max_length=64)
    order_id: str = Field(min_length=1, max_length=64)
    problem_type: ProblemType | None = None


class Attachment(BaseModel):
    """A file sent with a message (evidence such as photos), its bytes in base64."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    content_type: Literal["image/jpeg", "image/png", "image/heic"]
    data: str = Field(min_length=1, max_length=MAX_BASE64_CHARS)
    _size: int = PrivateAttr(default=0)

    @model_validator(mode="after")
    def _decodes(self) -> Attachment:
        try:
            raw = base64.b64decode("".join(self.data.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("attachment data must be base64") from exc
        if not raw:
            raise ValueError("an attachment may not be empty")
        if len(raw) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"an attachment may be at most {MAX_ATTACHMENT_BYTES} bytes")
        self._size = len(raw)
        return self

    @property
    def size(self) -> int:
        """Decoded size in bytes."""
        return self._size

    def record(self) -> dict[str, Any]:
        """What the transcript keeps: the file's name, type and size, never its bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


class CustomerMessage(BaseModel):
    """`POST /v1/contacts/{id}/messages` body."""

    text: str = Field(default="", max_length=8_000)
    ask: Offer | None = None
    citations: list[str] = Field(default_factory=list, max_length=20)
    intent: Intent = Intent.ASK
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    @model_validator(mode="after")
    def _short_citations(self) -> CustomerMessage:
        if any(len(c) > 64 for c in self.citations):
            raise ValueError("a citation is a policy id of at most 64 characters")
        return self


class Fault(StrEnum):
    NONE = "none"
    ERROR = "error"
    TIMEOUT = "timeout"


class DeskError(Exception):
    """A request the desk refuses; `status` is its HTTP status."""

    status = 400
    default = "bad request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.default)
        self.detail = detail or self.default


class NotFound(DeskError):
    status = 404
    default = "not found"


class Conflict(DeskError):
    status = 409
    default = "conflict"


@dataclass(frozen=True)
class DeskReply:
    """A stored answer: status and body, replayed as-is for a repeated idempotency key."""

    status: int
    body: dict[str, Any]


class IdempotencyCache:
    """Answers by key; a key reused with another request is a conflict. Oldest keys expire."""

    def __init__(self, capacity: int = MAX_IDEMPOTENCY_KEYS) -> None:
        self._entries: OrderedDict[str, tuple[str, DeskReply]] = OrderedDict()
        self._capacity = capacity
        self.conflicts = 0  # keys that came again with another request: a key sent twice

    def get(self, key: str, fingerprint: str) -> DeskReply | None:
        """The stored answer for this key, or None; 409 if the key came with another request."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != fingerprint:
            self.conflicts += 1
            raise Conflict("this Idempotency-Key was already used with a different request")
        return entry[1]

    def put(self, key: str, fingerprint: str, reply: DeskReply) -> None:
        """Remember an answer."""
        self._entries[key] = (fingerprint, reply)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
        self.conflicts = 0


def fingerprint(operation: str, target: str, body: BaseModel) -> str:
    """A stable digest of one request: what it does, to what, with which body."""
    canonical = json.dumps(
        [operation, target, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Agreement:
    """One remedy the desk granted: the counterparty's own record of what was agreed."""

    contact_id: str
    customer_id: str
    order_id: str
    message_id: str
    offer: Offer
    booked_at: str = ""

    def entry(self) -> dict[str, Any]:
        """The ledger line `GET /v1/admin/ledger` shows."""
        return {
            "booked_at": self.booked_at,
            "contact_id": self.contact_id,
            "customer_id": self.customer_id,
            "order_id": self.order_id,
            "message_id": self.message_id,
            "type": self.offer.type,
            "amount": self.offer.amount,
            "currency": self.offer.currency,
            "return_required": self.offer.return_required,
            "restocking_fee": self.offer.restocking_fee,
            "refund_method": self.offer.refund_method,
        }


@dataclass(frozen=True)
class Heard:
    """One customer message as the desk takes it, whichever channel it came by."""

    text: str
    intent: Intent
    ask: Offer | None = None
    citations: tuple[str, ...] = ()
    attachments: int = 0
    terms: StatedTerms | None = None  # what an accept or a confirmation question restates

    def understood(self) -> dict[str, Any]:
        """What the transcript records the desk made of a text message."""
        return {
            "intent": self.intent,
            "ask": self.ask.model_dump(mode="json") if self.ask else None,
        }


@dataclass
class Contact:
    """One CS conversation and its transcript."""

    contact_id: str
    customer_id: str
    order: Order
    opened_at: datetime
    state: ContactState
    faults: random.Random
    channel: Channel = Channel.STRUCTURED
    words: random.Random = field(default_factory=random.Random)
    terms: CaseTerms | None = None
    closed: bool = False
    agreed: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)

    def transcript(self) -> dict[str, Any]:
        """The conversation as `GET /v1/contacts/{id}` shows it."""
        offer = self.state.offer
        return {
            "contact_id": self.contact_id,
            "customer_id": self.customer_id,
            "order_id": self.order.order_id,
            "problem_type": self.state.problem_type,
            "persona": self.state.persona,
            "channel": self.channel,
            "status": "closed" if self.closed else "open",
            "opened_at": self.opened_at.isoformat(),
            "offer": offer.model_dump(mode="json") if offer else None,
            "agreed": self.agreed,
            "messages": list(self.messages),
        }


class Desk:
    """The retailer's CS desk: opens contacts, answers messages, draws faults, all seeded."""

    def __init__(
        self,
        orders: OrderBook,
        policies: PolicyBook,
        config: DeskConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        phrasebook: Phrasebook | None = None,
        day_seconds: float = 86400.0,
    ) -> None:
        self.orders = orders
        self.policies = policies
        self.phrasebook = phrasebook  # words of its own (tests); else the configured wording
        if phrasebook is None:
            for name in PHRASE_BOOKS:  # every shipped book is checked on start-up
                phrasebook_named(name)
        self._config = config or DeskConfig()
        self._clock = clock
        self._lock = threading.RLock()
        self._contacts: dict[str, Contact] = {}
        self._opened: dict[tuple[str, str], int] = {}
        self._open_faults: dict[tuple[str, str], random.Random] = {}
        self._idempotency = IdempotencyCache()
        self._ledger: list[Agreement] = []
        self._day = timedelta(seconds=day_seconds)
        self._fulfilments: dict[str, list[Fulfilment]] = {}  # by order id
        self._by_contact: dict[str, Fulfilment] = {}

    # ---- configuration ---------------------------------------------------------------------

    @property
    def config(self) -> DeskConfig:
        return self._config

    def configure(self, update: ConfigUpdate) -> DeskConfig:
        """Apply a partial update; raises pydantic's ValidationError on bad values."""
        changes = update.model_dump(exclude_none=True)
        with self._lock:
            merged = DeskConfig.model_validate({**self._config.model_dump(), **changes})
            if merged.seed != self._config.seed:
                self._open_faults.clear()
            self._config = merged
            return merged

    def reset(self) -> None:
        """Forget every contact, idempotency key and agreement (the configuration stays)."""
        with self._lock:
            self._ledger.clear()
            self._fulfilments.clear()
            self._by_contact.clear()
            self._contacts.clear()
            self._opened.clear()
            self._open_faults.clear()
            self._idempotency.clear()

    # ---- faults ------------------------------------------------------------------------------

    def fault_for_open(self, body: OpenContact) -> Fault:
        """Draw the fault (if any) for a contact-opening request, from a generator per order."""
        with self._lock:
            key = (body.customer_id, body.order_id)
            if self.orders.order(body.order_id) is None:
                key = ("", "")  # one shared stream for unknown orders: no unbounded growth
            rng = self._open_faults.get(key)
            if rng is None:
                rng = self._open_faults[key] = random.Random(f"{self._config.seed}|open|{key}")
            return self._draw(rng)

    def fault_for_message(self, contact_id: str) -> Fault:
        """Draw the fault (if any) for a message, from the contact's own generator."""
        with self._lock:
            contact = self._contact(contact_id)
            fault = self._draw(contact.faults)
            if fault == Fault.NONE and contact.state.persona == Persona.UNRESPONSIVE:
                if contact.faults.random() < UNRESPONSIVE_ERROR_SHARE:
                    return Fault.ERROR
            return fault

    def _draw(self, rng: random.Random) -> Fault:
        roll = rng.random()
        if roll < self._config.error_rate:
            return Fault.ERROR
        if roll < self._config.error_rate + self._config.timeout_rate:
            return Fault.TIMEOUT
        return Fault.NONE

    # ---- contacts ----------------------------------------------------------------------------

    def open_contact(self, key: str, body: OpenContact) -> DeskReply:
        """Open a conversation about one of the customer's orders (201), idempotently."""
        digest = fingerprint("open", "", body)
        with self._lock:
            stored = self._idempotency.get(key, digest)
            if stored is not None:
                return stored
            order = self.orders.order(body.order_id)
            if order is None or order.customer_id != body.customer_id:
                raise NotFound("no such order for this customer")
            contact = self._new_contact(body, order)
            turn = greeting(contact.state, _item_label(order))
            words = self._words(contact, turn)
            self._record(contact, "agent", words, asks=turn.asks)
            opened: dict[str, Any] = {
                "contact_id": contact.contact_id,
                "order_id": order.order_id,
                "status": "open",
                "text": words,
            }
            if contact.channel == Channel.STRUCTURED:
                opened["asks"] = turn.asks
            reply = DeskReply(201, opened)
            self._idempotency.put(key, digest, reply)
            return reply

    def _new_contact(self, body: OpenContact, order: Order) -> Contact:
        seed = self._config.seed
        ordinal = self._opened.get((body.customer_id, order.order_id), 0)
        self._opened[(body.customer_id, order.order_id)] = ordinal + 1
        contact_id = contact_id_for(seed, body.customer_id, order.order_id, ordinal)
        state = new_contact_state(
            self._config.persona,
            random.Random(f"{seed}|{contact_id}|agent"),
            order.order_id,
            body.problem_type,
        )
        contact = Contact(
            contact_id=contact_id,
            customer_id=body.customer_id,
            order=order,
            opened_at=self._clock(),
            state=state,
            faults=random.Random(f"{seed}|{contact_id}|faults"),
            channel=self._config.channel,
            words=random.Random(f"{seed}|{contact_id}|words"),
        )
        self._contacts[contact_id] = contact
        return contact

    def agreements(self) -> list[dict[str, Any]]:
        """Every remedy granted since the last reset, in the order it was agreed, with how the
        order system followed it through."""
        with self._lock:
            now = self._clock()
            entries = []
            for agreement in self._ledger:
                entry = agreement.entry()
                fulfilment = self._by_contact.get(agreement.contact_id)
                entry["fulfilment"] = fulfilment.record(now) if fulfilment else None
                entries.append(entry)
            return entries

    def order_view(self, order_id: str) -> dict[str, Any] | None:
        """An order as the order system shows it now: its facts and the remedies posted to it."""
        with self._lock:
            order = self.orders.order(order_id)
            if order is None:
                return None
            public = self.orders.public_order(order)
            facts = order_facts(self._fulfilments.get(order_id, []), self._clock())
            if not facts["refund_issued"]:  # what the data file says stands until a posting
                facts["refund_issued"] = bool(public.get("refund_issued"))
                facts["refund_date"] = public.get("refund_date")
            return {**public, **facts}

    def terms_for(self, order_id: str, problem_type: ProblemType) -> dict[str, Any] | None:
        """What the retailer grants today for this order and problem, by its own rules and
        published policies: the yardstick a benchmark judges grants by."""
        with self._lock:
            order = self.orders.order(order_id)
            if order is None:
                return None
            facts = OrderFacts(order, self._clock().date(), self.orders.is_prime(order.customer_id))
            terms = case_terms(facts, problem_type, self.policies.remedies_for(problem_type, facts))
            owed = self.policies.remedies_for(problem_type, facts, bonuses=False)
            return {
                "order_id": order_id,
                "problem_type": str(problem_type),
                # Owed a remedy: by the desk's rules or a published policy, not goodwill alone.
                "entitled": case_terms(facts, problem_type, owed).entitled,
                "reason": terms.reason,
                "order_value": terms.order_value,
                "remedies": [
                    {
                        "type": str(r.type),
                        "max_amount": r.max_amount,
                        "return_required": r.return_required,
                        "restocking_fee": r.restocking_fee,
                    }
                    for r in terms.remedies
                ],
            }

    def key_conflicts(self) -> int:
        """Idempotency keys that came again with another request since the last reset."""
        with self._lock:
            return self._idempotency.conflicts

    def transcript(self, contact_id: str) -> dict[str, Any]:
        """The whole conversation so far."""
        with self._lock:
            return self._contact(contact_id).transcript()

    def _contact(self, contact_id: str) -> Contact:
        contact = self._contacts.get(contact_id)
        if contact is None:
            raise NotFound("no such contact")
        return contact

    # ---- messages ----------------------------------------------------------------------------

    def post_message(self, contact_id: str, key: str, body: CustomerMessage) -> DeskReply:
        """Answer one customer message, once per idempotency key."""
        digest = fingerprint("message", contact_id, body)
        with self._lock:
            contact = self._contact(contact_id)
            stored = self._idempotency.get(key, digest)
            if stored is not None:
                return stored
            if contact.closed:
                raise Conflict("this contact is closed")
            heard = self._hear(contact, body)
            self._record_customer(contact, body, heard)
            turn = self._chased(contact, heard) or self._answer(contact, heard)
            contact.closed = turn.closed
            contact.agreed = turn.agreed
            if turn.offer is not None:
                contact.state.offer = turn.offer
            words = self._words(contact, turn)
            message_id = self._record(contact, "agent", words, offer=turn.offer, asks=turn.asks)
            if turn.agreed and turn.offer is not None:
                self._book(contact, message_id, turn.offer)
            reply = DeskReply(200, _message_reply(contact, message_id, words, turn))
            self._idempotency.put(key, digest, reply)
            return reply

    def _chased(self, contact: Contact, heard: Heard) -> Turn | None:
        """A message chasing a remedy agreed on an earlier contact: look it up and answer."""
        if heard.intent != Intent.FOLLOW_UP:
            return None
        fulfilment = self._chased_remedy(contact, heard.text)
        rung = rung_of(heard.text)
        outcome = fulfilment.chase(rung, self._clock(), self._day) if fulfilment else "none"
        text = chase_reply(outcome, fulfilment, rung)
        return Turn(text, closed=True, speech=Speech(Act.CHASE_ANSWER, reason=text))

    def _chases_in_words(self, contact: Contact, text: str) -> bool:
        """On the text channel: a first message whose words chase a remedy agreed on an
        earlier contact about this order (without one, "I still haven't received my refund"
        is a new complaint, negotiated as usual). One that cites that contact's reference
        ("the chat CT-... a moment ago") is looked up even where `chases_in_words` is off,
        as any desk looks up a reference it is given."""
        if contact.channel != Channel.TEXT or len(contact.messages) > 1 or not is_follow_up(text):
            return False
        earlier = [
            f
            for f in self._fulfilments.get(contact.order.order_id, [])
            if f.contact_id != contact.contact_id
        ]
        if any(f.contact_id in text for f in earlier):
            return True
        return self._config.chases_in_words and bool(earlier)

    def _chased_remedy(self, contact: Contact, text: str) -> Fulfilment | None:
        """The remedy a chase is about: the one whose reference it names, else the oldest on
        the order not posted yet, else the latest."""
        earlier = [
            f
            for f in self._fulfilments.get(contact.order.order_id, [])
            if f.contact_id != contact.contact_id
        ]
        named = [f for f in earlier if f.contact_id in text]
        waiting = [f for f in earlier if not f.posted(self._clock())]
        if named or waiting:
            return (named or waiting)[0]
        return earlier[-1] if earlier else None

    def _hear(self, contact: Contact, body: CustomerMessage) -> Heard:
        """Take a message the way the contact's channel reads it."""
        attachments = len(body.attachments)
        # a text desk reads only the words: the message's intent is for the structured one
        chases = body.intent == Intent.FOLLOW_UP and contact.channel != Channel.TEXT
        if chases or self._chases_in_words(contact, body.text):
            return Heard(body.text, Intent.FOLLOW_UP, attachments=attachments)
        if contact.channel == Channel.TEXT:  # words only: intent, ask and citations are unseen
            reading = read_message(body.text, contact.order.total, _currency(contact.order))
            return Heard(body.text, reading.intent, reading.ask, (), attachments, reading.terms)
        intent, terms = body.intent, StatedTerms.of(body.ask) if body.ask else None
        if intent == Intent.ASK and read_message(body.text).intent == Intent.CONFIRM:
            intent = Intent.CONFIRM  # "to confirm: ... is that right?" is a question, not an ask
        if intent == Intent.CONFIRM and terms is None:
            terms = read_message(body.text, contact.order.total).terms
        confirming = terms if intent == Intent.CONFIRM else None
        return Heard(body.text, intent, body.ask, tuple(body.citations), attachments, confirming)

    def _record_customer(self, contact: Contact, body: CustomerMessage, heard: Heard) -> None:
        files = [a.record() for a in body.attachments]
        if contact.channel == Channel.TEXT:
            self._record(contact, "customer", body.text, attachments=files)
            contact.messages[-1]["understood"] = heard.understood()
        else:
            self._record(
                contact, "customer", body.text, ask=body.ask, intent=heard.intent, attachments=files
            )

    def _words(self, contact: Contact, turn: Turn) -> str:
        """What the agent says: the persona's own words, or on the text channel the phrasebook's."""
        if contact.channel == Channel.STRUCTURED or turn.speech.act == Act.CHASE_ANSWER:
            return turn.text
        state = contact.state
        scene = Scene(
            agent_name=state.agent_name,
            order_id=state.order_id,
            item=_item_label(contact.order),
            currency=_currency(contact.order),
            payment_method=str(getattr(contact.order, "payment_method", None) or "card"),
        )
        book = self.phrasebook or phrasebook_named(self._config.wording)
        return book.say(turn.speech, scene, contact.words)

    def _book(self, contact: Contact, message_id: str, offer: Offer) -> None:
        now = self._clock()
        order_id = contact.order.order_id
        agreement = Agreement(
            contact.contact_id, contact.customer_id, order_id, message_id, offer, now.isoformat()
        )
        self._ledger.append(agreement)
        rng = random.Random(f"{self._config.seed}|{contact.contact_id}|followup")
        fulfilment = plan_fulfilment(
            self._config.followup, rng, contact.contact_id, order_id, offer, now, self._day
        )
        if fulfilment is not None:
            self._fulfilments.setdefault(order_id, []).append(fulfilment)
            self._by_contact[contact.contact_id] = fulfilment

    def _answer(self, contact: Contact, heard: Heard) -> Turn:
        state = contact.state
        standing = standing_offer(state)
        if heard.intent == Intent.CLOSE:
            return farewell()
        if heard.intent == Intent.ACCEPT:
            if standing and heard.terms and not heard.terms.matches(standing):
                return not_what_i_offered(state)  # accepting terms nobody offered books nothing
            return accept(state)
        if heard.intent == Intent.CONFIRM and standing is not None:
            return confirm(state, heard.terms or StatedTerms())
        if state.problem_type is None:
            state.problem_type = guess_problem(heard.text)
        if state.problem_type is None and state.persona != Persona.UNRESPONSIVE:
            return ask_problem()
        terms = self._terms(contact)
        turn = PERSONA_TURNS[state.persona](state, self._customer_turn(contact, heard), terms)
        if len(contact.messages) + 1 >= MAX_MESSAGES and not turn.closed:
            turn.text += " We've covered a lot here, so I'm going to close this chat now."
            turn.closed = True
            turn.speech = replace(turn.speech, wrap_up=True)
        return turn

    def _terms(self, contact: Contact) -> CaseTerms:
        if contact.terms is None:
            problem = contact.state.problem_type or ProblemType.OTHER
            facts = self._facts(contact)
            published = self.policies.remedies_for(problem, facts)
            contact.terms = case_terms(facts, problem, published)
        return contact.terms

    def _facts(self, contact: Contact) -> OrderFacts:
        today: date = contact.opened_at.date()
        return OrderFacts(contact.order, today, self.orders.is_prime(contact.customer_id))

    def _customer_turn(self, contact: Contact, heard: Heard) -> CustomerTurn:
        cited = list(dict.fromkeys([*heard.citations, *self.policies.cited_in(heard.text)]))
        problem = contact.state.problem_type or ProblemType.OTHER
        facts = self._facts(contact)
        good = tuple(c for c in cited if self.policies.applies(c, problem, facts))
        return CustomerTurn(
            text=heard.text,
            # A confirmation question with nothing on the table yet is a plain question.
            intent=Intent.ASK if heard.intent == Intent.CONFIRM else heard.intent,
            ask=heard.ask,
            attachments=heard.attachments,
            good_citations=tuple(self.policies.get(c).policy_id for c in good),  # type: ignore[union-attr]
            bad_citations=tuple(c for c in cited if c not in good),
        )

    def _record(
        self,
        contact: Contact,
        role: str,
        text: str,
        *,
        offer: Offer | None = None,
        ask: Offer | None = None,
        asks: list[str] | None = None,
        intent: Intent | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> str:
        message_id = f"{contact.contact_id}-M{len(contact.messages) + 1:03d}"
        entry: dict[str, Any] = {
            "message_id": message_id,
            "at": self._clock().isoformat(),
            "role": role,
            "text": text,
        }
        if role == "agent":
            entry["offer"] = offer.model_dump(mode="json") if offer else None
        if ask is not None:
            entry["ask"] = ask.model_dump(mode="json")
        if intent is not None:
            entry["intent"] = intent
        if asks:
            entry["asks"] = list(asks)
        if attachments:
            entry["attachments"] = attachments
        contact.messages.append(entry)
        return message_id


def contact_id_for(seed: int, customer_id: str, order_id: str, ordinal: int) -> str:
    """The id of the `ordinal`-th contact about an order since the last reset (seeded)."""
    raw = f"{seed}|{customer_id}|{order_id}|{ordinal}"
    return "CT-" + hashlib.sha256(raw.encode()).hexdigest()[:12].upper()


def _message_reply(contact: Contact, message_id: str, words: str, turn: Turn) -> dict[str, Any]:
    """An agent's reply as the contact's channel shows it: on the text channel, words only."""
    if contact.channel == Channel.TEXT:
        return {"message_id": message_id, "text": words, "closed": contact.closed}
    return {
        "message_id": message_id,
        "text": words,
        "offer": turn.offer.model_dump(mode="json") if turn.offer else None,
        "asks": turn.asks,
        "closed": contact.closed,
        "agreed": turn.agreed,
    }


def _currency(order: Order) -> str:
    return str(getattr(order, "currency", None) or "USD")


def _item_label(order: Order) -> str:
    first = order.items[0].title if order.items else "your items"
    more = len(order.items) - 1
    return first if more <= 0 else f"{first} and {more} more item{'s' if more > 1 else ''}"
