"""The one valuation of an offer, against hand-worked values."""

from __future__ import annotations

import pytest

from shared.domain import Offer
from shared.valuation import offer_value, return_burden


@pytest.mark.parametrize(
    ("offer", "item_value", "worth"),
    [
        ({"type": "full_refund", "amount": 80}, 100, 80.0),
        ({"type": "full_refund"}, 100, 100.0),  # no amount: the item's value
        ({"type": "partial_refund", "amount": 25.5}, 100, 25.5),
        ({"type": "partial_refund"}, 100, 0.0),  # a partial refund of nothing
        ({"type": "store_credit", "amount": 50}, 100, 45.0),  # credit at 90% of face value
        ({"type": "store_credit"}, 200, 180.0),
        ({"type": "replacement"}, 60, 60.0),
        ({"type": "reship", "amount": 1}, 60, 60.0),  # a shipment is worth the item
        ({"type": "return_label"}, 60, 0.0),
        ({"type": "none"}, 60, 0.0),
        # return burden: 2% of the item value ...
        ({"type": "full_refund", "amount": 100, "return_required": True}, 100, 98.0),
        # ... at most 5
        ({"type": "full_refund", "amount": 1000, "return_required": True}, 1000, 995.0),
        # restocking fee and return burden together: 400 - 60 - 5
        (
            {"type": "full_refund", "amount": 400, "restocking_fee": 60, "return_required": True},
            400,
            335.0,
        ),
        ({"type": "partial_refund", "amount": 3, "restocking_fee": 10}, 100, 0.0),  # never < 0
    ],
)
def test_offer_value(offer: dict, item_value: float, worth: float) -> None:
    assert offer_value(offer, item_value) == worth
    assert offer_value(Offer.model_validate(offer), item_value) == worth


def test_no_offer_is_worth_nothing() -> None:
    assert offer_value(None, 100) == 0.0


def test_return_burden_is_two_percent_capped_at_five() -> None:
    assert return_burden(49.99) == 1.0
    assert return_burden(250) == 5.0
    assert return_burden(0) == 0.0


def test_a_malformed_offer_is_refused() -> None:
    with pytest.raises(ValueError, match="type"):
        offer_value({"amount": 10}, 100)
