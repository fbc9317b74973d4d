"""Judging cases from the other side of the table: the CS desk's ledger of what it granted.

The fleet's own records say what it *believes* was agreed; the desk's ledger
(`GET /v1/admin/ledger` on the mock CS) says what the retailer actually booked. The
benchmarks grade outcomes with the ledger and count the cases where the two disagree
(misreads). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.valuation import offer_value

AMOUNT_TOLERANCE = 0.01  # one cent
MONEY_TYPES = frozenset({"full_refund", "partial_refund", "store_credit"})
_NEW_ITEM = frozenset({"replacement", "reship"})
REMEDY_TYPES = MONEY_TYPES | _NEW_ITEM
# The kinds of grant that give a customer what they asked for. A replacement and a reship
# are the same thing to the customer (a new item in the post); all of the money back gives
# one who asked for some of it (or for credit) more than they asked; "unspecified" takes any
# remedy.
_AS_ASKED: dict[str, frozenset[str]] = {
    "full_refund": frozenset({"full_refund"}),
    "partial_refund": frozenset({"partial_refund", "full_refund"}),
    "store_credit": frozenset({"store_credit", "full_refund"}),
    "replacement": frozenset({"replacement", "reship"}),
    "reship": frozenset({"reship", "replacement"}),
    "unspecified": REMEDY_TYPES,
}

# Kinds that serve a customer at least as well as the one they asked for: all the money back
# buys the credit.
_AT_LEAST_AS_GOOD: dict[str, frozenset[str]] = {"store_credit": _AS_ASKED["store_credit"]}

Grant = Mapping[str, Any]  # {contact_id, customer_id, order_id, type, amount, return_required}


@dataclass(frozen=True)
class Misread:
    """A case where what we told the customer differs from what the desk booked."""

    kind: str  # "terms" (booked otherwise), "unbooked" (we report a deal it has no record of),
    #            "unreported" (it booked one and we do not report it)
    ours: Mapping[str, Any] | None
    ledger: Sequence[Grant]
    differences: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The misread as the bench report lists it."""
        return {
            "kind": self.kind,
            "differences": self.differences,
            "ours": dict(self.ours) if self.ours is not None else None,
            "ledger": [dict(g) for g in self.ledger],
        }


@dataclass(frozen=True)
class Owed:
    """What the retailer owes a case for its real problem, by the desk's own terms
    (`GET /v1/admin/terms`): the yardstick of every benchmark, never the fleet's reading."""

    entitled: bool
    item_value: float
    value: float  # the dearest remedy the terms allow, at its ceiling, in the shared valuation
    remedies: tuple[Mapping[str, Any], ...] = ()

    def askable(self, desired: str) -> bool:
        """Whether the terms allow a remedy of the kind the customer asked for."""
        return self.entitled and can_be_granted(
            [str(r.get("type")) for r in self.remedies], desired
        )

    def worth(self, desired: str) -> float:
        """What the customer is owed of what they asked for: the dearest remedy of that very
        kind the terms allow, at its ceiling (for store credit, a refund too: money buys
        credit); else of a kind that gives them what they asked (`is_as_asked`); else the
        dearest of any kind."""
        kinds = _AT_LEAST_AS_GOOD.get(desired, frozenset({desired}))
        fitting = [r for r in self.remedies if r.get("type") in kinds]
        if not fitting:
            kinds = _AS_ASKED.get(desired, frozenset({desired}))
            fitting = [r for r in self.remedies if r.get("type") in kinds]
        values = [offer_value(ceiling(r), self.item_value) for r in fitting]
        return max(values) if values else self.value


def owed(terms: Mapping[str, Any], item_value: float = 0.0) -> Owed:
    """The desk's terms for a case as a yardstick (`item_value` when the desk names none)."""
    remedies = tuple(r for r in terms.get("remedies") or () if isinstance(r, Mapping))
    value_of_item = float(terms.get("order_value") or item_value)
    best = max((offer_value(ceiling(r), value_of_item) for r in remedies), default=0.0)
    return Owed(bool(terms.get("entitled")), value_of_item, best, remedies)


@dataclass(frozen=True)
class Verdict:
    """One case judged from the desk's ledger: its grants and how they compare with ours."""

    grants: list[Grant]  # every grant booked on the case's contacts
    as_asked: bool  # a grant on the customer's order of the kind asked for
    value: float  # the grants on the customer's order, in the shared valuation
    misread: Misread | None


def verdict(
    grants: Sequence[Grant],
    order_id: str,
    desired: str,
    item_value: float,
    ours: Mapping[str, Any] | None,
    resolved: bool,
) -> Verdict:
    """Judge a case by the `grants` on its contacts: only those on its own `order_id` count
    for it; any of them that differs from what we report (`ours`, when `resolved`) is a
    misread."""
    own = [g for g in grants if g.get("order_id") == order_id]
    return Verdict(
        grants=[dict(g) for g in grants],
        as_asked=is_as_asked(own, desired),
        value=granted_value(own, item_value),
        misread=misread(ours, resolved, grants),
    )


