"""The mock's admin API and customer profiles: behind CSN_MOCK_ADMIN_TOKEN, or loopback only."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from mock_cs_service.app import create_app
from mock_cs_service.config import Settings

ADMIN_CALLS = [
    ("GET", "/v1/admin/config", None),
    ("PUT", "/v1/admin/config", {"persona": "adversarial"}),
    ("POST", "/v1/admin/reset", None),
    ("GET", "/v1/customers/C-1001", None),
    ("GET", "/v1/admin/terms?order_id=112-4839201-5839201&problem_type=damaged_item", None),
]


def client_from(settings: Settings, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://cs")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
async def test_without_a_token_only_loopback_callers_get_in(
    settings: Settings, method: str, path: str, body
) -> None:
    async with client_from(settings, "172.18.0.5") as other_container:
        refused = await other_container.request(method, path, json=body)
        assert refused.status_code == 403, refused.text
        assert "CSN_MOCK_ADMIN_TOKEN" in refused.json()["detail"]
        assert (await other_container.get("/v1/orders/112-4839201-5839201")).status_code != 403
    async with client_from(settings, "127.0.0.1") as local:
        assert (await local.request(method, path, json=body)).status_code in (200, 404)


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
async def test_with_a_token_every_caller_needs_it(
    settings: Settings, method: str, path: str, body
) -> None:
    settings.mock_admin_token = SecretStr("mock-admin-secret")
    async with client_from(settings, "127.0.0.1") as local:
        assert (await local.request(method, path, json=body)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await local.request(method, path, json=body, headers=wrong)).status_code == 401
    async with client_from(settings, "172.18.0.5") as other:
        good = {"Authorization": "Bearer mock-admin-secret"}
        answer = await other.request(method, path, json=body, headers=good)
        assert answer.status_code in (200, 404)
