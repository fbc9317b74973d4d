"""The order system: data loading with relative dates, and the order endpoints."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from mock_cs_service.app import create_app
from mock_cs_service.config import Settings
from mock_cs_service.orders import DEFAULT_DATA, OrderBook, OrderDataError, resolve_date

from .conftest import BLENDER, CUSTOMER

TODAY = date(2026, 3, 15)
CATEGORIES = {
    "electronics", "computers", "kitchen", "home", "apparel", "shoes", "books", "toys",
    "grocery", "beauty", "digital", "gift_cards", "hazmat", "jewelry", "furniture", "sports",
}  # fmt: skip
STATUSES = {"ordered", "shipped", "in_transit", "delivered", "lost", "cancelled", "returned"}


def order(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "order_id": "200-0000001-0000001",
        "customer_id": "C-1",
        "order_date": "-20d",
        "promised_delivery_date": "+3d",
        "delivered_date": None,
        "status": "in_transit",
        "total": 10.0,
        "items": [{"sku": "S", "title": "Thing", "category": "home", "price": 10.0}],
    }
    return {**base, **overrides}


CUSTOMERS = [{"customer_id": "C-1", "name": "N", "email": "n@example.com"}]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-20d", "2026-02-23"),
        ("+3d", "2026-03-18"),
        ("0d", "2026-03-15"),
        ("5d", "2026-03-20"),
        ("2025-12-01", "2025-12-01"),
        (None, None),
    ],
)
def test_dates_resolve_relative_to_today(raw: str | None, expected: str | None) -> None:
    assert resolve_date(raw, TODAY) == expected


def test_book_resolves_offsets_and_keeps_absolute_dates() -> None:
    data = {"customers": CUSTOMERS, "orders": [order(delivered_date="2026-03-01")]}
    book = OrderBook.from_data(data, TODAY)
    loaded = book.order("200-0000001-0000001")
    assert loaded is not None
    assert loaded.order_date == TODAY - timedelta(days=20)
    assert loaded.promised_delivery_date == TODAY + timedelta(days=3)
    assert loaded.delivered_date == date(2026, 3, 1)


def test_extra_date_fields_resolve_too() -> None:
    data = {"customers": CUSTOMERS, "orders": [order(return_received_date="-2d")]}
    loaded = OrderBook.from_data(data, TODAY).order("200-0000001-0000001")
    assert loaded.model_dump()["return_received_date"] == "2026-03-13"


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"customers": CUSTOMERS, "orders": [order(status="teleported")]},
        {"customers": CUSTOMERS, "orders": [order(order_date="last tuesday")]},
        {"customers": [], "orders": [order()]},
    ],
)
def test_malformed_data_is_a_clear_error(data: object) -> None:
    with pytest.raises(OrderDataError):
        OrderBook.from_data(data, TODAY)  # type: ignore[arg-type]


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "orders.json"
    bad.write_text("{not json")
    with pytest.raises(OrderDataError, match="orders.json"):
        OrderBook.load(bad, TODAY)


def test_default_data_covers_the_cases_the_fleet_needs() -> None:
    book = OrderBook.load(DEFAULT_DATA, date.today())
    raw = json.loads(DEFAULT_DATA.read_text())
    orders = [book.order(o["order_id"]) for o in raw["orders"]]
    assert len(raw["customers"]) >= 8 and len(orders) >= 36
    assert {i.category for o in orders for i in o.items} == CATEGORIES
    assert {o.status for o in orders} == STATUSES
    assert {o.seller for o in orders} == {"retailer", "third_party"}
    prices = [i.price for o in orders for i in o.items]
    assert min(prices) >= 6 and max(o.total for o in orders) <= 1400
    mine = book.orders_of(CUSTOMER)
    assert len(mine) >= 10
    titles = [o.items[0].title for o in mine]
    assert sum("Earbuds" in t for t in titles) == 2  # two similar items: ambiguity
    assert {o.status for o in mine} >= {"delivered", "lost", "returned", "in_transit"}
    assert any(o.seller == "third_party" for o in mine)
    assert any(getattr(o, "charges", None) for o in mine)


async def test_order_endpoint_returns_the_order_without_personal_data(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/v1/orders/{BLENDER}")
    assert response.status_code == 200
    body = response.json()
    assert body["order_id"] == BLENDER and body["prime"] is True
    assert body["items"][0]["category"] == "kitchen"
    assert not {"name", "email", "phone", "address"} & set(body)
    assert date.fromisoformat(body["delivered_date"]) == date.today() - timedelta(days=5)


async def test_customer_orders_newest_first(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/customers/{CUSTOMER}/orders")
    assert response.status_code == 200
    body = response.json()
    dates = [o["order_date"] for o in body["orders"]]
    assert dates == sorted(dates, reverse=True)
    assert all(o["customer_id"] == CUSTOMER for o in body["orders"])
    assert "email" not in json.dumps(body)


@pytest.mark.parametrize(
    "path",
    ["/v1/orders/999-0000000-0000000", "/v1/customers/C-9999/orders", "/v1/customers/C-9999"],
)
async def test_unknown_ids_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no such")


async def test_profile_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/customers/{CUSTOMER}")
    assert response.status_code == 200 and response.json()["prime"] is True


async def test_customer_list_has_ids_and_membership_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/customers")
    assert response.status_code == 200
    listed = response.json()["customers"]
    shipped = json.loads(DEFAULT_DATA.read_text())["customers"]
    assert [c["customer_id"] for c in listed] == sorted(c["customer_id"] for c in shipped)
    assert {tuple(sorted(c)) for c in listed} == {("customer_id", "prime")}
    assert {c["customer_id"]: c["prime"] for c in listed}[CUSTOMER] is True


async def test_mock_data_setting_replaces_the_default(tmp_path: Path, policy_dir: Path) -> None:
    data = tmp_path / "mine.json"
    data.write_text(json.dumps({"customers": CUSTOMERS, "orders": [order()]}))
    settings = Settings(var_dir=tmp_path / "var", policy_dir=policy_dir, mock_data=data)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://cs") as http:
        assert (await http.get("/v1/orders/200-0000001-0000001")).status_code == 200
        assert (await http.get(f"/v1/orders/{BLENDER}")).status_code == 404
        assert (await http.get("/readyz")).status_code == 200
        listed = (await http.get("/v1/customers")).json()
        assert listed == {"customers": [{"customer_id": "C-1", "prime": False}]}


def test_loaded_customers_are_masked_in_this_process_logs() -> None:
    from mock_cs_service.orders import OrderBook
    from shared.domain import Customer
    from shared.redaction import redact

    customer = Customer(
        customer_id="C-9",
        name="Zebulon Quartermaine",
        email="zq@example.test",
        phone="+1 555 010 9999",
        address="1 Nowhere Lane, Springfield",
    )
    OrderBook([customer], [])
    line = redact("escalating for Zebulon Quartermaine (Quartermaine) at Springfield")
    assert "Zebulon" not in line and "Quartermaine" not in line


def test_relative_dates_follow_the_current_day_while_the_service_runs(tmp_path: Path) -> None:
    """Resolved once at start-up, `-20d` drifted: after a week it meant 27 days ago."""
    data = {
        "customers": [{"customer_id": "C-1", "name": "A", "email": "a@example.com"}],
        "orders": [order(order_date="-20d", delivered_date="-10d")],
    }
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(data))
    day = {"today": TODAY}
    book = OrderBook.load(path, lambda: day["today"])
    assert book.order("200-0000001-0000001").delivered_date == TODAY - timedelta(days=10)
    day["today"] = TODAY + timedelta(days=7)
    found = book.order("200-0000001-0000001")
    assert found.delivered_date == TODAY - timedelta(days=3)
    assert book.orders_of("C-1")[0].order_date == TODAY - timedelta(days=13)


def test_every_service_dates_by_the_utc_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The context agent used the local date, the mock UTC: day-30 edges disagreed."""
    import inspect
    import time
    from datetime import UTC, datetime

    from context_agent.app import create_app as context_app
    from shared.clock import utc_today

    monkeypatch.setenv("TZ", "Etc/GMT-14")  # UTC+14: the local date is often tomorrow
    time.tzset()
    try:
        assert utc_today() == datetime.now(UTC).date()
        assert inspect.signature(context_app).parameters["clock"].default is utc_today
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
