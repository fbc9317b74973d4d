"""What an offer is worth to the customer, in money: the fleet's one valuation of an offer.

The negotiator plans and accepts along it, and the benchmarks measure what a case obtained
with it, so "value" means the same thing wherever a figure is quoted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain import Offer, OfferType

STORE_CREDIT_DISCOUNT = 0.9  # credit binds the customer to the retailer: worth a bit less than cash
RETURN_BURDEN_SHARE = 0.02  # packing and a trip to the carrier, as a share of the item value
RETURN_BURDEN_CAP = 5.0


def return_burden(item_value: float) -> float:
    """What sending the item back costs the customer, in money terms."""
    return round(min(RETURN_BURDEN_CAP, RETURN_BURDEN_SHARE * item_value), 2)


def face_value(offer: Offer, item_value: float) -> float:
    """The offer's gross worth before fees and return burden."""
    kind = OfferType(offer.type)
    if kind in (OfferType.REPLACEMENT, OfferType.RESHIP):
        return item_value
    if kind is OfferType.FULL_REFUND:
        return offer.amount if offer.amount is not None else item_value
    if kind is OfferType.STORE_CREDIT:
        credit = offer.amount if offer.amount is not None else item_value
        return credit * STORE_CREDIT_DISCOUNT
    if kind is OfferType.PARTIAL_REFUND:
        return offer.amount or 0.0
    return 0.0


def offer_value(offer: Offer | Mapping[str, Any] | None, item_value: float) -> float:
    """The offer's worth to the customer: face value minus restocking fee and return burden.

    Takes an `Offer` or its JSON form (a dict, as a session document or a ledger holds it);
    no offer is worth nothing.
    """
    if offer is None:
        return 0.0
    if not isinstance(offer, Offer):
        offer = Offer.model_validate(dict(offer))
    burden = return_burden(item_value) if offer.return_required else 0.0
    value = face_value(offer, item_value) - (offer.restocking_fee or 0.0) - burden
    return round(max(0.0, value), 2)
