"""Reliability on real processes, judged by the mock CS's own transcripts: cancels during a
round and during accept (with SIGKILLs of the coordinator), a wait that expires, CS down
for longer than the retries and back later."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.fleet import OPS_TOKEN, Fleet
from tests.simulation.test_cs_errors import damaged_cases
from tests.simulation.test_faults_fleet import Customer, configure_cs, start_fleet

pytestmark = pytest.mark.integration

CALM = {"persona": "cooperative", "seed": 1, "latency_ms": 0, "error_rate": 0, "timeout_rate": 0}
ENV = {
    "CSN_CS_TIMEOUT_S": "1",
    "CSN_CS_MAX_ATTEMPTS": "2",
    "CSN_A2A_MAX_ATTEMPTS": "2",
    "CSN_AGENT_OUTAGE_GRACE_S": "6",
    "CSN_WATCHDOG_INTERVAL_S": "0.2",
    "CSN_REMIND_AFTER_S": "1.5",  # a week of waiting, compressed: daily reminders, 7 days
    "CSN_WAIT_TIMEOUT_S": "5",
    "CSN_CS_RETRY_SCHEDULE_S": "[2, 2]",
    "CSN_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    import tests.simulation.test_faults_fleet as faults

    with ExitStack() as stack:
        saved, faults.FLEET_ENV = faults.FLEET_ENV, ENV
        try:
            yield start_fleet(tmp_path_factory, stack)
        finally:
            faults.FLEET_ENV = saved


@pytest.fixture(autouse=True)
def calm_cs(fleet: Fleet) -> None:
    configure_cs(fleet, **CALM, timeout_s=35)


def wait(customer: Customer, done: Any, budget_s: float = 40) -> dict[str, Any]:
    deadline = time.monotonic() + budget_s
    while True:
        try:
            doc = customer.doc()
            if done(doc):
                return doc
        except httpx.TransportError:
            doc = {"state": "(coordinator restarting)"}
        assert time.monotonic() < deadline, f"stuck in {doc['state']}: {doc.get('reason')}"
        time.sleep(0.05)


def post(customer: Customer, action: str, body: Any = None) -> httpx.Response:
    path = f"/v1/sessions/{customer.session_id}/{action}"
    return customer._call("POST", path, json=body, headers=customer.headers)


def talk(fleet: Fleet, doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    url = f"{fleet.url('mock_cs_service')}/v1/contacts/{doc['negotiation']['contact_id']}"
    transcript = httpx.get(url, timeout=5).json()
    ours = [m.get("intent") or m.get("text", "")[:20] for m in transcript["messages"]
            if m["role"] == "customer"]  # fmt: skip
    return transcript, ours


def sent_rounds(doc: dict[str, Any]) -> int:
    return len([r for r in doc["negotiation"]["rounds"] if r.get("sent")])


def events(customer: Customer) -> list[dict[str, Any]]:
    path = f"/v1/sessions/{customer.session_id}/events"
    return customer._call("GET", path, headers=customer.headers).json()["events"]


def new_case(fleet: Fleet, **extra: Any) -> Customer:
    customer_id, message = damaged_cases(1)[0]
    return Customer(fleet, customer_id, message, **extra)


def in_round(customer: Customer, rounds: int = 1) -> dict[str, Any]:
    return wait(customer, lambda d: len(d["negotiation"]["rounds"]) >= rounds
                or d["state"] not in {"received", "analyzing", "planning", "negotiating"})  # fmt: skip


# -- 1. cancel during a round, during accept, with the coordinator killed -----------------


@pytest.mark.parametrize("kill", [False, True])
def test_a_cancel_during_a_round_closes_the_contact_and_sends_no_key_twice(
    fleet: Fleet, kill: bool
) -> None:
    configure_cs(fleet, persona="adversarial", seed=3, latency_ms=700)
    customer = new_case(fleet, auto_approve=True)
    doc = in_round(customer)
    assert doc["state"] == "negotiating", doc.get("reason")
    time.sleep(0.2)  # the next round's message is on its way to the slow desk
    answer = post(customer, "cancel")
    assert answer.status_code == 200, answer.text
    if kill:  # between deciding (the queued cancel) and carrying it out
        fleet.kill("coordinator_agent")
        fleet.start("coordinator_agent")
    doc = wait(customer, lambda d: d["state"] == "cancelled")
    transcript = wait_closed(fleet, doc)
    transcript, ours = talk(fleet, doc)
    assert transcript["status"] == "closed", ours  # the farewell was not refused
    assert ours.count("close") == 1
    assert len(ours) - 1 <= sent_rounds(doc) + kill  # a round cut by the kill may be unrecorded


def wait_closed(fleet: Fleet, doc: dict[str, Any], budget_s: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        transcript, _ = talk(fleet, doc)
        if transcript["status"] == "closed":
            break
        time.sleep(0.1)
    return transcript


@pytest.mark.parametrize("kill", [False, True])
def test_a_cancel_during_accept_leaves_the_case_as_cs_has_it(fleet: Fleet, kill: bool) -> None:
    customer = new_case(fleet, auto_approve=True)
    wait(customer, lambda d: d["state"] == "awaiting_outcome_approval")
    configure_cs(fleet, latency_ms=800)
    customer.approve()
    time.sleep(0.2)  # the accept is with CS now
    post(customer, "cancel")
    if kill:
        fleet.kill("coordinator_agent")
        fleet.start("coordinator_agent")
    doc = wait(customer, lambda d: d["state"] in {"monitoring", "cancelled", "escalated"})
    transcript, ours = talk(fleet, doc)
    assert doc["state"] == "monitoring", (doc["state"], doc.get("reason"))
    assert transcript["agreed"] is True
    assert ours.count("accept") == 1 and "close" not in ours


# -- 2. a wait that runs out ---------------------------------------------------------------


def test_a_wait_for_the_customer_is_reminded_then_expires_and_closes_cs(fleet: Fleet) -> None:
    customer = new_case(fleet, auto_approve=True)
    wait(customer, lambda d: d["state"] == "awaiting_outcome_approval")
    doc = wait(customer, lambda d: d["state"] == "expired", budget_s=20)
    kinds = [e["type"] for e in events(customer)]
    assert kinds.count("reminder") >= 2
    transcript = wait_closed(fleet, doc)
    assert transcript["status"] == "closed" and transcript["agreed"] is False
    assert "no answer from the customer" in doc["reason"]


# -- 3. CS down: retried on a schedule, back later, or escalated ---------------------------


def test_cs_down_and_back_before_the_last_retry_resumes_the_case(fleet: Fleet) -> None:
    configure_cs(fleet, error_rate=1.0)  # the desk answers 503 (the order system still works)
    customer = new_case(fleet, auto_approve=True)
    wait(customer, lambda d: d["state"] == "cs_unavailable", budget_s=30)
    configure_cs(fleet, **CALM)
    doc = wait(customer, lambda d: d["state"] in {"awaiting_outcome_approval", "escalated"})
    assert doc["state"] == "awaiting_outcome_approval", doc.get("reason")
    kinds = [e["type"] for e in events(customer)]
    assert "cs_retry_scheduled" in kinds and "cs_retry" in kinds
    _, ours = talk(fleet, doc)
    assert len(ours) == sent_rounds(doc)


def test_cs_down_longer_than_the_retries_escalates_with_the_alternatives(fleet: Fleet) -> None:
    configure_cs(fleet, error_rate=1.0)
    customer = new_case(fleet, auto_approve=True)
    doc = wait(customer, lambda d: d["state"] in {"escalated", "resolved", "failed"}, 60)
    assert doc["state"] == "escalated", doc.get("reason")
    assert doc["escalation"]["reason_code"] == "cs_unavailable"
    assert [e["type"] for e in events(customer)].count("cs_retry") == 2
    queue = httpx.get(
        f"{fleet.url('coordinator_agent')}/v1/ops/escalations",
        headers={"Authorization": f"Bearer {OPS_TOKEN}"},
        timeout=5,
    ).json()["escalations"]
    mine = next(e for e in queue if e["session_id"] == customer.session_id)
    assert mine["context"]["outcome"]["alternatives"]


def test_a_coordinator_killed_between_deciding_and_sending_accepts_once(fleet: Fleet) -> None:
    """The approval is written; the coordinator dies before (or while) the accept goes out."""
    customer = new_case(fleet, auto_approve=True)
    wait(customer, lambda d: d["state"] == "awaiting_outcome_approval")
    configure_cs(fleet, latency_ms=300)
    customer.approve()
    fleet.kill("coordinator_agent")
    fleet.start("coordinator_agent")
    doc = wait(customer, lambda d: d["state"] in {"monitoring", "escalated", "cancelled"})
    transcript, ours = talk(fleet, doc)
    assert doc["state"] == "monitoring", doc.get("reason")
    assert transcript["agreed"] is True and ours.count("accept") == 1
