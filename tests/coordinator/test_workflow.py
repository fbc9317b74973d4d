"""The journey of a case with the context and negotiation agents faked at the HTTP edge."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.coordinator.coordinator_fakes import (
    ORDER_ID,
    Fleet,
    account,
    auth,
    make_settings,
    running,
    submit,
    wait_for,
)


async def test_happy_path_with_approvals(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client)
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["strategy"]["summary"] == "ask for full_refund"
    assert doc["awaiting"] == "strategy"
    assert (
        "negotiate" not in fleet.negotiation.skills_called()
    )  # nothing reaches CS before approval

    response = await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["proposal"]["status"] == "agreement"
    assert doc["negotiation"]["cs_exchanges"] == 2
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2]

    await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    # CS agreed to a refund: the case now watches that it posts (follow-through)
    doc = await wait_for(client, sid, token, {"monitoring"})
    assert doc["outcome"]["status"] == "accepted"
    [promise] = doc["follow_through"]["promises"]
    assert (promise["type"], promise["amount"], promise["status"]) == (
        "full_refund",
        129.99,
        "pending",
    )
    assert promise["days"] == 7 and promise["days_source"] == "default"  # CS named no days
    assert len(fleet.desk.keys) == len(set(fleet.desk.keys)) == 3

    events = (await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))).json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    changes = [e["detail"]["to"] for e in events if e["type"] == "state_changed"]
    assert changes == [
        "analyzing",
        "planning",
        "awaiting_strategy_approval",
        "negotiating",
        "awaiting_outcome_approval",
        "negotiating",
        "monitoring",
    ]
    assert sum(e["type"] == "cs_exchange" for e in events) == 3
    assert {e["actor"] for e in events} >= {"customer", "context_agent", "negotiation_agent"}


async def test_auto_approve_runs_to_the_proposal(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["proposal"]["offer"]["type"] == "full_refund"
    # the negotiator is told the order's product titles (by which CS names the item), and
    # the customer's own words for it
    cases = [inp["case"] for skill, inp in fleet.negotiation.calls if skill == "negotiate"]
    assert cases and all(c["items"] == ["Countertop Blender, 1.5 L"] for c in cases)
    assert all(c["item"] == "blender" for c in cases)


async def test_clarification_reanalyzes_with_the_order_id(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client, message="My blender arrived broken")
    doc = await wait_for(client, sid, token, {"awaiting_clarification"})
    assert doc["question"] == "Which order: the blender or the kettle?"
    response = await client.post(
        f"/v1/sessions/{sid}/messages",
        json={"text": f"It is order {ORDER_ID}"},
        headers=auth(token),
    )
    assert response.status_code == 202, response.text
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["order_id"] == ORDER_ID
    analyze_inputs = [inp for skill, inp in fleet.context.calls if skill == "analyze_issue"]
    assert analyze_inputs[-1]["order_id"] == ORDER_ID


async def test_rejected_outcome_with_new_goal_replans_and_keeps_the_attempt(
    coordinator, fleet
) -> None:
    _, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    response = await client.post(
        f"/v1/sessions/{sid}/decisions",
        json={
            "decision": "reject",
            "reason": "I'd rather have a new one",
            "new_goal": "replacement",
        },
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "planning"
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["strategy"]["goal"]["type"] == "replacement"
    assert len(doc["attempts"]) == 1 and doc["attempts"][0]["proposal"]["status"] == "agreement"
    await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["negotiation"]["attempt"] == 2
    assert {r["attempt"] for r in doc["negotiation"]["rounds"]} == {1, 2}
    assert any(key.endswith(":2:1") for key in fleet.desk.keys)
    # the first attempt's contact was closed, with its own key, once
    for _ in range(100):
        if fleet.desk.walked_away:
            break
        await asyncio.sleep(0.02)
    assert fleet.desk.walked_away == [f"{sid}:1:close"]
    assert fleet.desk.conflicts == []


async def test_change_of_mind_at_strategy_approval_replans(coordinator, fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    response = await client.post(
        f"/v1/sessions/{sid}/messages",
        json={"text": "Actually I want a replacement"},
        headers=auth(token),
    )
    assert response.status_code == 202
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"}, timeout=5)
    deadline = asyncio.get_running_loop().time() + 5
    while doc["strategy"] is None or doc["strategy"]["goal"]["type"] != "replacement":
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
        doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["strategy"]["goal"]["type"] == "replacement"


async def test_agent_down_escalates_with_context(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    fleet.negotiation.down = True
    sid, token = await submit(client)
    doc = await wait_for(client, sid, token, {"escalated"})
    assert doc["escalation"]["reason_code"] == "agent_unavailable"
    queue = await client.get("/v1/ops/escalations", headers=auth("ops-secret-token"))
    assert queue.status_code == 200
    [item] = queue.json()["escalations"]
    assert item["session_id"] == sid
    assert item["context"]["order"]["order_id"] == ORDER_ID
    assert item["context"]["cited_policies"][0]["policy_id"] == "RET-DAMAGED-01"
    assert any(step["type"] == "state_changed" for step in item["context"]["timeline"])


async def test_a_brief_agent_outage_is_ridden_out_from_the_checkpoint(tmp_path, fleet) -> None:
    settings = make_settings(tmp_path, agent_outage_grace_s=10.0)
    settings.a2a_max_attempts = 1
    async with running(settings, fleet) as (_, client):
        fleet.negotiation.down = True
        sid, token = await submit(client, auto_approve=True)
        await asyncio.sleep(0.5)  # the planning step fails at least once meanwhile
        fleet.negotiation.down = False  # the supervisor brought it back
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"}, 20)
    assert fleet.negotiation.refused >= 1
    assert doc["escalation"] is None


async def test_a_retryable_skill_failure_is_retried_not_escalated(tmp_path, fleet) -> None:
    """The negotiation agent is up but its context agent is not: try again, don't escalate."""
    from tests.coordinator.coordinator_fakes import plan_strategy

    failures = []

    def plan_while_context_is_down(inp):
        if not failures:
            failures.append(inp)
            error = "the context agent could not validate the offer: unavailable"
            return "TASK_STATE_FAILED", {"error": error, "retryable": True}, error
        return plan_strategy(inp)

    fleet.negotiation.skills["plan_strategy"] = plan_while_context_is_down
    settings = make_settings(tmp_path, agent_outage_grace_s=10.0)
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"}, 20)
    assert len(failures) == 1
    assert doc["escalation"] is None


