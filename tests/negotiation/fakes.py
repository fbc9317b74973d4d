"""Test doubles at the HTTP edge: a scripted CS desk with an idempotency cache, a policy checker."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from negotiation_agent.skills import Validation
from shared.domain import Offer

Script = Callable[[dict[str, Any], int], dict[str, Any]]


def offer(kind: str, amount: float | None = None, **terms: Any) -> dict[str, Any]:
    """A structured CS offer."""
    return {"type": kind, "amount": amount, "currency": "USD", **terms}


def scripted(*offers: dict[str, Any] | None) -> Script:
    """CS answers each ask with the next scripted offer (the last one repeats)."""

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        made = offers[min(n, len(offers) - 1)] if offers else None
        return {"text": "Here is what we can do.", "offer": made, "asks": [], "closed": False}

    return reply


@dataclass
class FakeDesk:
    """The CS desk contract (DESIGN 5): idempotent posts, contacts, accept/close intents."""

    script: Script
    fail_first: int = 0  # answer 503 this many times first
    processed: list[dict[str, Any]] = field(default_factory=list)
    cache: dict[str, tuple[str, httpx.Response]] = field(default_factory=dict)
    seen_keys: list[str] = field(default_factory=list)
    closed: bool = False
    last_offer: dict[str, Any] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if self.fail_first > 0:
            self.fail_first -= 1
            return httpx.Response(503, json={"detail": "busy"})
        key = request.headers.get("Idempotency-Key", "")
        self.seen_keys.append(key)
        body = request.content.decode()
        if key in self.cache:
            first_body, response = self.cache[key]
            return (
                response
                if first_body == body
                else httpx.Response(409, json={"detail": "key reuse"})
            )
        response = self.handle(request.url.path, json.loads(body))
        self.cache[key] = (body, response)
        return response

    def handle(self, path: str, body: dict[str, Any]) -> httpx.Response:
        if path == "/v1/contacts":
            return httpx.Response(201, json={"contact_id": "CT-1", "status": "open", "text": "Hi!"})
        if self.closed:
            return httpx.Response(409, json={"detail": "contact is closed"})
        self.processed.append(body)
        intent = body.get("intent")
        if intent == "accept":
            self.closed = True
            agreed = self.last_offer is not None
            return httpx.Response(
                200,
                json={"text": "Done.", "offer": self.last_offer, "closed": True, "agreed": agreed},
            )
        if intent == "close":
            self.closed = True
            return httpx.Response(
                200, json={"text": "Goodbye.", "offer": None, "closed": True, "agreed": False}
            )
        asks = sum(1 for b in self.processed if b.get("intent") in ("ask", "supervisor"))
        reply = self.script(body, asks - 1)
        self.last_offer = reply.get("offer") or self.last_offer
        return httpx.Response(
            200, json={"message_id": f"M{len(self.processed)}", "agreed": False, **reply}
        )


class FakeValidator:
    """validate_solution as the context agent answers it: within the entitled limits."""

    def __init__(
        self,
        limit: float = 129.99,
        allowed: tuple[str, ...] = (
            "full_refund",
            "partial_refund",
            "replacement",
            "store_credit",
            "reship",
        ),
    ) -> None:
        self.limit = limit
        self.allowed = allowed
        self.calls: list[Offer] = []
        self.sources: list[str] = []

    async def validate(
        self,
        order_id: str,
        problem_type: str,
        offer: Offer,
        customer_id: str | None,
        source: str = "ask",
    ) -> Validation:
        self.calls.append(offer)
        self.sources.append(source)
        violations = []
        if offer.type not in self.allowed:
            violations.append(f"{offer.type} is not allowed")
        if (offer.amount or 0) > self.limit + 0.005:
            violations.append("amount above the policy limit")
        return Validation(
            valid=not violations, violations=violations, policy_basis=["POL-DAMAGED-001"]
        )
