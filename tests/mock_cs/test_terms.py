"""The desk's terms: what the retailer grants an order for a problem, by its own rules.

Benchmarks judge grants with them instead of the negotiator's reading of policy; the
expectations here are the retailer's rules in words (see mock_cs_service/remedies.py).
"""

from __future__ import annotations

import httpx

from .conftest import BLENDER

LATE_CHAIR = "112-7731290-1187345"  # C-1001, office chair delivered 6 days late, 249.00


async def terms(client: httpx.AsyncClient, order_id: str, problem: str) -> httpx.Response:
    return await client.get(
        "/v1/admin/terms", params={"order_id": order_id, "problem_type": problem}
    )


def kinds(body: dict) -> dict[str, dict]:
    return {r["type"]: r for r in body["remedies"]}


async def test_a_damaged_item_delivered_days_ago_may_be_refunded_in_full(client) -> None:
    response = await terms(client, BLENDER, "damaged_item")
    assert response.status_code == 200
    body = response.json()
    assert body["entitled"] is True and body["order_value"] == 129.99
    allowed = kinds(body)
    assert allowed["full_refund"]["max_amount"] == 129.99
    assert "replacement" in allowed


async def test_a_normally_charged_order_owes_nothing_for_a_billing_error(client) -> None:
    body = (await terms(client, BLENDER, "billing_error")).json()
    assert body["entitled"] is False and body["remedies"] == []


async def test_a_late_delivery_earns_less_than_the_order(client) -> None:
    body = (await terms(client, LATE_CHAIR, "late_delivery")).json()
    assert body["entitled"] is True
    assert "full_refund" not in kinds(body)
    assert all((r["max_amount"] or 0) < 249.0 for r in body["remedies"])


async def test_unknown_orders_and_problems_are_refused(client) -> None:
    assert (await terms(client, "999-0000000-0000000", "damaged_item")).status_code == 404
    assert (await terms(client, BLENDER, "exploded")).status_code == 422
