"""Test doubles at the HTTP edge: a scripted CS desk that speaks like a person, a policy checker.

The desk keeps its own record of what it offered, confirmed and booked (its `ledger`), read
with its own small reading of our words: tests judge the agent against that record, never
against the agent's own account of the deal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from tenacity import wait_none

from negotiation_agent.dialogue import CSDesk, Photo
from negotiation_agent.skills import NegotiateInput, Negotiation, RoundResult, Validation
from shared.domain import Offer
from shared.language.reader import Reader
from tests.negotiation.conftest import ORDER_ID, make_strategy

Script = Callable[[dict[str, Any], int], dict[str, Any]]
Channel = Literal["structured", "text"]


def offer(kind: str, amount: float | None = None, **terms: Any) -> dict[str, Any]:
    """A structured CS offer."""
    return {"type": kind, "amount": amount, "currency": "USD", **terms}


def describe(terms: dict[str, Any]) -> str:
    """Terms in the desk's own words (not the agent's)."""
    kind, amount = terms["type"], terms.get("amount")
    money = f"${amount:,.2f}" if amount is not None else ""
    words = {
        "full_refund": f"a full refund of {money} to your original payment method",
        "partial_refund": f"a partial refund of {money} to your original payment method",
        "store_credit": f"{money} in store credit",
        "replacement": "a replacement",
        "reship": "to send the order out again",
    }[kind]
    if kind == "reship":
        return words
    returned = terms.get("return_required")
    return words + (" once you return the item" if returned else " and you can keep the item")


def scripted(*offers: dict[str, Any] | None) -> Script:
    """CS answers each ask with the next scripted offer (the last one repeats), words saying little."""

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        made = offers[min(n, len(offers) - 1)] if offers else None
        return {"text": "Here is what we can do.", "offer": made, "asks": [], "closed": False}

    return reply


def spoken(*offers: dict[str, Any] | None) -> Script:
    """CS answers each ask with the next offer in plain words (the last one repeats)."""

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        made = offers[min(n, len(offers) - 1)] if offers else None
        if made is None:
            return {"text": "I'm afraid we cannot refund this order.", "offer": {"type": "none"}}
        return {"text": f"I can offer you {describe(made)}.", "offer": made}

    return reply


def then(*turns: dict[str, Any], after: Script) -> Script:
    """These replies first (questions, say), then the `after` script from its start."""

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        return turns[n] if n < len(turns) else after(body, n - len(turns))

    return reply


# ---------------------------------------------------------------- the desk's reading of our words

_KINDS = (
    ("full_refund", re.compile(r"\bfull refund\b", re.I)),
    ("partial_refund", re.compile(r"\bpartial refund\b", re.I)),
    ("store_credit", re.compile(r"\bstore credit\b", re.I)),
    ("reship", re.compile(r"\breship\b|sending the order again", re.I)),
    ("replacement", re.compile(r"\breplacement\b", re.I)),
)
_AMOUNT = re.compile(r"\$([\d,]+\.\d{2})")


def heard_terms(text: str) -> dict[str, Any] | None:
    """The terms a message of ours states, as the desk reads it (first remedy, first amount)."""
    kinds = [(m.start(), kind) for kind, rx in _KINDS for m in [rx.search(text)] if m]
    if not kinds:
        return None
    amount = _AMOUNT.search(text)
    return {
        "type": min(kinds)[1],
        "amount": float(amount.group(1).replace(",", "")) if amount else None,
        "return_required": bool(re.search(r"returned first|return the item", text, re.I)),
    }


def same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Two sets of terms name the same remedy, amount and return (the desk's comparison)."""
    if a is None or b is None:
        return False
    kinds = {a["type"], b["type"]}
    if len(kinds) > 1 and kinds != {"replacement", "reship"}:
        return False
    amounts = a.get("amount"), b.get("amount")
    if None not in amounts and abs(amounts[0] - amounts[1]) > 0.01:  # type: ignore[operator]
        return False
    return bool(a.get("return_required")) == bool(b.get("return_required"))


def _intent(body: dict[str, Any], channel: Channel) -> str:
    """What our message does, as the desk hears it: a text desk reads only the words."""
    text = body.get("text", "")
    if re.search(r"\bto confirm\b.*\bis that right\?", text, re.I):
        return "confirm"
    if channel == "structured":
        return str(body.get("intent", "ask"))
    if re.search(r"\bplease go ahead\b|\baccepts\b", text, re.I):
        return "accept"
    if re.search(r"could not reach an agreement", text, re.I):
        return "close"
    return "ask"


