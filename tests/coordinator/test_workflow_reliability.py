"""Nothing left hanging, nothing sent twice: cancels during a round, waits that end,
CS outages that are retried, farewells that survive a restart.

The fake negotiation agent behaves like the real one here (coordinator_fakes.FakeDesk):
its round runs shielded from the caller, a farewell has its own key, and CS refuses a key
reused with another message, so the desk's record is the oracle.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shared import metrics
from tests.coordinator.coordinator_fakes import (
    Fleet,
    auth,
    completed,
    make_settings,
    running,
    submit,
    wait_for,
)

OPS = auth("ops-secret-token")


async def events_of(client, sid: str, token: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))
    return response.json()["events"]


async def eventually(check, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    assert check()


async def round_in_flight(fleet: Fleet, client, sid: str, token: str, rounds: int) -> None:
    """Wait until `rounds` rounds are recorded and the next one has reached the agent."""
    doc = await wait_for(client, sid, token, {"negotiating"})
    while len(doc["negotiation"]["rounds"]) < rounds:
        doc = await wait_for(client, sid, token, {"negotiating"})
    await eventually(lambda: bool(fleet.negotiation.running))


# -- 1. cancel during a round / during accept ----------------------------------------------


async def test_a_cancel_during_a_round_waits_for_it_and_sends_no_key_twice(
    tmp_path, fleet: Fleet
) -> None:
    fleet.desk.rounds_to_agree = 100
    fleet.negotiation.delay_s = 0.3
    async with running(make_settings(tmp_path), fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        await round_in_flight(fleet, client, sid, token, 1)
        response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
        assert response.status_code == 200
        assert response.json()["state"] == "cancelled"
        await eventually(lambda: fleet.desk.walked_away)
        doc = await wait_for(client, sid, token, {"cancelled"})
        history = await events_of(client, sid, token)
    assert fleet.desk.conflicts == []  # no key was used for two messages
    assert fleet.desk.walked_away == [f"{sid}:1:close"]
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2]  # the round in flight
    kinds = [e["type"] for e in history]
    assert kinds.index("cancel_requested") < kinds.index("cancelled")
    assert "cs_contact_closed" in kinds


async def test_a_cancel_during_accept_leaves_the_case_resolved_as_cs_agreed(
    tmp_path, fleet: Fleet
) -> None:
    async with running(make_settings(tmp_path), fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        await wait_for(client, sid, token, {"awaiting_outcome_approval"})
        fleet.negotiation.delay_s = 0.3
        approve = {"decision": "approve"}
        await client.post(f"/v1/sessions/{sid}/decisions", json=approve, headers=auth(token))
        await eventually(lambda: bool(fleet.negotiation.running))
        response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
        assert response.json()["state"] == "monitoring"  # agreed: its refund is now watched
        assert "too late" in response.json()["detail"]
        doc = await wait_for(client, sid, token, {"monitoring"})
        history = await events_of(client, sid, token)
    assert doc["outcome"]["status"] == "accepted"
    assert doc["negotiation"]["rounds"][-1]["decision"] == "accept"  # the exchange is kept
    assert "cancel_too_late" in [e["type"] for e in history]
    assert fleet.desk.walked_away == [] and fleet.desk.conflicts == []


async def test_a_farewell_owed_survives_a_restart(tmp_path, fleet: Fleet) -> None:
    """The agent is down when the customer cancels at the outcome: the outbox keeps the
    farewell, and the next coordinator process delivers it."""
    settings = make_settings(
        tmp_path, farewell_retry_s=(0.5, 0.5, 0.5, 60), watchdog_interval_s=0.05
    )
    async with running(settings, fleet) as (app, client):
        sid, token = await submit(client, auto_approve=True)
        await wait_for(client, sid, token, {"awaiting_outcome_approval"})
        fleet.negotiation.down = True
        response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
        assert response.json()["state"] == "cancelled"
        await eventually(lambda: fleet.negotiation.refused >= 3)
        assert app.state.store.outbox_pending(sid) == 1
    fleet.negotiation.down = False
    assert fleet.desk.walked_away == []
    async with running(settings, fleet) as (app, client):
        await eventually(lambda: fleet.desk.walked_away, timeout=10)
        await eventually(lambda: app.state.store.outbox_pending(sid) == 0)
        history = await events_of(client, sid, token)
    assert fleet.desk.walked_away == [f"{sid}:1:close"]
    assert "cs_contact_closed" in [e["type"] for e in history]


async def test_a_decision_racing_a_running_step_is_refused_and_changes_nothing(
    tmp_path, fleet: Fleet
) -> None:
    fleet.negotiation.delay_s = 0.3
    async with running(make_settings(tmp_path), fleet) as (app, client):
        sid, token = await submit(client, auto_approve=True)
        await round_in_flight(fleet, client, sid, token, 0)
        before = app.state.store.get(sid)
        response = await client.post(
            f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
        )
        assert response.status_code == 409
        assert app.state.store.get(sid).version == before.version
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2]
    assert len(fleet.desk.keys) == len(set(fleet.desk.keys))


# -- 2. waits for the customer: reminders, then expired ------------------------------------


async def test_a_wait_gets_reminders_then_expires_and_closes_the_cs_contact(
    tmp_path, fleet: Fleet
) -> None:
    """A 7-day wait with daily reminders, compressed by configuration."""
    # Expiry a little after the third reminder (not on the same beat), so a watchdog pass
    # that a loaded machine delays still finds the third reminder due before the expiry.
    settings = make_settings(
        tmp_path, remind_after_s=0.3, wait_timeout_s=1.2, watchdog_interval_s=0.05
    )
    sent = metrics.REMINDERS.labels("awaiting_outcome_approval")._value.get()
    async with running(settings, fleet) as (app, client):
        sid, token = await submit(client, auto_approve=True)
        await wait_for(client, sid, token, {"awaiting_outcome_approval"})
        doc = await wait_for(client, sid, token, {"expired"}, timeout=5)
        await eventually(lambda: fleet.desk.walked_away)
        history = await events_of(client, sid, token)
        archived = app.state.store.ids_in_states({"expired"})
    reminders = [e for e in history if e["type"] == "reminder"]
    # three are due (0.3, 0.6, 0.9 s) before the expiry at 1.2 s; a loaded machine's watchdog
    # may tick past the third, never past the second
    count = len(reminders)
    assert count in (2, 3)
    assert [r["detail"]["reminder"] for r in reminders] == list(range(1, count + 1))
    assert metrics.REMINDERS.labels("awaiting_outcome_approval")._value.get() == sent + count
    assert "no answer from the customer" in doc["reason"]
    assert fleet.desk.walked_away == [f"{sid}:1:close"]
    assert archived == [sid]


async def test_a_customer_who_answers_restarts_the_wait(tmp_path, fleet: Fleet) -> None:
    settings = make_settings(
        tmp_path, remind_after_s=0.3, wait_timeout_s=0.8, watchdog_interval_s=0.05
    )
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, message="no order mentioned")
        await wait_for(client, sid, token, {"awaiting_clarification"})
        await asyncio.sleep(0.5)
        await client.post(
            f"/v1/sessions/{sid}/messages",
            json={"text": "It is order 112-4839201-5839201"},
            headers=auth(token),
        )
        await wait_for(client, sid, token, {"awaiting_strategy_approval"})
        await asyncio.sleep(0.5)  # 1.0 s of waiting in all, never 0.8 s in one wait
        doc = (await client.get(f"/v1/sessions/{sid}", headers=auth(token))).json()
    assert doc["state"] == "awaiting_strategy_approval"


# -- 3. cs_unavailable: resumed on a schedule with the same keys, then escalated -------------


def unavailable_for(fleet: Fleet, calls: int):
    real = fleet.desk.negotiate
    count = {"n": 0}

    def negotiate(inp):
        count["n"] += 1
        if count["n"] > calls:
            return real(inp)
        key = f"{inp['session_id']}:{inp['attempt']}:{(inp['state'] or {}).get('round', 0) + 1}"
        fleet.desk.keys.append(key)  # the agent tried CS with this key; CS never answered
        outcome = {
            "status": "cs_unavailable",
            "reason": "503 after 3 attempts",
            "alternatives": ["Call 1-800-RETAILER", "Dispute the charge with your card issuer"],
            "policy_basis": [],
        }
        state = inp["state"] or {"contact_id": None, "round": 0, "exchanges": 0, "history": []}
        return completed({"state": state, "round": None, "done": True, "outcome": outcome})

    fleet.negotiation.skills["negotiate"] = negotiate


async def test_cs_unavailable_is_retried_on_schedule_with_the_same_keys(
    tmp_path, fleet: Fleet
) -> None:
    unavailable_for(fleet, 2)
    settings = make_settings(
        tmp_path, cs_retry_schedule_s=(0.2, 0.2, 0.2), watchdog_interval_s=0.05
    )
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        doc = await wait_for(client, sid, token, {"cs_unavailable"})
        assert doc["outcome"]["alternatives"][0] == "Call 1-800-RETAILER"
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"}, timeout=5)
        history = await events_of(client, sid, token)
        queue = (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"]
    kinds = [e["type"] for e in history]
    assert kinds.count("cs_retry_scheduled") == 2 and kinds.count("cs_retry") == 2
    assert [e["detail"]["retry"] for e in history if e["type"] == "cs_retry"] == [1, 2]
    assert fleet.desk.keys[:3] == [f"{sid}:1:1"] * 3  # resumed with the same key
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2]
    assert queue == []


async def test_cs_down_longer_than_the_retries_escalates_with_the_alternatives(
    tmp_path, fleet: Fleet
) -> None:
    unavailable_for(fleet, 100)
    settings = make_settings(tmp_path, cs_retry_schedule_s=(0.1, 0.1), watchdog_interval_s=0.05)
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        doc = await wait_for(client, sid, token, {"escalated"}, timeout=5)
        queue = (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"]
    assert doc["escalation"]["reason_code"] == "cs_unavailable"
    assert "after 2 retries" in doc["reason"]
    [escalation] = queue
    assert escalation["context"]["outcome"]["alternatives"][0] == "Call 1-800-RETAILER"
    assert fleet.desk.keys == [f"{sid}:1:1"] * 3


async def test_a_cancel_that_loses_every_write_race_leaves_the_case_driven(
    tmp_path, fleet: Fleet
) -> None:
    """The cancel is refused (409), and the round in flight carries the case on at once,
    not after the watchdog's next pass."""
    from coordinator_agent.store import ConcurrencyConflict

    fleet.negotiation.delay_s = 0.3
    async with running(make_settings(tmp_path), fleet) as (app, client):
        sid, token = await submit(client, auto_approve=True)
        await round_in_flight(fleet, client, sid, token, 0)
        store = app.state.store
        real_save = store.save

        def busy(previous, state, document, *, actor, **kwargs):
            if actor == "customer":
                raise ConcurrencyConflict()
            return real_save(previous, state, document, actor=actor, **kwargs)

        store.save = busy
        response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
        store.save = real_save
        assert response.status_code == 409
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"}, timeout=3)
    assert doc["state"] == "awaiting_outcome_approval"
