"""What the retailer does after its desk agrees: refunds post, replacements ship, or not.

Every remedy the desk books becomes a fulfilment in the order system. When it posts depends
on the desk's follow-up trait, drawn from a generator seeded by the contact, so a seeded run
replays exactly: `reliable` posts within the promised days, `slow` posts late (past the
promise), `forgetful` never posts a share of its remedies until someone chases it. A chased
remedy is put right at the rung of the ladder it was drawn to yield to (a re-contact, a
supervisor, a formal complaint) or never. Days are simulated days of `day_seconds`.
Pure state: the desk holds the fulfilments under its lock.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from shared.domain import Offer, OfferType

REFUNDS = frozenset({OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND, OfferType.STORE_CREDIT})
SHIPMENTS = frozenset({OfferType.REPLACEMENT, OfferType.RESHIP})
DEFAULT_DAYS = {"refund": 5, "shipment": 3}  # what the desk promises when its offer says nothing
FORGETFUL_SHARE = 0.4  # of a forgetful desk's remedies, never posted until chased
# The rung a chased remedy is put right at: re-contact, supervisor, complaint, never.
YIELD_WEIGHTS = (0.6, 0.2, 0.12, 0.08)
FIXED_WITHIN_DAYS = 0.5  # a remedy put right on a chase posts this soon


class FollowUpTrait(StrEnum):
    """How the desk's back office follows through on what the desk agreed."""

    RELIABLE = "reliable"
    SLOW = "slow"
    FORGETFUL = "forgetful"


class Rung(IntEnum):
    """How hard the customer's side chases a broken promise."""

    RECONTACT = 1
    SUPERVISOR = 2
    COMPLAINT = 3


_FOLLOW_UP = re.compile(
    r"\b(follow(?:ing)?[- ]up|you (?:agreed|confirmed|promised)|was (?:agreed|promised)|"
    r"(?:still )?(?:have|has)n[o']t (?:received|arrived|posted|shipped)|never (?:arrived|posted)|"
    r"formal complaint)\b",
    re.IGNORECASE,
)
_SUPERVISOR = re.compile(r"\b(supervisor|manager|escalat\w*)\b", re.IGNORECASE)
_COMPLAINT = re.compile(r"\bformal (?:written )?complaint\b", re.IGNORECASE)


def is_follow_up(text: str) -> bool:
    """Whether a customer's words chase something agreed earlier."""
    return bool(_FOLLOW_UP.search(text))


_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d")


def rung_of(text: str) -> Rung:
    """How far up the ladder a chasing message is, from its words (not from words it quotes)."""
    text = _QUOTED.sub(" ", text)
    if _COMPLAINT.search(text):
        return Rung.COMPLAINT
    if _SUPERVISOR.search(text):
        return Rung.SUPERVISOR
    return Rung.RECONTACT


@dataclass
class Fulfilment:
    """One booked remedy as the order system carries it out."""

    contact_id: str
    order_id: str
    offer: Offer
    booked_at: datetime
    promised_days: int
    post_at: datetime | None  # None: forgotten until chased
    yields_at: int | None  # the rung that puts it right; None: never
    chases: list[dict[str, Any]] = field(default_factory=list)
    fixed_at_rung: int | None = None

    @property
    def kind(self) -> str:
        return "shipment" if self.offer.type in SHIPMENTS else "refund"

    def posted(self, now: datetime) -> bool:
        """Whether the remedy shows in the order system at `now`."""
        return self.post_at is not None and self.post_at <= now

    def chase(self, rung: Rung, now: datetime, day: timedelta) -> str:
        """The customer's side chased it: put it right now, or not. Returns the desk's answer."""
        self.chases.append({"rung": int(rung), "at": now.isoformat()})
        if self.posted(now):
            return "posted"
        if self.yields_at is not None and rung >= self.yields_at:
            self.post_at = now + day * FIXED_WITHIN_DAYS
            self.fixed_at_rung = int(rung)
            return "fixed"
        return "pending"

    def record(self, now: datetime) -> dict[str, Any]:
        """The ledger's view: what was promised, when it posted, how it was chased."""
        return {
            "kind": self.kind,
            "promised_days": self.promised_days,
            "posted": self.posted(now),
            "posted_at": self.post_at.isoformat() if self.posted(now) and self.post_at else None,
            "chases": list(self.chases),
            "fixed_at_rung": self.fixed_at_rung,
        }