@dataclass
class FakeDesk:
    """The CS desk contract (DESIGN 5): idempotent posts, contacts; a person's words on `text`.

    On the text channel replies carry no `offer`, `agreed` or `asks`, and our `intent` and
    `ask` go unread. Our restatement ("To confirm: ... Is that right?") is answered with a
    yes when it states the desk's standing offer, else with a correction. An accept books
    the standing offer in `ledger` and says so (or says `at_accept`, when a test sets it).
    """

    script: Script
    channel: Channel = "structured"
    fail_first: int = 0  # answer 503 this many times first
    at_accept: dict[str, Any] | None = None  # a reply to our accept instead of the booking's
    processed: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    cache: dict[str, tuple[str, httpx.Response]] = field(default_factory=dict)
    seen_keys: list[str] = field(default_factory=list)
    closed: bool = False
    standing: dict[str, Any] | None = None  # the desk's own offer on the table
    confirmed: list[dict[str, Any]] = field(default_factory=list)  # terms it said yes to
    ledger: list[dict[str, Any]] = field(default_factory=list)  # what it granted
    greeting: dict[str, Any] = field(default_factory=lambda: {"text": "Hi!"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if self.fail_first > 0:
            self.fail_first -= 1
            return httpx.Response(503, json={"detail": "busy"})
        key = request.headers.get("Idempotency-Key", "")
        self.seen_keys.append(key)
        body = request.content.decode()
        if key in self.cache:
            first_body, response = self.cache[key]
            return (
                response
                if first_body == body
                else httpx.Response(409, json={"detail": "key reuse"})
            )
        response = self.handle(request.url.path, json.loads(body))
        self.cache[key] = (body, response)
        return response

    def handle(self, path: str, body: dict[str, Any]) -> httpx.Response:
        if path == "/v1/contacts":
            greeting = dict(self.greeting)
            if self.channel == "text":
                greeting.pop("asks", None)
            return httpx.Response(201, json={"contact_id": "CT-1", "status": "open", **greeting})
        if self.closed:
            return httpx.Response(409, json={"detail": "contact is closed"})
        self.processed.append(body)
        reply = self.answer(body, _intent(body, self.channel))
        self.replies.append(reply)
        if self.channel == "text":
            reply = {k: v for k, v in reply.items() if k not in ("offer", "agreed", "asks")}
        return httpx.Response(200, json={"message_id": f"M{len(self.processed)}", **reply})

    def answer(self, body: dict[str, Any], intent: str) -> dict[str, Any]:
        if intent == "accept":
            return self.accept()
        if intent == "close":
            self.closed = True
            return {"text": "Goodbye.", "offer": None, "closed": True, "agreed": False}
        if intent == "confirm" and self.standing is not None:
            return self.confirm(body)
        asks = sum(1 for b in self.processed if _intent(b, self.channel) == "ask")
        reply = {"agreed": False, "closed": False, **self.script(body, asks - 1)}
        made = reply.get("offer")
        if isinstance(made, dict) and made.get("type") not in (None, "none"):
            self.standing = made
        return reply

    def confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        stated = heard_terms(body.get("text", ""))
        if self.channel == "structured" and isinstance(body.get("ask"), dict):
            stated = body["ask"]
        assert self.standing is not None
        if same(stated, self.standing):
            self.confirmed.append(dict(self.standing))
            text = f"Yes, that's right: {describe(self.standing)}."
        else:
            text = f"No, that's not quite right. What I offered is {describe(self.standing)}."
        return {"text": text, "offer": self.standing, "agreed": False, "closed": False}

    def accept(self) -> dict[str, Any]:
        self.closed = True
        if self.at_accept is not None:
            booked = self.at_accept.get("books")
            if booked:
                self.ledger.append(booked)
            return {"closed": True, **{k: v for k, v in self.at_accept.items() if k != "books"}}
        if self.standing is None:
            return {"text": "There is nothing to process yet.", "closed": True, "agreed": False}
        self.ledger.append(dict(self.standing))
        text = f"Done. I've processed {describe(self.standing)}."
        return {"text": text, "offer": self.standing, "closed": True, "agreed": True}


class FakeValidator:
    """validate_solution as the context agent answers it: within the entitled limits."""

    def __init__(
        self,
        limit: float = 129.99,
        allowed: tuple[str, ...] = (
            "full_refund",
            "partial_refund",
            "replacement",
            "store_credit",
            "reship",
        ),
    ) -> None:
        self.limit = limit
        self.allowed = allowed
        self.calls: list[Offer] = []
        self.sources: list[str] = []

    async def validate(
        self,
        order_id: str,
        problem_type: str,
        offer: Offer,
        customer_id: str | None,
        source: str = "ask",
    ) -> Validation:
        self.calls.append(offer)
        self.sources.append(source)
        violations = []
        if offer.type not in self.allowed:
            violations.append(f"{offer.type} is not allowed")
        if (offer.amount or 0) > self.limit + 0.005:
            violations.append("amount above the policy limit")
        return Validation(
            valid=not violations, violations=violations, policy_basis=["POL-DAMAGED-001"]
        )


# ---------------------------------------------------------------- driving negotiate like the coordinator

CASE = {
    "description": "The blender arrived with a cracked jug and the lid in pieces.",
    "order_date": "2024-05-02",
    "delivered_date": "2024-05-06",
    "item": "Blender",
    "items": ["Vitamix Pro 750 Blender, Black", "Blender"],
}


def make_input(
    strategy=None,
    state=None,
    action="continue",
    attempt=1,
    customer_input: str | None = None,
    photos_available: int = 0,
) -> NegotiateInput:
    return NegotiateInput.model_validate(
        {
            "session_id": "sess-1",
            "attempt": attempt,
            "customer_id": "C-1001",
            "order_id": ORDER_ID,
            "problem_type": "damaged_item",
            "strategy": (strategy or make_strategy()).model_dump(mode="json"),
            "state": state,
            "action": action,
            "case": CASE,
            "customer_input": customer_input,
            "photos_available": photos_available,
        }
    )


class Harness:
    """Drives negotiate calls the way the coordinator does: checkpointing the state each round."""

    def __init__(
        self,
        reader: Reader,
        desk: FakeDesk,
        validator: FakeValidator | None = None,
        strategy=None,
    ) -> None:
        self.fake = desk
        self.reader = reader
        self.validator = validator or FakeValidator()
        self.strategy = strategy or make_strategy()
        self.http = httpx.AsyncClient(
            transport=httpx.MockTransport(desk), base_url="http://cs.test"
        )
        self.desk = CSDesk(
            self.http, "http://cs.test", timeout_s=1, max_attempts=3, wait=wait_none()
        )
        self.state: dict[str, Any] | None = None
        self.now = 1_000_000.0
        self.drafter: Any = None
        self.needs_photos = False

    async def call(
        self,
        action: str = "continue",
        state: Any = "checkpoint",
        customer_input: str | None = None,
        photos: list[Photo] | None = None,
    ) -> RoundResult:
        """One negotiate call; `photos`: the case's photos (sent with the call that opens the
        chat, and when the last result said the call needs them, as the coordinator does)."""
        state = self.state if state == "checkpoint" else state
        case_photos = photos or []
        inp = make_input(
            self.strategy, state, action, customer_input=customer_input,
            photos_available=len(case_photos),
        )  # fmt: skip
        sent = case_photos if self.needs_photos or state is None else []
        negotiation = Negotiation(
            inp, self.desk, self.validator, self.now, drafter=self.drafter, reader=self.reader,
            photos=sent,
        )  # fmt: skip
        result = await negotiation.run()
        self.state = result.state.model_dump(mode="json")
        self.needs_photos = result.needs_photos
        return result

    async def until_done(self, limit: int = 25) -> list[RoundResult]:
        results = []
        for _ in range(limit):
            results.append(await self.call())
            if results[-1].done:
                break
        return results

    async def to_the_end(
        self, customer_input: str = "The photos show a cracked jug.", limit: int = 30
    ) -> list[RoundResult]:
        """As the coordinator: the customer approves an agreement and answers what CS asks."""
        results: list[RoundResult] = []
        answer: str | None = None
        for _ in range(limit):
            status = results[-1].outcome.status if results and results[-1].outcome else None
            if status == "agreement":
                results.append(await self.call("accept"))
            else:
                results.append(await self.call(customer_input=answer))
            answer = None
            last = results[-1]
            if last.outcome is not None and last.outcome.status == "needs_input":
                answer = customer_input
            elif last.done and last.outcome is not None and last.outcome.status != "agreement":
                break
        return results