def exchanges(transcript: Mapping[str, Any], until: str | None = None) -> int:
    """Exchanges in a desk transcript (`GET /v1/contacts/{id}`): messages of ours (role
    `customer`) the desk answered (the next message is the agent's). A message the desk
    never answered (a chat it had closed, a fault before it read it) is not an exchange.
    With `until` (the ledger's `message_id` of a booking), only those answered before it:
    the exchanges until CS agreed, the accept itself not counted."""
    messages = [m for m in transcript.get("messages") or () if isinstance(m, Mapping)]
    count = 0
    for ours, answer in zip(messages, messages[1:], strict=False):
        if until is not None and answer.get("message_id") == until:
            break
        count += ours.get("role") == "customer" and answer.get("role") == "agent"
    return count


def by_contact(agreements: Iterable[Grant]) -> dict[str, list[Grant]]:
    """The ledger's grants grouped by the CS contact that booked them."""
    grouped: dict[str, list[Grant]] = {}
    for grant in agreements:
        grouped.setdefault(str(grant.get("contact_id")), []).append(grant)
    return grouped


def grants_of(
    ledger: Mapping[str, Sequence[Grant]], contact_id: str | None, order_id: str | None = None
) -> list[Grant]:
    """The grants booked on one contact, on one order when `order_id` is given."""
    if not contact_id:
        return []
    grants = ledger.get(contact_id, ())
    return [g for g in grants if order_id is None or g.get("order_id") == order_id]


def is_as_asked(grants: Iterable[Grant], desired: str) -> bool:
    """Whether the desk granted a remedy of the kind the customer asked for."""
    kinds = _AS_ASKED.get(desired, frozenset({desired}))
    return any(g.get("type") in kinds for g in grants)


def can_be_granted(allowed: Iterable[str], desired: str) -> bool:
    """Whether policy allows a remedy of the kind the customer asked for (`allowed`: the
    remedy types of the case's entitlement)."""
    return bool(_AS_ASKED.get(desired, frozenset({desired})) & set(allowed))


def ceiling(remedy: Mapping[str, Any]) -> dict[str, Any]:
    """A remedy the desk allows (`GET /v1/admin/terms`) as the offer at its ceiling: its most
    money, with the return and the restocking fee it comes with (the best the customer can
    be granted of it is worth no more)."""
    return {
        "type": remedy.get("type"),
        "amount": remedy.get("max_amount"),
        "return_required": bool(remedy.get("return_required")),
        "restocking_fee": remedy.get("restocking_fee"),
    }


def within_terms(grant: Grant, remedies: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a grant is one the retailer allows: a remedy of its kind (a replacement and a
    reship are one), no more money than that remedy's ceiling, and no return waived that the
    remedy requires."""
    kind = grant.get("type")
    for remedy in remedies:
        same = remedy.get("type") == kind or {remedy.get("type"), kind} <= _NEW_ITEM
        cap, amount = _amount({"amount": remedy.get("max_amount")}), _amount(grant)
        if not same or (cap is not None and amount is not None and amount > cap + AMOUNT_TOLERANCE):
            continue
        if remedy.get("return_required") and not grant.get("return_required"):
            continue
        return True
    return False


def granted_value(grants: Iterable[Grant], item_value: float) -> float:
    """What the grants are worth to the customer, in money (the fleet's one valuation)."""
    return round(sum(offer_value(g, item_value) for g in grants), 2)


def differences(ours: Mapping[str, Any] | None, grant: Grant) -> list[str]:
    """The terms on which our account of an agreement differs from the desk's booking."""
    ours = ours or {}
    found = []
    if ours.get("type") != grant.get("type"):
        found.append("type")
    mine, booked = _amount(ours), _amount(grant)
    if mine is not None and booked is not None:
        if abs(mine - booked) > AMOUNT_TOLERANCE:
            found.append("amount")
    elif booked is not None and grant.get("type") in MONEY_TYPES:
        found.append("amount")  # the desk booked a sum and we cannot tell the customer which
    if bool(ours.get("return_required")) != bool(grant.get("return_required")):
        found.append("return_required")
    return found


def misread(
    ours: Mapping[str, Any] | None, resolved: bool, grants: Sequence[Grant]
) -> Misread | None:
    """Compare what we told the customer (`ours`, when `resolved`) with the desk's grants."""
    if not resolved:
        return Misread("unreported", None, grants) if grants else None
    if not grants:
        return Misread("unbooked", ours, grants)
    for grant in grants:  # every booking must be the one we report
        found = differences(ours, grant)
        if found:
            return Misread("terms", ours, grants, found)
    return None


def _amount(terms: Mapping[str, Any]) -> float | None:
    value = terms.get("amount")
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
