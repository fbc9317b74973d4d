"""The agent over A2A: plan_strategy validated with a (fake) context agent, negotiate end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from negotiation_agent.app import create_app
from negotiation_agent.config import Settings
from shared.a2a.client import A2ACallError, A2AClient
from shared.a2a.server import Skill, SkillContext
from shared.domain import Offer
from shared.service import create_service_app
from shared.settings import ServiceSettings
from tests.negotiation.conftest import ORDER_ID, lookup_payload
from tests.negotiation.fakes import FakeDesk, FakeValidator, offer, scripted

TOKEN = "test-token-negotiation"


class ValidateInput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    order_id: str
    problem_type: str
    offer: Offer
    source: str = "ask"


class Routes(httpx.AsyncBaseTransport):
    """Sends each host to its own in-process transport."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.routes.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        return await transport.handle_async_request(request)


class Fleet:
    def __init__(self, tmp_path, validator: FakeValidator, desk: FakeDesk) -> None:
        self.validator = validator
        self.desk = desk

        async def validate(inp: ValidateInput, ctx: SkillContext) -> dict[str, Any]:
            result = await validator.validate(
                inp.order_id, inp.problem_type, inp.offer, None, inp.source
            )
            return result.model_dump()

        skill = Skill("validate_solution", "Validate", "Checks an offer.", validate, ValidateInput)
        context_settings = ServiceSettings(port=9001, var_dir=tmp_path, agent_token=TOKEN)
        context_app = create_service_app(
            context_settings, name="context_agent", description="x", skills=[skill]
        )
        self.routes = Routes(
            {
                "context.test": httpx.ASGITransport(app=context_app),
                "cs.test": httpx.MockTransport(desk),
            }
        )
        settings = Settings(
            var_dir=tmp_path,
            agent_token=TOKEN,
            context_url="http://context.test",
            cs_url="http://cs.test",
            cs_retry_initial_s=0,
            a2a_max_attempts=1,
        )
        self.app = create_app(settings, transport=self.routes)


@pytest.fixture
def validator() -> FakeValidator:
    return FakeValidator()


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk(scripted(offer("full_refund", 129.99, return_required=True)))


@pytest.fixture
async def fleet(tmp_path, validator, desk) -> AsyncIterator[Fleet]:
    fleet = Fleet(tmp_path, validator, desk)
    async with fleet.app.router.lifespan_context(fleet.app):
        yield fleet


@pytest.fixture
async def agent(fleet) -> AsyncIterator[A2AClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fleet.app)) as http:
        yield A2AClient(
            http, "http://negotiation.test", TOKEN, peer="negotiation_agent", attempts=1
        )


def plan_input(**extra: Any) -> dict[str, Any]:
    analysis = {
        "customer_id": "C-1001",
        "order_id": ORDER_ID,
        "problem_type": "damaged_item",
        "desired_outcome": "full_refund",
        "confidence": 0.9,
        "needs_clarification": False,
    }
    return {"analysis": analysis, "lookup": lookup_payload(), **extra}


async def test_plan_strategy_validates_every_ask_over_a2a(agent, validator) -> None:
    result = await agent.call_skill("plan_strategy", plan_input())
    assert result.ok, result.message
    plan = result.output
    assert plan["validated"] is True and plan["opening_ask"]["type"] == "full_refund"
    asked = {
        Offer.model_validate(r["ask"]).model_dump_json() for r in plan["concession_plan"]["rounds"]
    }
    checked = {o.model_dump_json() for o in validator.calls}
    assert asked <= checked
    assert plan["max_rounds"] == 8 and plan["deadline_s"] == 1800
    assert plan["arguments"][0]["policy_id"] == "POL-DAMAGED-001" and plan["summary"]


