"""Fixtures for the negotiation agent: a damaged-item case and its strategy."""

from __future__ import annotations

from typing import Any

import pytest

from negotiation_agent.strategy import Lookup, Strategy, build_strategy
from shared.language.reader import Reader, load_reader

ORDER_ID = "112-4839201-5839201"


def lookup_payload(item_value: float = 129.99) -> dict[str, Any]:
    """A lookup_policies output for a damaged blender."""
    return {
        "policies": [
            {
                "policy_id": "POL-DAMAGED-001",
                "title": "Damaged on arrival",
                "score": 3.2,
                "applicable": True,
                "reason": "delivered damaged within 30 days",
                "citation": "Items that arrive damaged may be refunded in full or replaced.",
                "outcomes": ["full_refund", "replacement", "partial_refund"],
            },
            {
                "policy_id": "POL-RETURNS-002",
                "title": "Standard returns",
                "score": 1.1,
                "applicable": True,
                "citation": "Returns are accepted within 30 days of delivery.",
            },
            {
                "policy_id": "POL-DIGITAL-009",
                "title": "Digital goods",
                "score": 0.3,
                "applicable": False,
            },
        ],
        "conflicts": [],
        "entitlement": {
            "entitled": True,
            "currency": "USD",
            "order_total": item_value,
            "item_value": item_value,
            "outcomes": [
                {
                    "type": "full_refund",
                    "max_amount": item_value,
                    "return_required": True,
                    "policy_ids": ["POL-DAMAGED-001"],
                },
                {"type": "replacement", "return_required": True, "policy_ids": ["POL-DAMAGED-001"]},
                {
                    "type": "partial_refund",
                    "max_amount": round(item_value * 0.9, 2),
                    "policy_ids": ["POL-DAMAGED-001"],
                },
                {
                    "type": "store_credit",
                    "max_amount": item_value,
                    "policy_ids": ["POL-RETURNS-002"],
                },
            ],
            "best": {"type": "full_refund", "amount": item_value, "return_required": True},
            "needs_human": False,
            "reason": "damaged on arrival",
        },
    }


def make_strategy(
    desired: str = "full_refund",
    *,
    max_rounds: int = 8,
    floor_amount: float | None = None,
    item_value: float = 129.99,
    beta: float = 0.3,
    payload: dict[str, Any] | None = None,
) -> Strategy:
    """A strategy built by the pure planner (no validation), from `payload` (a lookup) or the
    damaged blender's."""
    return build_strategy(
        Lookup.model_validate(payload or lookup_payload(item_value)),
        desired=desired,
        floor_amount=floor_amount,
        beta=beta,
        max_rounds=max_rounds,
        deadline_s=1800,
        floor_share=0.8,
    )


@pytest.fixture
def lookup() -> dict[str, Any]:
    return lookup_payload()


@pytest.fixture
def strategy() -> Strategy:
    return make_strategy()


@pytest.fixture(scope="session")
def reader() -> Reader:
    """The fleet's trained reader, built (or loaded from its disk cache) once per session."""
    return load_reader()
