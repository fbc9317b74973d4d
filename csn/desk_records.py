"""The CS desk's own records, read over HTTP: what benchmarks judge the fleet with.

The mock CS desk keeps the counterparty's account of every case: its ledger of what it
granted (`GET /v1/admin/ledger`), what the retailer owes an order for a problem
(`GET /v1/admin/terms`) and every conversation (`GET /v1/contacts/{id}`). Benchmarks read
them here, in one place, whether the desk runs on a socket or in-process
(`httpx.ASGITransport`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from csn.ledger import Owed, exchanges, owed


class DeskRecords:
    """Reads the desk's records (`base_url`: the mock CS service)."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, admin_token: str | None = None
    ) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        token = os.environ.get("CSN_MOCK_ADMIN_TOKEN", "") if admin_token is None else admin_token
        # Without a token set, the desk answers its admin API to loopback callers only.
        self.admin = {"Authorization": f"Bearer {token}"} if token else {}

    async def admin_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the desk's admin API (`/v1/admin/...`), with the admin token if set."""
        headers = {**self.admin, **kwargs.pop("headers", {})}
        return await self.http.request(method, self.base + path, headers=headers, **kwargs)

    async def ledger(self) -> dict[str, Any] | None:
        """`{agreements, key_conflicts}`: what the desk granted since its last reset (None
        when the desk keeps no ledger)."""
        response = await self.admin_request("GET", "/v1/admin/ledger")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else None

    async def terms(self, order_id: str, problem_type: str) -> dict[str, Any] | None:
        """What the retailer grants the order for the problem; None when the desk keeps no
        terms (an older desk) or knows no such order."""
        params = {"order_id": order_id, "problem_type": problem_type}
        response = await self.admin_request("GET", "/v1/admin/terms", params=params)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else None

    async def owed(self, order_id: str, problem_type: str) -> Owed | None:
        """The desk's terms for a case as the yardstick to judge it with."""
        terms = await self.terms(order_id, problem_type)
        return None if terms is None else owed(terms)

    async def transcript(self, contact_id: str) -> dict[str, Any] | None:
        """One conversation as the desk recorded it (None for a contact it does not know)."""
        path = f"/v1/contacts/{quote(contact_id, safe='')}"
        response = await self.http.get(self.base + path)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else None

    async def exchanges(self, contact_ids: Iterable[str | None]) -> int:
        """Exchanges over a case's contacts, counted from the desk's transcripts."""
        total = 0
        for contact_id in dict.fromkeys(c for c in contact_ids if c):
            transcript = await self.transcript(contact_id)
            total += exchanges(transcript) if transcript is not None else 0
        return total
