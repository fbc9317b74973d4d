"""The agent over A2A: the three skills against a faked order system (httpx.MockTransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from context_agent.app import create_app
from context_agent.config import Settings
from shared import metrics
from shared.a2a.client import A2ACallError, A2AClient
from shared.a2a.models import TaskState
from shared.limits import MAX_ISSUE_CHARS
from tests.context.conftest import CUSTOMER_ORDERS, POLICY_DIR, TODAY, make_order

TOKEN = "test-token-context"
B = "112-4839201-5839201"
H = "113-1111111-2222222"
FOREIGN = "200-1234567-7654321"


@dataclass
class OrderSystemFake:
    """The mock CS order endpoints, with optional failures."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: set[str] = field(default_factory=lambda: {"C-1001", "C-2002"})
    failures_left: int = 0
    down: bool = False
    calls: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        if self.failures_left > 0:
            self.failures_left -= 1
            return httpx.Response(503, json={"detail": "busy"})
        parts = path.strip("/").split("/")
        if path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if parts[:2] == ["v1", "orders"] and len(parts) == 3:
            order = self.orders.get(parts[2])
            return httpx.Response(200, json=order) if order else httpx.Response(404, json={})
        if parts[:2] == ["v1", "customers"] and len(parts) == 4 and parts[3] == "orders":
            if parts[2] not in self.customers:
                return httpx.Response(404, json={"detail": "unknown customer"})
            mine = [o for o in self.orders.values() if o["customer_id"] == parts[2]]
            return httpx.Response(200, json={"customer_id": parts[2], "orders": mine})
        return httpx.Response(404, json={})


@pytest.fixture
def order_system() -> OrderSystemFake:
    fake = OrderSystemFake()
    for record in CUSTOMER_ORDERS:
        fake.orders[record["order_id"]] = {**record, "prime": True}
    fake.orders[FOREIGN] = make_order(FOREIGN, customer_id="C-2002")
    return fake