def plan_fulfilment(
    trait: FollowUpTrait,
    rng: random.Random,
    contact_id: str,
    order_id: str,
    offer: Offer,
    booked_at: datetime,
    day: timedelta,
) -> Fulfilment | None:
    """When (if ever) a booked remedy posts, drawn from the contact's own generator."""
    if offer.type not in REFUNDS | SHIPMENTS:
        return None
    kind = "shipment" if offer.type in SHIPMENTS else "refund"
    days = offer.days_to_complete or DEFAULT_DAYS[kind]
    share = rng.uniform(0.2, 0.8)  # reliable: within the promise
    if trait == FollowUpTrait.SLOW:
        share = rng.uniform(1.6, 3.0)  # late, past any sensible grace
    post_at: datetime | None = booked_at + day * (days * share)
    if trait == FollowUpTrait.FORGETFUL and rng.random() < FORGETFUL_SHARE:
        post_at = None
    yields = rng.choices([1, 2, 3, None], weights=YIELD_WEIGHTS)[0]
    return Fulfilment(contact_id, order_id, offer, booked_at, days, post_at, yields)


def order_facts(fulfilments: list[Fulfilment], now: datetime) -> dict[str, Any]:
    """What the order system shows of an order's remedies at `now`."""
    refunds = [f for f in fulfilments if f.kind == "refund" and f.posted(now)]
    shipments = [f for f in fulfilments if f.kind == "shipment" and f.posted(now)]
    facts: dict[str, Any] = {
        "refund_issued": bool(refunds),
        "refund_date": None,
        "refund_amount": None,
        "refunds": [
            {
                "reference": f.contact_id,  # the CS case that agreed it, as a statement shows
                "amount": f.offer.amount,
                "currency": f.offer.currency,
                "type": f.offer.type,
                "date": f.post_at.date().isoformat() if f.post_at else None,
                "posted_at": f.post_at.isoformat() if f.post_at else None,
            }
            for f in refunds
        ],
        "shipments": [
            {
                "shipment_id": f"SH-{f.contact_id[3:]}",
                "reference": f.contact_id,
                "kind": f.offer.type,
                "status": "shipped",
                "shipped_date": f.post_at.date().isoformat() if f.post_at else None,
                "posted_at": f.post_at.isoformat() if f.post_at else None,
            }
            for f in shipments
        ],
    }
    if refunds:
        latest = max(refunds, key=lambda f: f.post_at or f.booked_at)
        facts["refund_date"] = latest.post_at.date().isoformat() if latest.post_at else None
        facts["refund_amount"] = round(sum(f.offer.amount or 0.0 for f in refunds), 2)
    return facts


def chase_reply(outcome: str, fulfilment: Fulfilment | None, rung: Rung) -> str:
    """What the desk says to a chasing message."""
    if fulfilment is None:
        return (
            "I've looked through this order and I can't find any agreement or open request "
            "on it. Could you tell me more about what was agreed?"
        )
    what = _describe(fulfilment.offer)
    if outcome == "posted":
        return f"Our records show the {what} has already been processed on our side."
    if outcome == "fixed":
        lead = {
            Rung.RECONTACT: "I'm sorry, you're right",
            Rung.SUPERVISOR: "I'm the supervisor on duty and I've reviewed your case: you're right",
            Rung.COMPLAINT: "We have received your formal complaint and upheld it",
        }[rung]
        return (
            f"{lead}. The {what} was not processed. I've issued it now; it will show within 1 day."
        )
    return (
        f"I can see the {what} on this order. It is still being processed; please allow a few "
        "more days."
    )


def _describe(offer: Offer) -> str:
    if offer.type in SHIPMENTS:
        return "replacement shipment" if offer.type == OfferType.REPLACEMENT else "reshipment"
    amount = f" of {offer.amount:.2f} {offer.currency}" if offer.amount else ""
    return ("store credit" if offer.type == OfferType.STORE_CREDIT else "refund") + amount
