"""Whole-workflow properties over generated cases, on the four services in one process.

Safety: nothing we ask CS for, nothing we propose and nothing we accept breaks policy, and no
message reaches CS before the customer approves the strategy. Liveness: every case settles (ends,
or waits on its customer) within its bounds. Isolation: concurrent cases never share state.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csn.scenarios import PERSONAS, Scenario
from tests.simulation.conftest import orders_of, scenarios
from tests.simulation.inprocess import (
    TERMINAL,
    WAITING,
    Case,
    InProcessFleet,
    in_process_fleet,
)

MAX_ROUNDS = 20
CASE_BUDGET_S = 20.0
MAX_STEPS = 8  # customer actions per case: clarifications and approvals
EXPLICIT_IDS = {"plain", "hash", "spaced"}
BOUNDED = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def walk(fleet: InProcessFleet, case: Case, scenario: Scenario, *, alone: bool) -> dict:
    """Play the customer to the end: clarify, check before approving, approve; the last view."""
    clarified, doc = 0, None
    for _ in range(MAX_STEPS):
        doc = await case.settle(CASE_BUDGET_S, after=doc)
        if doc["state"] in TERMINAL:
            return doc
        if doc["state"] == "awaiting_clarification":
            if clarified == 2:
                return doc  # still waiting on the customer: a legal place to stop
            clarified += 1
            await send(case, f"It's order {scenario.order_id}.")
        elif doc["state"] == "awaiting_strategy_approval":
            assert_nothing_sent_to_cs(fleet, doc, alone=alone)
            assert (await case.decide()).status_code == 200
        else:  # awaiting_outcome_approval
            await assert_within_policy(fleet, doc, doc["proposal"]["offer"], "offer")
            assert (await case.decide()).status_code == 200
    raise AssertionError(f"no end after {MAX_STEPS} customer actions: {doc['state']}")


async def send(case: Case, text: str) -> None:
    path = f"/v1/sessions/{case.session_id}/messages"
    response = await case.client.post(path, json={"text": text}, headers=case.headers)
    assert response.status_code in (200, 202), response.text


def assert_nothing_sent_to_cs(fleet: InProcessFleet, doc: dict[str, Any], *, alone: bool) -> None:
    """Before the strategy is approved CS has not heard of the case."""
    assert doc["negotiation"]["contact_id"] is None
    assert doc["negotiation"]["cs_exchanges"] == 0
    assert not doc["negotiation"]["rounds"]
    if alone:  # the only case in this fleet: the desk itself was never called
        assert fleet.routes.to("mock_cs_service", "POST", "/v1/contacts") == []


async def assert_within_policy(
    fleet: InProcessFleet, doc: dict[str, Any], offer: dict[str, Any], source: str
) -> None:
    verdict = await fleet.validate(doc, offer, source)
    assert verdict["valid"], (offer, verdict["violations"])


async def assert_case_sound(fleet: InProcessFleet, scenario: Scenario, doc: dict) -> None:
    """The properties every settled case has, whatever its persona and wording."""
    assert doc["state"] in TERMINAL | WAITING
    rounds = doc["negotiation"]["rounds"]
    assert len(rounds) <= MAX_ROUNDS
    numbers = [r["round"] for r in rounds if r["attempt"] == doc["negotiation"]["attempt"]]
    assert numbers == list(range(1, len(numbers) + 1))
    analysis = doc["analysis"] or {}
    if analysis.get("order_id"):
        assert analysis["order_id"] in orders_of(scenario.customer_id)
    if doc["state"] == "resolved" and doc["outcome"].get("offer"):
        await assert_within_policy(fleet, doc, doc["outcome"]["offer"], "offer")
    if doc["negotiation"]["contact_id"]:
        await assert_dialogue_sound(fleet, doc)


def assert_cs_after_approval(events: list[dict[str, Any]], *, auto: bool) -> None:
    """In the history, no negotiate call or CS exchange precedes the strategy's approval."""
    approvals = [
        e["seq"]
        for e in events
        if e["type"] == "decision"
        and e["detail"].get("stage") == "strategy"
        and (e["detail"].get("auto") if auto else e["detail"].get("decision") == "approve")
    ]
    talks = [
        e["seq"]
        for e in events
        if e["type"] == "cs_exchange"
        or (e["type"] == "agent_call" and e["detail"].get("skill") == "negotiate")
    ]
    if talks:
        assert approvals and min(approvals) < min(talks), (approvals, talks)


