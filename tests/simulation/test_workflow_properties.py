"""Whole-workflow properties over generated cases, on the four services in one process.

Safety: nothing we ask CS for, nothing we propose and nothing we accept breaks policy, and no
message reaches CS before the customer approves the strategy. Liveness: every case settles (ends,
or waits on its customer) within its bounds. Isolation: concurrent cases never share state.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
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


# The customer's answer when CS asks for what only they have (the desk takes words about photos).
PHOTOS = "I have taken photos of it: it looks exactly as I described."


@dataclass
class Walk:
    """What the customer did on the way: the readings picked, the answers given to CS."""

    doc: dict[str, Any]
    picked: dict[str, str] = field(default_factory=dict)
    answers: int = 0


async def walk(fleet: InProcessFleet, case: Case, scenario: Scenario, *, alone: bool) -> Walk:
    """Play the customer to the end: clarify (picking the choice that fits the case), answer what
    CS asks of them, check before approving, approve."""
    clarified, doc, picked, answers = 0, None, {}, 0
    for _ in range(MAX_STEPS):
        doc = await case.settle(CASE_BUDGET_S, after=doc)
        if doc["state"] in TERMINAL:
            return Walk(doc, picked, answers)
        if doc["state"] == "awaiting_clarification":
            if clarified == 2:
                return Walk(doc, picked, answers)  # still waiting on the customer: a legal stop
            clarified += 1
            await clarify(case, scenario, doc, picked)
        elif doc["state"] == "awaiting_customer_input":
            assert doc["question"], "the customer is asked something"
            answers += 1
            assert (await case.message(text=PHOTOS)).status_code == 202
        elif doc["state"] == "awaiting_strategy_approval":
            assert_nothing_sent_to_cs(fleet, doc, alone=alone)
            assert (await case.decide()).status_code == 200
        else:  # awaiting_outcome_approval
            await assert_within_policy(fleet, doc, doc["proposal"]["offer"], "offer")
            assert (await case.decide()).status_code == 200
    raise AssertionError(f"no end after {MAX_STEPS} customer actions: {doc['state']}")


async def clarify(
    case: Case, scenario: Scenario, doc: dict[str, Any], picked: dict[str, str]
) -> None:
    """Pick the offered choice that is true of the case; without one, say the order in words."""
    truth = {
        "order_id": scenario.order_id,
        "problem_type": scenario.problem_type,
        "desired_outcome": scenario.desired_outcome,
    }
    fits = [c for c in doc["choices"] if any(c.get(k) == v for k, v in truth.items())]
    if fits:
        choice = fits[0]
        picked.update({k: choice[k] for k in truth if k in choice})
        response = await case.message(choice=choice["id"])
    else:
        response = await case.message(text=f"It's order {scenario.order_id}.")
    assert response.status_code == 202, response.text


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


async def assert_case_sound(fleet: InProcessFleet, scenario: Scenario, walked: Walk) -> None:
    """The properties every settled case has, whatever its persona and wording."""
    doc = walked.doc
    assert doc["state"] in TERMINAL | WAITING
    rounds = doc["negotiation"]["rounds"]
    assert len(rounds) <= MAX_ROUNDS
    numbers = [r["round"] for r in rounds if r["attempt"] == doc["negotiation"]["attempt"]]
    assert numbers == list(range(1, len(numbers) + 1))
    analysis = doc["analysis"] or {}
    if analysis.get("order_id"):
        assert analysis["order_id"] in orders_of(scenario.customer_id)
    if doc["state"] != "awaiting_clarification":  # what the customer picked is what counts
        assert {k: analysis.get(k) for k in walked.picked} == walked.picked
    if doc["state"] in ("resolved", "monitoring") and doc["outcome"].get("offer"):
        await assert_within_policy(fleet, doc, doc["outcome"]["offer"], "offer")
    if doc["negotiation"]["contact_id"]:
        await assert_dialogue_sound(fleet, walked)


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


async def assert_dialogue_sound(fleet: InProcessFleet, walked: Walk) -> None:
    """CS heard from this case only about its order, each round's message once (and at most a
    farewell after them, which the agent counts as an exchange), every ask in policy, and every
    answer the customer gave after the question that asked for it."""
    doc = walked.doc
    talk = await fleet.transcript(doc["negotiation"]["contact_id"])
    assert talk["customer_id"] == doc["analysis"]["customer_id"]
    assert talk["order_id"] == doc["analysis"]["order_id"]
    ours = [m["text"] for m in talk["messages"] if m["role"] == "customer"]
    # the current attempt's contact (an earlier chat CS closed is another contact)
    attempt = doc["negotiation"]["attempt"]
    rounds = [r for r in doc["negotiation"]["rounds"] if r.get("attempt", attempt) == attempt]
    sent = [r["sent"] for r in rounds if r.get("sent")]
    exchanges = doc["negotiation"]["cs_exchanges"] - sum(a["cs_exchanges"] for a in doc["attempts"])
    assert ours[: len(sent)] == sent, [text[:60] for text in ours]
    assert len(ours) == exchanges <= len(sent) + 1
    if len(ours) > len(sent):  # a farewell: only when the talk ended without an agreement
        assert doc["state"] in TERMINAL - {"resolved", "monitoring"}, doc["state"]
    offered: list[dict[str, Any]] = []  # what CS offered so far, by the desk's own record
    for message in talk["messages"]:
        if message["role"] == "agent" and message.get("offer"):
            offered.append(message["offer"])
        elif message["role"] == "customer" and message.get("ask"):
            # Restating CS's own offer to confirm it is not asking for more: CS may waive a
            # return, we may not ask it to. Anything else we asked for is judged as an ask.
            restated = any(same_terms(message["ask"], offer) for offer in offered)
            await assert_within_policy(fleet, doc, message["ask"], "offer" if restated else "ask")
    if walked.answers:
        asked = [r["round"] for r in rounds if r["decision"] == "needs_input"]
        assert len(asked) >= walked.answers or doc["attempts"]  # or asked in a closed chat
        answered = [number for number in asked if number < len(ours)]  # the next round's message
        assert all(PHOTOS in ours[number] for number in answered), ours


def same_terms(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """The same remedy, amount and return terms."""
    amounts = (ours.get("amount"), theirs.get("amount"))
    same_amount = amounts[0] == amounts[1] or (
        None not in amounts and abs(amounts[0] - amounts[1]) < 0.01
    )
    return (
        ours.get("type") == theirs.get("type")
        and same_amount
        and bool(ours.get("return_required")) == bool(theirs.get("return_required"))
    )


@BOUNDED
@given(scenario=scenarios(PERSONAS + ("unresponsive",)), seed=st.integers(0, 1000))
async def test_a_case_is_safe_and_settles(tmp_path_factory, scenario, seed) -> None:
    """One case, approved step by step: policy-safe, silent before approval, settled in bounds."""
    async with in_process_fleet(tmp_path_factory.mktemp("case")) as fleet:
        await fleet.configure_cs(persona=scenario.persona, seed=seed)
        case = await fleet.submit(scenario.customer_id, scenario.message)
        walked = await walk(fleet, case, scenario, alone=True)
        await assert_case_sound(fleet, scenario, walked)
        assert_cs_after_approval(await case.events(), auto=False)
        doc = walked.doc
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
        walks = await asyncio.gather(
            *(walk(fleet, c, s, alone=False) for c, s in zip(cases, batch, strict=True))
        )
        docs = [w.doc for w in walks]
        for scenario, walked in zip(batch, walks, strict=True):
            await assert_case_sound(fleet, scenario, walked)
            doc = walked.doc
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