async def test_unknown_customer_fails_with_reason(coordinator) -> None:
    app, client = coordinator
    refused = await client.post(
        "/v1/sessions",
        json={"customer_id": "C-404", "message": "hi"},
        headers=await account(client),
    )
    assert refused.status_code == 403  # not one of the account's links
    # A linked customer the order system has since forgotten: the analysis says so.
    me = await client.get("/v1/accounts/me", headers=await account(client))
    app.state.accounts.link(me.json()["account_id"], "C-404")
    sid, token = await submit(client, customer_id="C-404")
    doc = await wait_for(client, sid, token, {"failed"})
    assert "unknown customer" in doc["reason"]


async def test_cancel_stops_the_case(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    assert response.json()["state"] == "cancelled"
    again = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    assert again.status_code == 409
    assert fleet.desk.walked_away == []  # nothing was said to CS, so nothing to close


async def test_cancel_mid_negotiation_closes_the_cs_contact(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    fleet.desk.rounds_to_agree = 100
    fleet.negotiation.delay_s = 0.05
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"negotiating"})
    while len(doc["negotiation"]["rounds"]) < 2:
        doc = await wait_for(client, sid, token, {"negotiating"})
    response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    assert response.json()["state"] == "cancelled"
    for _ in range(100):
        if fleet.desk.walked_away:
            break
        await asyncio.sleep(0.02)
    assert len(fleet.desk.walked_away) == 1
    doc = await wait_for(client, sid, token, {"cancelled"})
    assert doc["reason"] == "cancelled by the customer"