@pytest.fixture
async def agent(tmp_path, order_system) -> AsyncIterator[A2AClient]:
    settings = Settings(
        var_dir=tmp_path,
        agent_token=TOKEN,
        cs_url="http://cs.test",
        policy_dir=POLICY_DIR,
        order_retry_initial_s=0,
    )
    app = create_app(
        settings, transport=httpx.MockTransport(order_system.handle), clock=lambda: TODAY
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://context.test") as http:
            http.app = app  # type: ignore[attr-defined]
            yield A2AClient(http, "http://context.test", TOKEN, peer="context_agent", attempts=1)


# ---------------------------------------------------------------- analyze_issue


async def test_analyze_issue_finds_the_order_and_its_facts(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue",
        {
            "customer_id": "C-1001",
            "message": f"My blender #{B} arrived cracked, full refund please",
        },
    )
    assert result.state == TaskState.COMPLETED
    out = result.output
    assert out["order_id"] == B and out["problem_type"] == "damaged_item"
    assert out["desired_outcome"] == "full_refund" and out["needs_clarification"] is False
    assert out["order"]["items"][0]["category"] == "kitchen"
    assert out["customer_id"] == "C-1001" and "question" not in out


async def test_analyze_issue_asks_when_the_order_is_ambiguous(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue",
        {"customer_id": "C-1001", "message": f"orders {B} and {H} both arrived broken"},
    )
    assert result.state == TaskState.INPUT_REQUIRED
    assert result.output["needs_clarification"] is True
    assert set(result.output["candidates"]) == {B, H}
    assert B in result.output["question"] and B in result.message


async def test_analyze_issue_never_picks_another_customers_order(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue", {"customer_id": "C-1001", "message": f"order {FOREIGN} is broken"}
    )
    assert result.output["order_id"] != FOREIGN


async def test_analyze_issue_uses_the_given_order_id(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue", {"customer_id": "C-1001", "message": "it stopped working", "order_id": H}
    )
    assert result.output["order_id"] == H and result.output["problem_type"] == "defective_item"


VAGUE = "I have a problem with my order"  # says nothing about what is wrong: must be asked


async def test_an_unsure_reading_is_input_required_with_choices(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue", {"customer_id": "C-1001", "message": VAGUE, "order_id": B}
    )
    assert result.state == TaskState.INPUT_REQUIRED
    out = result.output
    assert out["needs_clarification"] is True and out["order_id"] == B
    assert out["order"]["order_id"] == B  # the order is settled; only the reading is asked
    ids = [c["id"] for c in out["choices"]]
    assert 3 <= len(ids) <= 4 and ids[-1] == "problem:other"
    assert all(i.startswith("problem:") for i in ids)
    assert out["question"] and result.message == out["question"]


async def test_a_picked_choice_settles_the_reading(agent) -> None:
    asked = await agent.call_skill(
        "analyze_issue", {"customer_id": "C-1001", "message": VAGUE, "order_id": B}
    )
    picked = asked.output["choices"][0]
    result = await agent.call_skill(
        "analyze_issue",
        {
            "customer_id": "C-1001",
            "message": VAGUE,
            "order_id": B,
            "problem_type": picked["problem_type"],
            "asked": True,
        },
    )
    assert result.state == TaskState.COMPLETED
    assert result.output["problem_type"] == picked["problem_type"]
    assert result.output["choices"] == [] and "question" not in result.output


async def test_asked_once_the_best_reading_is_taken(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue",
        {"customer_id": "C-1001", "message": VAGUE, "order_id": B, "asked": True},
    )
    assert result.state == TaskState.COMPLETED
    assert result.output["needs_clarification"] is False and result.output["choices"] == []


async def test_an_unknown_order_offers_the_candidate_orders(agent) -> None:
    result = await agent.call_skill(
        "analyze_issue",
        {"customer_id": "C-1001", "message": "order 999-0000000-0000000 arrived broken"},
    )
    assert result.state == TaskState.INPUT_REQUIRED
    out = result.output
    assert out["order_id"] is None and "order" not in out and out["candidates"]
    assert [c["id"] for c in out["choices"]] == [f"order:{o}" for o in out["candidates"]]
    assert FOREIGN not in out["candidates"]


@pytest.mark.parametrize(
    "bad",
    [
        {"problem_type": "alien_abduction"},
        {"desired_outcome": "a pony"},
        {"asked": "perhaps"},
    ],
)
async def test_a_bad_hint_is_invalid_params(agent, bad) -> None:
    with pytest.raises(A2ACallError) as error:
        await agent.call_skill("analyze_issue", {"customer_id": "C-1001", "message": VAGUE, **bad})
    assert error.value.code == -32602


async def test_an_unknown_customer_is_a_skill_error(agent) -> None:
    result = await agent.call_skill("analyze_issue", {"customer_id": "C-9999", "message": "hi"})
    assert result.state == TaskState.FAILED
    assert "unknown customer C-9999" in result.message


@pytest.mark.parametrize(
    "bad",
    [
        {"message": "no customer"},
        {"customer_id": "C-1001", "message": ""},
        {"customer_id": "C-1001", "message": "x" * (MAX_ISSUE_CHARS + 1)},
        {"customer_id": "C 1001; drop", "message": "hi"},
        {"customer_id": "C-1001", "message": "hi", "surprise": True},
    ],
)
async def test_bad_analyze_input_is_invalid_params(agent, bad) -> None:
    with pytest.raises(A2ACallError) as error:
        await agent.call_skill("analyze_issue", bad)
    assert error.value.code == -32602


# ---------------------------------------------------------------- lookup_policies


async def test_lookup_policies_ranks_and_states_the_entitlement(agent) -> None:
    result = await agent.call_skill(
        "lookup_policies",
        {
            "order_id": B,
            "problem_type": "damaged_item",
            "desired_outcome": "full_refund",
            "customer_id": "C-1001",
        },
    )
    assert result.state == TaskState.COMPLETED
    out = result.output
    assert out["policies"][0]["policy_id"] == "DMG-GEN-001"
    assert {"policy_id", "title", "score", "applicable", "reason", "citation", "outcomes"} <= set(
        out["policies"][0]
    )
    ent = out["entitlement"]
    assert ent["entitled"] and ent["best"]["type"] == "full_refund"
    assert ent["best"]["amount"] == 129.99 and ent["needs_human"] is False
    assert ent["currency"] == "USD" and ent["item_value"] == 129.99


async def test_lookup_accepts_a_loosely_typed_order_id(agent) -> None:
    result = await agent.call_skill(
        "lookup_policies", {"order_id": "#112 4839201 5839201", "problem_type": "damaged_item"}
    )
    assert result.state == TaskState.COMPLETED and result.output["order_id"] == B


async def test_membership_comes_from_the_order_system(agent, order_system) -> None:
    order_system.orders[B] = {**make_order(B, delivered_days_ago=2, late_days=3), "prime": True}
    result = await agent.call_skill(
        "lookup_policies",
        {"order_id": B, "problem_type": "late_delivery", "desired_outcome": "store_credit"},
    )
    applicable = {p["policy_id"] for p in result.output["policies"] if p["applicable"]}
    assert "LATE-PRM-001" in applicable


async def test_lookup_observes_its_latency(agent) -> None:
    before = metrics.POLICY_LOOKUP_SECONDS._sum.get()  # noqa: SLF001
    count = _histogram_count()
    await agent.call_skill("lookup_policies", {"order_id": B, "problem_type": "wrong_item"})
    assert _histogram_count() == count + 1
    assert metrics.POLICY_LOOKUP_SECONDS._sum.get() > before  # noqa: SLF001


def _histogram_count() -> float:
    for family in metrics.POLICY_LOOKUP_SECONDS.collect():
        for sample in family.samples:
            if sample.name.endswith("_count"):
                return sample.value
    return 0.0


async def test_an_unknown_order_is_a_skill_error(agent) -> None:
    result = await agent.call_skill(
        "lookup_policies", {"order_id": "999-9999999-9999999", "problem_type": "damaged_item"}
    )
    assert result.state == TaskState.FAILED and "unknown order" in result.message


async def test_another_customers_order_is_refused(agent) -> None:
    result = await agent.call_skill(
        "lookup_policies",
        {"order_id": FOREIGN, "problem_type": "damaged_item", "customer_id": "C-1001"},
    )
    assert result.state == TaskState.FAILED and "does not belong" in result.message


@pytest.mark.parametrize(
    "bad",
    [
        {"order_id": B, "problem_type": "alien_abduction"},
        {"order_id": "12345", "problem_type": "damaged_item"},
        {"order_id": B, "problem_type": "damaged_item", "desired_outcome": "a pony"},
        {"problem_type": "damaged_item"},
        {"order_id": B, "problem_type": "damaged_item", "query": "q" * 501},
    ],
)
async def test_bad_lookup_input_is_invalid_params(agent, bad) -> None:
    with pytest.raises(A2ACallError) as error:
        await agent.call_skill("lookup_policies", bad)
    assert error.value.code == -32602


# ---------------------------------------------------------------- validate_solution


async def test_validate_solution_accepts_an_offer_within_policy(agent) -> None:
    result = await agent.call_skill(
        "validate_solution",
        {
            "order_id": B,
            "problem_type": "damaged_item",
            "offer": {"type": "partial_refund", "amount": 30, "currency": "USD"},
        },
    )
    assert result.output == {
        "valid": True,
        "violations": [],
        "policy_basis": ["DMG-GEN-001", "REF-MTH-001"],
    }


async def test_validate_solution_lists_violations(agent) -> None:
    result = await agent.call_skill(
        "validate_solution",
        {
            "order_id": B,
            "problem_type": "damaged_item",
            "offer": {"type": "partial_refund", "amount": 100},
        },
    )
    assert result.output["valid"] is False
    assert "exceeds the 39.00 allowed by DMG-GEN-001" in result.output["violations"][0]


@pytest.mark.parametrize(
    "offer",
    [
        {"type": "free_pony"},
        {"type": "partial_refund", "amount": -5},
        {"amount": 5},
        {"type": "partial_refund", "days_to_complete": 9999},
    ],
)
async def test_a_malformed_offer_is_invalid_params(agent, offer) -> None:
    with pytest.raises(A2ACallError) as error:
        await agent.call_skill(
            "validate_solution", {"order_id": B, "problem_type": "damaged_item", "offer": offer}
        )
    assert error.value.code == -32602


# ---------------------------------------------------------------- the order system's health


async def test_a_transient_order_system_failure_is_retried(agent, order_system) -> None:
    order_system.failures_left = 2
    result = await agent.call_skill(
        "lookup_policies", {"order_id": B, "problem_type": "damaged_item"}
    )
    assert result.state == TaskState.COMPLETED


async def test_an_order_system_that_stays_down_is_a_clear_failure(agent, order_system) -> None:
    order_system.down = True
    result = await agent.call_skill(
        "lookup_policies", {"order_id": B, "problem_type": "damaged_item"}
    )
    assert result.state == TaskState.FAILED and "order system is unavailable" in result.message


async def test_readiness_follows_the_order_system(agent, order_system) -> None:
    http = agent._http  # noqa: SLF001
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"policies_loaded": True, "order_system": True}
    order_system.down = True
    assert (await http.get("/readyz")).status_code == 503


