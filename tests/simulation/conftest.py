"""Fixtures for the whole-workflow simulation tests."""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st

from csn.scenarios import ID_STYLES, PERSONAS, Scenario, compose, outcomes_for, problems_for
from mock_cs_service.app import create_app as create_mock_cs
from mock_cs_service.config import Settings as MockCSSettings
from tests.simulation.inprocess import REPO

CUSTOMERS = range(1001, 1010)


@cache
def order_catalogue() -> tuple[dict[str, Any], ...]:
    """Every order with items the mock's order system knows, read once through its API."""
    settings = MockCSSettings(policy_dir=REPO / "policies", log_level="WARNING", _env_file=None)
    found: list[dict[str, Any]] = []
    with TestClient(create_mock_cs(settings)) as client:
        for number in CUSTOMERS:
            response = client.get(f"/v1/customers/C-{number}/orders")
            if response.status_code == 200:
                found += response.json()["orders"]
    return tuple(sorted((o for o in found if o.get("items")), key=lambda o: o["order_id"]))


def orders_of(customer_id: str) -> set[str]:
    """The ids of one customer's orders."""
    return {o["order_id"] for o in order_catalogue() if o["customer_id"] == customer_id}


@st.composite
def scenarios(draw: st.DrawFn, personas: tuple[str, ...] = PERSONAS) -> Scenario:
    """A customer's case: an order, a plausible problem and wish, phrased messily."""
    order = draw(st.sampled_from(order_catalogue()))
    problem = draw(st.sampled_from(problems_for(order, date.today())))
    outcome = draw(st.sampled_from(outcomes_for(problem)))
    style = draw(st.sampled_from(ID_STYLES))
    persona = draw(st.sampled_from(personas))
    wording = draw(st.integers(0, 2**16))
    message = compose(random.Random(wording), order, problem, outcome, style)
    return Scenario(
        0, persona, order["customer_id"], order["order_id"], problem, outcome, style, message
    )
