"""What the retailer will give for a case: the desk's own rule table, independent of the negotiator.

Pure functions of the order's facts, the problem type and today's date. The limits
here are the retailer's ceiling: no persona ever offers beyond them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from shared.domain import Offer, OfferType, Order, OrderStatus, ProblemType

RETURN_WINDOW_DAYS = 30
WARRANTY_DAYS = 365
LATE_GOODWILL_SHARE = 0.20
MISSING_PARTS_SHARE = 0.50
NOT_AS_DESCRIBED_SHARE = 0.30
RESTOCKING_FEE_SHARE = 0.15
RETURNLESS_BELOW = 15.0
NON_RETURNABLE = frozenset({"digital", "gift_cards", "hazmat", "grocery"})
NOT_RESOLD = frozenset({"digital", "gift_cards"})
RESTOCKING_CATEGORIES = frozenset({"furniture"})
# Problems the retailer's own ledger settles, whatever a published policy says.
LEDGER_GATED = frozenset({ProblemType.BILLING_ERROR, ProblemType.REFUND_NOT_RECEIVED})
REFUND_DAYS = 5
SHIPPING_DAYS = 4
# Problems about the condition of something that arrived.
CONDITION_PROBLEMS = frozenset(
    {
        ProblemType.DAMAGED_ITEM,
        ProblemType.DEFECTIVE_ITEM,
        ProblemType.WRONG_ITEM,
        ProblemType.MISSING_PARTS,
        ProblemType.NOT_AS_DESCRIBED,
        ProblemType.UNWANTED_ITEM,
    }
)


@dataclass(frozen=True)
class Remedy:
    """One outcome the retailer allows for a case, with its ceiling and terms."""

    type: OfferType
    max_amount: float | None = None
    return_required: bool = False
    restocking_fee: float | None = None
    refund_method: str | None = None
    days_to_complete: int | None = None

    def offer(self, currency: str, amount: float | None = None) -> Offer:
        """This remedy as an offer, at `amount` (capped) or at its ceiling."""
        value = self.max_amount if amount is None else min(amount, self.max_amount or amount)
        return Offer(
            type=self.type,
            amount=None if value is None else round(value, 2),
            currency=currency,
            return_required=self.return_required,
            restocking_fee=self.restocking_fee,
            refund_method=self.refund_method,
            days_to_complete=self.days_to_complete,
        )


@dataclass(frozen=True)
class CaseTerms:
    """Everything the retailer will do for one case: remedies best first, or why nothing."""

    problem_type: ProblemType
    order_value: float
    currency: str
    remedies: tuple[Remedy, ...] = ()
    reason: str = ""
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def entitled(self) -> bool:
        """Whether the retailer gives anything at all."""
        return bool(self.remedies)

    def remedy(self, offer_type: OfferType | str) -> Remedy | None:
        """The allowed remedy of this type, if any."""
        return next((r for r in self.remedies if r.type == offer_type), None)


@dataclass(frozen=True)
class OrderFacts:
    """The facts of an order that the rules look at, derived once."""

    order: Order
    today: date
    prime: bool = False

    @property
    def categories(self) -> set[str]:
        return {item.category for item in self.order.items}

    @property
    def days_since_delivery(self) -> int | None:
        delivered = self.order.delivered_date
        return None if delivered is None else (self.today - delivered).days

    @property
    def days_since_order(self) -> int:
        return (self.today - self.order.order_date).days

    @property
    def item_value(self) -> float:
        """The price of the dearest item (policies limit by item value)."""
        return max((item.price for item in self.order.items), default=self.order.total)

    @property
    def days_late(self) -> int:
        """Days past the promised date: of the delivery, or of today if still on its way."""
        promised = self.order.promised_delivery_date
        if promised is None:
            return 0
        arrived = self.order.delivered_date
        if arrived is None and self.order.status in {OrderStatus.SHIPPED, OrderStatus.IN_TRANSIT}:
            arrived = self.today
        return max(0, (arrived - promised).days) if arrived else 0

    @property
    def returnable(self) -> bool:
        return not (self.categories & NON_RETURNABLE)

    @property
    def overcharge(self) -> float:
        """Money charged beyond the order total (a duplicate or wrong charge)."""
        charges = getattr(self.order, "charges", None) or []
        try:
            extra = sum(float(c) for c in charges) - self.order.total
        except (TypeError, ValueError):
            return 0.0
        return round(max(0.0, extra), 2)

    @property
    def refund_pending(self) -> bool:
        """Returned or cancelled, and the refund has not gone out."""
        closed = self.order.status in {OrderStatus.RETURNED, OrderStatus.CANCELLED}
        return closed and not getattr(self.order, "refund_issued", False)


def _refund(amount: float, *, return_required: bool = False, fee: float | None = None) -> Remedy:
    return Remedy(
        OfferType.FULL_REFUND,
        round(amount, 2),
        return_required=return_required,
        restocking_fee=fee,
        refund_method="original_payment",
        days_to_complete=REFUND_DAYS,
    )


def _partial(amount: float) -> Remedy:
    return Remedy(
        OfferType.PARTIAL_REFUND,
        round(amount, 2),
        refund_method="original_payment",
        days_to_complete=REFUND_DAYS,
    )


def _credit(amount: float) -> Remedy:
    return Remedy(
        OfferType.STORE_CREDIT, round(amount, 2), refund_method="store_credit", days_to_complete=1
    )


def _shipment(kind: OfferType) -> Remedy:
    return Remedy(kind, None, days_to_complete=SHIPPING_DAYS)


def _condition_gate(facts: OrderFacts, window: int = RETURN_WINDOW_DAYS) -> str:
    """Why a problem with a received item cannot be handled, or '' when it can."""
    status = facts.order.status
    if status == OrderStatus.RETURNED:
        return "this order has already been returned"
    if status != OrderStatus.DELIVERED or facts.days_since_delivery is None:
        return "our records show this order hasn't been delivered yet"
    if facts.days_since_delivery > window:
        return (
            f"this order was delivered {facts.days_since_delivery} days ago, "
            f"outside our {window}-day window"
        )
    return ""


def _needs_return(facts: OrderFacts) -> bool:
    return facts.returnable and facts.order.total >= RETURNLESS_BELOW


def _damaged(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    gate = _condition_gate(facts)
    if gate:
        return (), gate
    total = facts.order.total
    if facts.categories & NOT_RESOLD:
        return (_shipment(OfferType.REPLACEMENT), _credit(total)), ""
    return (_refund(total), _shipment(OfferType.REPLACEMENT), _credit(total)), ""


def _defective(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    total = facts.order.total
    gate = _condition_gate(facts)
    if gate and not _condition_gate(facts, WARRANTY_DAYS) and facts.returnable:
        return (_shipment(OfferType.REPLACEMENT),), ""
    if gate:
        return (), gate
    if facts.categories & {"gift_cards"}:
        return (_shipment(OfferType.REPLACEMENT),), ""
    refund = _refund(total, return_required=_needs_return(facts))
    if facts.categories & {"digital"}:
        return (refund, _credit(total)), ""
    return (refund, _shipment(OfferType.REPLACEMENT), _credit(total)), ""


def _wrong(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    gate = _condition_gate(facts)
    if gate:
        return (), gate
    total = facts.order.total
    refund = _refund(total, return_required=_needs_return(facts))
    return (refund, _shipment(OfferType.REPLACEMENT), _credit(total)), ""


def _missing_parts(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    gate = _condition_gate(facts)
    if gate:
        return (), gate
    total = facts.order.total
    return (
        _refund(total, return_required=_needs_return(facts)),
        _shipment(OfferType.REPLACEMENT),
        _partial(total * MISSING_PARTS_SHARE),
        _credit(total * MISSING_PARTS_SHARE),
    ), ""


def _not_as_described(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    gate = _condition_gate(facts)
    if gate:
        return (), gate
    total = facts.order.total
    return (
        _refund(total, return_required=_needs_return(facts)),
        _partial(total * NOT_AS_DESCRIBED_SHARE),
        _credit(total),
    ), ""


def _not_delivered(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    order = facts.order
    total = order.total
    remedies = (_refund(total), _shipment(OfferType.RESHIP), _credit(total))
    if order.status in {OrderStatus.LOST, OrderStatus.DELIVERED}:
        return remedies, ""
    if order.status in {OrderStatus.SHIPPED, OrderStatus.IN_TRANSIT} and facts.days_late >= 1:
        return remedies, ""
    if order.status in {OrderStatus.SHIPPED, OrderStatus.IN_TRANSIT, OrderStatus.ORDERED}:
        promised = order.promised_delivery_date
        when = f" and is due by {promised.isoformat()}" if promised else ""
        return (), f"the order is still on its way{when}"
    return (), f"this order is {order.status.replace('_', ' ')}, so there is no delivery to chase"


def _late(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    if facts.order.status in {OrderStatus.LOST, OrderStatus.CANCELLED}:
        return (), f"this order is {facts.order.status}, so a late-delivery credit doesn't apply"
    if facts.days_late < 1:
        return (), "this order was delivered on time according to our records"
    share = facts.order.total * LATE_GOODWILL_SHARE
    return (_partial(share), _credit(share)), ""


def _billing(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    if not order_is_charged_normally(facts):
        return (_refund(facts.order.total),), ""  # charged for an order that was cancelled
    extra = facts.overcharge
    if extra <= 0:
        return (), f"I can only see the one charge of ${facts.order.total:,.2f} on this order"
    return (_partial(extra),), ""


def _refund_missing(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    if facts.refund_pending:
        return (_refund(facts.order.total),), ""
    if getattr(facts.order, "refund_issued", False):
        when = getattr(facts.order, "refund_date", None)
        return (), f"the refund was already issued{f' on {when}' if when else ''}"
    return (), "we haven't received a return for this order, so no refund is due yet"


def _unwanted(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    if not facts.returnable:
        names = ", ".join(sorted(facts.categories & NON_RETURNABLE)).replace("_", " ")
        return (), f"{names} items can't be returned once delivered"
    gate = _condition_gate(facts)
    if gate:
        return (), gate
    total = facts.order.total
    fee = total * RESTOCKING_FEE_SHARE if facts.categories & RESTOCKING_CATEGORIES else None
    refund = _refund(total, return_required=True, fee=None if fee is None else round(fee, 2))
    return (refund, _credit(total)), ""


def _other(facts: OrderFacts) -> tuple[tuple[Remedy, ...], str]:
    return (), "I'll need a bit more detail about what went wrong before I can offer anything"


RULES: dict[ProblemType, Callable[[OrderFacts], tuple[tuple[Remedy, ...], str]]] = {
    ProblemType.DAMAGED_ITEM: _damaged,
    ProblemType.DEFECTIVE_ITEM: _defective,
    ProblemType.WRONG_ITEM: _wrong,
    ProblemType.MISSING_PARTS: _missing_parts,
    ProblemType.NOT_DELIVERED: _not_delivered,
    ProblemType.LATE_DELIVERY: _late,
    ProblemType.NOT_AS_DESCRIBED: _not_as_described,
    ProblemType.BILLING_ERROR: _billing,
    ProblemType.REFUND_NOT_RECEIVED: _refund_missing,
    ProblemType.UNWANTED_ITEM: _unwanted,
    ProblemType.OTHER: _other,
}


def merge_remedies(own: Sequence[Remedy], published: Sequence[Remedy]) -> tuple[Remedy, ...]:
    """Own remedies widened by the published policies that apply: the more generous terms win.

    The retailer honours what it publishes, so a policy can add a remedy type or raise a
    ceiling; it never narrows what the desk's own rules give.
    """
    merged = {r.type: r for r in own}
    for extra in published:
        mine = merged.get(extra.type)
        merged[extra.type] = extra if mine is None else _more_generous(mine, extra)
    return tuple(merged.values())


def _more_generous(a: Remedy, b: Remedy) -> Remedy:
    ceiling = (
        None if a.max_amount is None or b.max_amount is None else max(a.max_amount, b.max_amount)
    )
    fees = [f for f in (a.restocking_fee, b.restocking_fee) if f is not None]
    return replace(
        a,
        max_amount=ceiling,
        return_required=a.return_required and b.return_required,
        restocking_fee=min(fees) if len(fees) == 2 else None,
    )


def _capped(remedy: Remedy, cap: float) -> Remedy:
    if remedy.max_amount is None or remedy.max_amount <= cap:
        return remedy
    return replace(remedy, max_amount=round(cap, 2))


def order_is_charged_normally(facts: OrderFacts) -> bool:
    """Not a cancelled order still awaiting its refund (where the whole charge is in dispute)."""
    return not (facts.order.status == OrderStatus.CANCELLED and facts.refund_pending)


def case_terms(
    facts: OrderFacts, problem_type: ProblemType, published: Sequence[Remedy] = ()
) -> CaseTerms:
    """The retailer's remedies for this order and problem, best first."""
    own, reason = RULES[problem_type](facts)
    remedies = merge_remedies(own, published)
    if problem_type in LEDGER_GATED:
        # The retailer's own books settle these: no extra charge, no refund owed.
        cap = facts.order.total
        if problem_type == ProblemType.BILLING_ERROR and order_is_charged_normally(facts):
            cap = facts.overcharge
        remedies = tuple(_capped(r, cap) for r in remedies) if own else ()
    order = facts.order
    return CaseTerms(
        problem_type=problem_type,
        order_value=order.total,
        currency=str(getattr(order, "currency", None) or "USD"),
        remedies=remedies,
        reason="" if remedies else reason,
        facts={
            "days_since_delivery": facts.days_since_delivery,
            "days_late": facts.days_late,
            "categories": sorted(facts.categories),
            "seller": order.seller,
        },
    )


def offer_value(offer: Offer | None, order_value: float) -> float:
    """What an offer costs the retailer, in money: the yardstick personas concede along."""
    if offer is None or offer.type in {OfferType.NONE, OfferType.RETURN_LABEL}:
        return 0.0
    if offer.type in {OfferType.REPLACEMENT, OfferType.RESHIP}:
        return order_value
    amount = offer.amount if offer.amount is not None else order_value
    return amount - (offer.restocking_fee or 0.0)
