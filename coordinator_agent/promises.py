"""Follow-through: the promises an agreement makes, and whether the order system shows them kept.

Pure logic, no I/O. An accepted outcome (terms CS confirmed in words, with its quote)
becomes promises with due dates: a refund or credit of the agreed amount, a replacement or
reship shipped. The days come from CS's own words ("within 5 business days", read with
`shared.language`), else the offer's or the policy's `days_to_complete`, else a default; a
promise is broken when the order system does not show it by its due date plus a grace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared import limits
from shared.language.entities import find_days

REFUND_TYPES = frozenset({"full_refund", "partial_refund", "store_credit"})
SHIPMENT_TYPES = frozenset({"replacement", "reship"})
DEFAULT_DAYS = 7  # neither CS's words nor a policy said how long
AMOUNT_TOLERANCE = 0.01


class Rung(IntEnum):
    """The ladder climbed when a promise breaks; each rung is one event."""

    RECONTACT = 1  # contact CS again, citing the agreement and CS's own words
    SUPERVISOR = 2
    COMPLAINT = 3  # a formal written complaint to the retailer
    DISPUTE = 4  # a dispute packet for the card issuer or payment provider


RUNG_NAMES = {
    Rung.RECONTACT: "re-contact",
    Rung.SUPERVISOR: "supervisor",
    Rung.COMPLAINT: "formal complaint",
    Rung.DISPUTE: "dispute packet",
}


class Promise(BaseModel):
    """One thing CS agreed to do, by when, and what became of it."""

    id: str
    kind: Literal["refund", "shipment"]
    type: str
    amount: float | None = None
    currency: str = "USD"
    refund_method: str | None = None
    days: int
    days_source: Literal["cs_words", "offer", "policy", "default"]
    due_at: float
    grace_until: float
    status: Literal["pending", "kept", "broken", "recovered", "unrecovered"] = "pending"
    kept_at: float | None = None
    broken_at: float | None = None
    posted: str | None = None  # what the order system showed when it was kept

    def describe(self) -> str:
        """The promise in words, for the customer, CS and the letters."""
        if self.kind == "shipment":
            what = "a replacement shipped" if self.type == "replacement" else "the order reshipped"
        else:
            noun = "store credit" if self.type == "store_credit" else "a refund"
            amount = f" of {self.amount:.2f} {self.currency}" if self.amount is not None else ""
            method = f" to {self.refund_method.replace('_', ' ')}" if self.refund_method else ""
            what = f"{noun}{amount}{method}"
        return f"{what} within {self.days} days (by {iso_date(self.due_at)})"


class FollowThrough(BaseModel):
    """A case after CS agreed: the agreement, its promises, the checks and the ladder."""

    agreed_at: float
    terms: dict[str, Any]
    cs_quote: str = ""
    contact_id: str | None = None
    promises: list[Promise] = Field(default_factory=list)
    next_check_at: float | None = None
    checks: int = 0
    rung: int = 0  # the highest rung climbed so far
    rungs: list[dict[str, Any]] = Field(default_factory=list)  # each: rung, at, sent, cs_text
    broken_at: float | None = None  # when the first promise was seen broken
    complaint_letter: str | None = None
    dispute_at: float | None = None
    recovered_amount: float = 0.0

    def open_promises(self) -> list[Promise]:
        """Promises not kept yet."""
        return [p for p in self.promises if p.status in ("pending", "broken")]


def promises_from(
    outcome: dict[str, Any],
    entitlement: dict[str, Any] | None,
    agreed_at: float,
    day_s: float,
    grace_days: float = limits.PROMISE_GRACE_DAYS,
) -> list[Promise]:
    """The promises an accepted outcome makes (none for terms the order system cannot show)."""
    offer = outcome.get("offer") or {}
    kind_of = {**dict.fromkeys(REFUND_TYPES, "refund"), **dict.fromkeys(SHIPMENT_TYPES, "shipment")}
    kind = kind_of.get(str(offer.get("type")))
    if kind is None:
        return []
    days, source = promised_days(offer, str(outcome.get("cs_quote") or ""), entitlement)
    due_at = agreed_at + days * day_s
    amount = offer.get("amount")
    promise = Promise(
        id="P1",
        kind=kind,  # type: ignore[arg-type]
        type=str(offer["type"]),
        amount=float(amount) if isinstance(amount, int | float) else None,
        currency=str(offer.get("currency") or "USD"),
        refund_method=offer.get("refund_method"),
        days=days,
        days_source=source,
        due_at=due_at,
        grace_until=due_at + grace_days * day_s,
    )
    return [promise]


def promised_days(
    offer: dict[str, Any], cs_quote: str, entitlement: dict[str, Any] | None
) -> tuple[int, Literal["cs_words", "offer", "policy", "default"]]:
    """How many days CS has: its own words first, then the offer, the policy, a default."""
    said = find_days(cs_quote) if cs_quote else None
    if said:
        return said, "cs_words"
    if isinstance(offer.get("days_to_complete"), int) and offer["days_to_complete"] > 0:
        return int(offer["days_to_complete"]), "offer"
    for outcome in (entitlement or {}).get("outcomes") or []:
        days = outcome.get("days_to_complete") if isinstance(outcome, dict) else None
        if outcome.get("type") == offer.get("type") and isinstance(days, int) and days > 0:
            return days, "policy"
    return DEFAULT_DAYS, "default"


def kept(
    promise: Promise, order: dict[str, Any], agreed_at: float, reference: str | None = None
) -> str | None:
    """What in the order system keeps the promise (posted after the agreement), or None.

    Postings that carry a reference (the CS case that agreed them) count only when it is
    this agreement's: another case's refund on the same order keeps nothing of ours."""
    since = iso_date(agreed_at)

    def ours(record: dict[str, Any]) -> bool:
        theirs = record.get("reference")
        return _on_or_after(record, since) and (not reference or not theirs or theirs == reference)

    if promise.kind == "shipment":
        for shipment in order.get("shipments") or []:
            if not isinstance(shipment, dict):
                continue
            if shipment.get("kind") in (promise.type, None) and ours(shipment):
                return f"shipment {shipment.get('shipment_id', '')} on {_date(shipment)}".strip()
        return None
    refunds = order.get("refunds")
    if isinstance(refunds, list):
        posted = [r for r in refunds if isinstance(r, dict) and ours(r)]
        total = sum(float(r.get("amount") or 0.0) for r in posted)
        if posted and (promise.amount is None or total >= promise.amount - AMOUNT_TOLERANCE):
            return f"refund of {total:.2f} posted on {_date(posted[-1])}"
        return None
    # An order system that reports only the flag and the date.
    date = order.get("refund_date")
    if order.get("refund_issued") and isinstance(date, str) and date >= since:
        return f"refund posted on {date}"
    return None


def first_check_at(follow: FollowThrough, day_s: float) -> float | None:
    """The first check: one day after the agreement, or at the earliest due date if sooner."""
    if not follow.promises:
        return None
    return min(follow.agreed_at + day_s, min(p.due_at for p in follow.promises))


def next_check_at(follow: FollowThrough, now: float, day_s: float) -> float:
    """Every day until the last grace ends, then exactly at it (so a break is seen at once)."""
    deadline = max(p.grace_until for p in follow.open_promises())
    return min(now + day_s, deadline) if deadline > now else now + day_s


def iso_date(at: float) -> str:
    """A UTC date, as the order system writes dates."""
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def _date(record: dict[str, Any]) -> str:
    return str(record.get("date") or record.get("shipped_date") or "")


def _on_or_after(record: dict[str, Any], since: str) -> bool:
    return _date(record) >= since
