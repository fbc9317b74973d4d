"""Fixtures for the mock CS service: an app over a small policy corpus of our own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_cs_service.app import create_app
from mock_cs_service.config import Settings

BLENDER = "112-4839201-5839201"  # C-1001, kitchen, delivered 5 days ago, 129.99
CUSTOMER = "C-1001"

POLICIES = {
    "dmg-t-001.md": """---
policy_id: DMG-T-001
title: Damaged on arrival
scope:
  problem_types: [damaged_item]
conditions:
  days_since_delivery_max: 30
  order_status_in: [delivered]
outcomes:
- type: full_refund
  return_required: true
- type: partial_refund
  max_share: 0.3
citation: Damaged items are refunded or replaced within 30 days.
---
# Damaged on arrival
""",
    "dmg-old-001.md": """---
policy_id: DMG-OLD-001
title: Damage reported late
scope:
  problem_types: [damaged_item]
conditions:
  days_since_delivery_min: 31
outcomes:
- type: store_credit
  max_share: 0.1
citation: Damage reported after 30 days earns a small credit.
---
""",
    "late-t-001.md": """---
policy_id: LATE-T-001
title: Late delivery credit
scope:
  problem_types: [late_delivery]
outcomes:
- type: store_credit
  max_amount: 10
citation: Late orders earn a credit.
---
""",
    "broken.md": "---\npolicy_id: [unclosed\n---\n",
}


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name, text in POLICIES.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def settings(tmp_path: Path, policy_dir: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", policy_dir=policy_dir, log_json=False)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cs") as http:
        yield http


Post = Callable[..., Any]


@pytest.fixture
def configure(client: httpx.AsyncClient) -> Callable[..., Any]:
    async def apply(**config: Any) -> dict[str, Any]:
        response = await client.put("/v1/admin/config", json=config)
        assert response.status_code == 200, response.text
        return response.json()

    return apply


@pytest.fixture
def open_contact(client: httpx.AsyncClient) -> Callable[..., Any]:
    async def do(
        key: str = "open-1",
        order_id: str = BLENDER,
        problem_type: str | None = "damaged_item",
        customer_id: str = CUSTOMER,
    ) -> str:
        body = {"customer_id": customer_id, "order_id": order_id, "problem_type": problem_type}
        response = await client.post("/v1/contacts", json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text
        return str(response.json()["contact_id"])

    return do


@pytest.fixture
def say(client: httpx.AsyncClient) -> Callable[..., Any]:
    counter = {"n": 0}

    async def do(contact_id: str, key: str | None = None, **body: Any) -> httpx.Response:
        counter["n"] += 1
        body.setdefault("text", "Hello")
        headers = {"Idempotency-Key": key or f"msg-{counter['n']}"}
        return await client.post(f"/v1/contacts/{contact_id}/messages", json=body, headers=headers)

    return do