async def assert_dialogue_sound(fleet: InProcessFleet, doc: dict[str, Any]) -> None:
    """CS heard from this case only about its order, once a round, and every ask was in policy."""
    talk = await fleet.transcript(doc["negotiation"]["contact_id"])
    assert talk["customer_id"] == doc["analysis"]["customer_id"]
    assert talk["order_id"] == doc["analysis"]["order_id"]
    ours = [m for m in talk["messages"] if m["role"] == "customer"]
    sent = [r for r in doc["negotiation"]["rounds"] if r.get("sent")]
    assert len(ours) == len(sent), [m["text"][:60] for m in ours]
    for message in ours:
        if message.get("ask"):
            await assert_within_policy(fleet, doc, message["ask"], "ask")


@BOUNDED
@given(scenario=scenarios(PERSONAS + ("unresponsive",)), seed=st.integers(0, 1000))
async def test_a_case_is_safe_and_settles(tmp_path_factory, scenario, seed) -> None:
    """One case, approved step by step: policy-safe, silent before approval, settled in bounds."""
    async with in_process_fleet(tmp_path_factory.mktemp("case")) as fleet:
        await fleet.configure_cs(persona=scenario.persona, seed=seed)
        case = await fleet.submit(scenario.customer_id, scenario.message)
        doc = await walk(fleet, case, scenario, alone=True)
        await assert_case_sound(fleet, scenario, doc)
        assert_cs_after_approval(await case.events(), auto=False)
        if scenario.id_style in EXPLICIT_IDS and doc["analysis"]:
            assert doc["analysis"]["order_id"] == scenario.order_id


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(scenarios(), min_size=2, max_size=5),
    persona=st.sampled_from(PERSONAS),
    seed=st.integers(0, 1000),
)
async def test_concurrent_cases_never_share_state(tmp_path_factory, batch, persona, seed) -> None:
    """Cases run at once each keep their own order, analysis, rounds, contact and token."""
    async with in_process_fleet(tmp_path_factory.mktemp("batch")) as fleet:
        await fleet.configure_cs(persona=persona, seed=seed)
        cases = [await fleet.submit(s.customer_id, s.message, auto_approve=True) for s in batch]
        docs = await asyncio.gather(
            *(walk(fleet, c, s, alone=False) for c, s in zip(cases, batch, strict=True))
        )
        for scenario, doc in zip(batch, docs, strict=True):
            await assert_case_sound(fleet, scenario, doc)
            assert doc["analysis"] is None or doc["analysis"]["customer_id"] == scenario.customer_id
        for case in cases:
            assert_cs_after_approval(await case.events(), auto=True)
        contacts = [d["negotiation"]["contact_id"] for d in docs if d["negotiation"]["contact_id"]]
        assert len(contacts) == len(set(contacts))
        assert len({c.session_id for c in cases}) == len(cases)
        await assert_tokens_do_not_cross(cases)


async def assert_tokens_do_not_cross(cases: list[Case]) -> None:
    """Each session's token opens that session only: another session answers 403."""
    for owner, other in itertools.permutations(cases, 2):
        path = f"/v1/sessions/{other.session_id}"
        for method, suffix, body in (
            ("GET", "", None),
            ("GET", "/events", None),
            ("POST", "/decisions", {"decision": "approve"}),
            ("POST", "/messages", {"text": "it's about my other order"}),
            ("POST", "/cancel", None),
        ):
            response = await owner.client.request(
                method, path + suffix, json=body, headers=owner.headers
            )
            assert response.status_code == 403, (method, suffix, response.text)
