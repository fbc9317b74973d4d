"""Fixtures of the context agent's tests: a fixed day, the rule tables, the reader, orders."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from context_agent.extraction import ExtractionRules, load_rules
from context_agent.policies import PolicyIndex, load_policies
from shared.domain import Order
from shared.language.reader import Reader, load_reader

TODAY = date(2026, 6, 15)  # outside the holiday season unless a test says otherwise
POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"


def make_order(
    order_id: str = "112-4839201-5839201",
    *,
    category: str = "kitchen",
    price: float = 129.99,
    title: str = "Ninja Professional Blender 1000W",
    delivered_days_ago: int | None = 5,
    ordered_days_ago: int | None = None,
    late_days: int = 0,
    status: str = "delivered",
    seller: str = "retailer",
    customer_id: str = "C-1001",
    today: date = TODAY,
    extra_items: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An order record as the order system returns it."""
    delivered = (
        today - timedelta(days=delivered_days_ago) if delivered_days_ago is not None else None
    )
    anchor = delivered or today
    ordered = (
        today - timedelta(days=ordered_days_ago)
        if ordered_days_ago is not None
        else (anchor - timedelta(days=4))
    )
    promised = (delivered - timedelta(days=late_days)) if delivered else ordered + timedelta(days=3)
    items = [
        {
            "sku": "SKU-" + category.upper()[:6],
            "title": title,
            "category": category,
            "price": price,
            "quantity": 1,
        },
        *(extra_items or []),
    ]
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "order_date": ordered.isoformat(),
        "promised_delivery_date": promised.isoformat(),
        "delivered_date": delivered.isoformat() if delivered else None,
        "status": status,
        "seller": seller,
        "payment_method": "card",
        "total": round(sum(i["price"] * i["quantity"] for i in items), 2),
        "items": items,
        **fields,
    }


def as_order(record: dict[str, Any]) -> Order:
    return Order.model_validate(record)


@pytest.fixture(scope="session")
def rules() -> ExtractionRules:
    return load_rules()


@pytest.fixture(scope="session")
def reader() -> Reader:
    """The fleet's reader, trained on the corpora's train split (built once, cached on disk)."""
    return load_reader()


@pytest.fixture(scope="session")
def index() -> PolicyIndex:
    return PolicyIndex(load_policies(POLICY_DIR))


CUSTOMER_ORDERS = [
    make_order(
        "112-4839201-5839201",
        category="kitchen",
        title="Ninja Professional Blender 1000W",
        price=129.99,
        delivered_days_ago=10,
    ),
    make_order(
        "113-1111111-2222222",
        category="electronics",
        title="Sony Wireless Headphones WH-CH520",
        price=59.50,
        delivered_days_ago=20,
    ),
    make_order(
        "114-3333333-4444444",
        category="toys",
        title="LEGO Classic Bricks Box",
        price=25.00,
        delivered_days_ago=None,
        ordered_days_ago=9,
        status="in_transit",
    ),
    make_order(
        "115-5555555-6666666",
        category="apparel",
        title="Merino Wool Sweater",
        price=89.00,
        delivered_days_ago=3,
    ),
    make_order(
        "116-7777777-8888888",
        category="books",
        title="The Pragmatic Programmer",
        price=42.00,
        delivered_days_ago=40,
        status="returned",
    ),
]


@pytest.fixture
def orders() -> list[Order]:
    return [as_order(r) for r in CUSTOMER_ORDERS]
