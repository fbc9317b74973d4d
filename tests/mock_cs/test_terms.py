"""The desk's terms: what the retailer grants an order for a problem, by its own rules.

Benchmarks judge grants with them instead of the negotiator's reading of policy; the
expectations here are the retailer's rules in words (see mock_cs_service/remedies.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mock_cs_service.app import create_app
from mock_cs_service.config import Settings

from .conftest import BLENDER

REPO = Path(__file__).resolve().parents[2]

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


@pytest.fixture
async def retailer(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """The desk with the shipped orders and the retailer's published policies."""
    settings = Settings(var_dir=tmp_path, policy_dir=REPO / "policies", log_json=False)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://cs") as http:
        yield http


async def test_a_policy_that_grants_nothing_excludes_the_general_ones(retailer) -> None:
    """Gift cards are not returnable (NR-GFT-001), whatever the general return policy says."""
    body = (await terms(retailer, "119-4445464-7484950", "unwanted_item")).json()
    assert body["entitled"] is False and body["remedies"] == []


async def test_goodwill_alone_is_allowed_but_not_owed(retailer) -> None:
    """A parcel still on its way, not yet late: a member's goodwill credit at most."""
    body = (await terms(retailer, "112-4397856-2240582", "not_delivered")).json()
    assert body["entitled"] is False
    assert [r["type"] for r in body["remedies"]] == ["store_credit"]
    assert body["remedies"][0]["max_amount"] <= 0.1 * 32.0