async def test_the_card_lists_the_four_skills(agent) -> None:
    card = (await agent._http.get("/.well-known/agent-card.json")).json()  # noqa: SLF001
    assert [s["id"] for s in card["skills"]] == [
        "analyze_issue",
        "lookup_policies",
        "validate_solution",
        "check_order",  # the coordinator's checks of CS's promises
    ]


def test_a_broken_policy_file_stops_the_agent_from_starting(tmp_path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "bad.md").write_text("---\npolicy_id: nope\n---\n")
    settings = Settings(var_dir=tmp_path, agent_token=TOKEN, policy_dir=policies)
    with pytest.raises(ValueError, match="bad.md"):
        create_app(settings)


async def test_order_answers_are_cached_briefly_and_copied() -> None:
    from context_agent.orders import OrderSystem

    now = [0.0]
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={"order_id": "112-4839201-5839201", "items": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        orders = OrderSystem(http, "http://cs.test", cache_ttl_s=5.0, clock=lambda: now[0])
        first = await orders.order("112-4839201-5839201")
        first["items"].append("changed by a caller")
        second = await orders.order("112-4839201-5839201")
        assert second["items"] == [] and len(calls) == 1
        now[0] = 6.0
        await orders.order("112-4839201-5839201")
        assert len(calls) == 2


# ---------------------------------------------------------------- check_order


async def test_check_order_reads_the_order_fresh_every_time(agent, order_system) -> None:
    first = await agent.call_skill("check_order", {"order_id": B, "customer_id": "C-1001"})
    assert first.state == TaskState.COMPLETED
    assert first.output["refunds"] == [] and first.output["shipments"] == []
    refund = {"reference": "CT-1", "amount": 129.99, "currency": "USD", "date": "2026-12-02"}
    order_system.orders[B] = {**order_system.orders[B], "refund_issued": True, "refunds": [refund]}
    again = await agent.call_skill("check_order", {"order_id": B, "customer_id": "C-1001"})
    assert again.output["refund_issued"] is True and again.output["refunds"] == [refund]
    assert order_system.calls.count(f"/v1/orders/{B}") == 2  # never answered from the cache


async def test_check_order_refuses_unknown_and_foreign_orders(agent, order_system) -> None:
    unknown = await agent.call_skill("check_order", {"order_id": "999-9999999-9999999"})
    assert unknown.state == TaskState.FAILED and "unknown order" in unknown.message
    foreign = await agent.call_skill("check_order", {"order_id": FOREIGN, "customer_id": "C-1001"})
    assert foreign.state == TaskState.FAILED and "does not belong" in foreign.message
    order_system.down = True
    down = await agent.call_skill("check_order", {"order_id": B})
    assert down.state == TaskState.FAILED and down.retryable