async def test_concurrent_cases_stay_isolated(settings, fleet: Fleet) -> None:
    fleet.context.delay_s = 0.01
    async with running(settings, fleet) as (app, client):
        me = await client.get("/v1/accounts/me", headers=await account(client))
        for i in range(20):  # the fake agents know these customers; the order system does not
            app.state.accounts.link(me.json()["account_id"], f"C-{1000 + i}")
        sessions = await asyncio.gather(
            *[submit(client, auto_approve=True, customer_id=f"C-{1000 + i}") for i in range(20)]
        )
        docs = await asyncio.gather(
            *[
                wait_for(client, sid, tok, {"awaiting_outcome_approval"}, 20)
                for sid, tok in sessions
            ]
        )
    for i, ((sid, _), doc) in enumerate(zip(sessions, docs, strict=True)):
        assert doc["session_id"] == sid
        assert doc["analysis"]["customer_id"] == f"C-{1000 + i}"  # its own customer's case
        rounds = doc["negotiation"]["rounds"]
        assert len(rounds) == 2
    keys = fleet.desk.keys
    assert len(keys) == len(set(keys)) == 40
    customers = {
        inp["session_id"]: inp["customer_id"]
        for skill, inp in fleet.negotiation.calls
        if skill == "negotiate"
    }
    assert len(customers) == 20 and len(set(customers.values())) == 20


async def test_resume_after_restart_replays_no_round(tmp_path: Path, fleet: Fleet) -> None:
    """A coordinator stopped mid-negotiation resumes from its checkpoint on the next start."""
    settings = make_settings(tmp_path)
    fleet.desk.rounds_to_agree = 4
    fleet.negotiation.delay_s = 0.05
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        doc = await wait_for(client, sid, token, {"negotiating"})
        while len(doc["negotiation"]["rounds"]) < 1:
            doc = await wait_for(client, sid, token, {"negotiating"})
    # The lifespan ended mid-round: the task was cancelled, the checkpoint stays.
    async with running(settings, fleet) as (_, client):
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2, 3, 4]
    # A replayed round reuses its key and is answered from the desk's cache, never re-sent.
    assert set(fleet.desk.first_answers) == {f"{sid}:1:{n}" for n in range(1, 5)}


def _closing_chats(fleet: Fleet, attempts_closed: set[int]) -> list[int]:
    """CS closes the chat without an agreement on these attempts (a new contact each)."""
    from tests.coordinator.coordinator_fakes import completed

    seen: list[int] = []
    negotiate = fleet.desk.negotiate

    def closing(inp):
        seen.append(inp["attempt"])
        if inp["attempt"] in attempts_closed and inp["action"] == "continue":
            state = inp["state"] or {"contact_id": f"CT-{inp['attempt']}", "round": 0}
            outcome = {"status": "no_agreement", "reason": "CS closed the conversation",
                       "cs_closed": True, "policy_basis": []}  # fmt: skip
            return completed(
                {"state": {**state, "status": "no_agreement"}, "round": None, "done": True,
                 "outcome": outcome}
            )  # fmt: skip
        return negotiate(inp)

    fleet.negotiation.skills["negotiate"] = closing
    return seen


async def test_a_chat_cs_closes_goes_on_in_a_new_chat_once(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    seen = _closing_chats(fleet, {1})
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval", "escalated"})
    assert doc["state"] == "awaiting_outcome_approval" and doc["escalation"] is None
    assert seen[0] == 1 and set(seen[1:]) == {2}  # the new chat is attempt 2: new keys
    # the closed chat keeps its CS reference: a benchmark reads its transcript from the desk
    assert [a["contact_id"] for a in doc["attempts"]] == ["CT-1"]
    events = (await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))).json()
    assert [e["detail"] for e in events["events"] if e["type"] == "cs_chat_reopened"] == [
        {"attempt": 2}
    ]


async def test_a_second_chat_cs_closes_escalates(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    seen = _closing_chats(fleet, {1, 2})
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"escalated"})
    assert seen == [1, 2] and "CS closed" in doc["reason"]


class CountingReads:
    """The workflow's store, counting the sessions it reads."""

    def __init__(self, store) -> None:
        self._store = store
        self.reads = 0

    def get(self, session_id: str):
        self.reads += 1
        return self._store.get(session_id)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


async def test_a_step_starts_from_the_version_the_last_one_wrote(coordinator, fleet: Fleet) -> None:
    """Each step reads the case once at most: after a step's write, the next starts from it."""
    app, client = coordinator
    workflow = app.state.workflow
    counting = workflow._store = CountingReads(workflow._store)
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["negotiation"]["cs_exchanges"] >= 2  # analysis, planning and rounds: all ran
    # the case as the API created it, and once stopped (nothing left to do); every step in
    # between (analysis, planning, each round and its record) starts from what it wrote
    assert counting.reads == 2