@pytest.mark.parametrize("validator", [FakeValidator(allowed=("replacement", "store_credit"))])
async def test_an_invalid_goal_is_replaced_by_the_best_valid_outcome(agent, validator) -> None:
    plan = (await agent.call_skill("plan_strategy", plan_input())).output
    assert plan["goal"]["type"] == "replacement"
    assert {r["ask"]["type"] for r in plan["concession_plan"]["rounds"]} == {"replacement"}


@pytest.mark.parametrize("validator", [FakeValidator(allowed=("full_refund", "replacement"))])
async def test_invalid_concession_asks_fall_back_to_the_goal(agent, validator) -> None:
    plan = (await agent.call_skill("plan_strategy", plan_input())).output
    assert plan["goal"]["type"] == "full_refund"
    assert any(o.type == "partial_refund" for o in validator.calls)  # the concessions were checked
    assert [r["ask"] for r in plan["concession_plan"]["rounds"]] == [plan["goal"]] * 8


@pytest.mark.parametrize("validator", [FakeValidator(limit=100)])
async def test_a_goal_over_the_limit_is_replaced_by_a_valid_outcome(agent, validator) -> None:
    plan = (await agent.call_skill("plan_strategy", plan_input(goal="partial_refund"))).output
    assert plan["validated"] and plan["goal"]["type"] == "replacement"


async def test_not_entitled_fails_with_the_reason(agent) -> None:
    payload = plan_input()
    payload["lookup"]["entitlement"].update(entitled=False, reason="outside the 30-day window")
    result = await agent.call_skill("plan_strategy", payload)
    assert result.state == "TASK_STATE_FAILED" and "30-day window" in result.message


async def test_bad_input_is_invalid_params(agent) -> None:
    with pytest.raises(A2ACallError) as caught:
        await agent.call_skill("plan_strategy", {"analysis": {"order_id": "nope"}})
    assert caught.value.code == -32602
    with pytest.raises(A2ACallError) as caught:
        await agent.call_skill("negotiate", {"session_id": "s", "attempt": 0})
    assert caught.value.code == -32602


async def test_negotiate_end_to_end_over_a2a(agent, desk) -> None:
    strategy = (await agent.call_skill("plan_strategy", plan_input())).output
    base = {
        "session_id": "sess-9",
        "attempt": 1,
        "customer_id": "C-1001",
        "order_id": ORDER_ID,
        "problem_type": "damaged_item",
        "strategy": strategy,
        "state": None,
        "action": "continue",
    }
    first = await agent.call_skill("negotiate", base)
    assert first.ok, first.message
    out = first.output
    assert not out["done"] and out["round"]["decision"] == "confirm"
    assert out["round"]["sent"] and out["state"]["contact_id"] == "CT-1"
    second = await agent.call_skill("negotiate", {**base, "state": out["state"]})
    out = second.output
    assert out["done"] and out["outcome"]["status"] == "agreement"
    assert desk.confirmed and desk.ledger == []
    done = await agent.call_skill("negotiate", {**base, "state": out["state"], "action": "accept"})
    assert done.output["outcome"]["status"] == "accepted"
    assert desk.ledger == [offer("full_refund", 129.99, return_required=True)]
    assert desk.seen_keys == ["sess-9:1:0", "sess-9:1:1", "sess-9:1:2", "sess-9:1:3"]


async def test_context_agent_down_fails_the_plan_clearly(fleet, agent) -> None:
    fleet.routes.routes.pop("context.test")
    result = await agent.call_skill("plan_strategy", plan_input())
    assert result.state == "TASK_STATE_FAILED" and "context agent" in result.message


async def test_card_and_readiness(fleet) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fleet.app), base_url="http://n"
    ) as http:
        card = (await http.get("/.well-known/agent-card.json")).json()
        assert {s["id"] for s in card["skills"]} == {"plan_strategy", "negotiate", "follow_up"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        fleet.routes.routes.pop("cs.test")
        down = await http.get("/readyz")
        assert down.status_code == 503 and down.json()["checks"]["cs_desk"] is False
