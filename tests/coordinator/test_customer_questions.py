"""The case asks its customer: a clarification with choices, and what CS wants that only the
customer has (awaiting_customer_input). The agents are faked at the HTTP edge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.coordinator.coordinator_fakes import (
    ORDER_ID,
    OTHER_ORDER,
    UNSURE_WISH,
    VAGUE,
    Fleet,
    auth,
    make_settings,
    running,
    submit,
    wait_for,
)

VAGUE_MESSAGE = f"My blender {ORDER_ID} came yesterday and {VAGUE}"
PHOTOS = "Here are the photos: the jug has a crack running down the side."


async def post_message(client, sid: str, token: str, body: dict[str, Any]):
    return await client.post(f"/v1/sessions/{sid}/messages", json=body, headers=auth(token))


def analyze_inputs(fleet: Fleet) -> list[dict[str, Any]]:
    return [inp for skill, inp in fleet.context.calls if skill == "analyze_issue"]


def negotiate_inputs(fleet: Fleet) -> list[dict[str, Any]]:
    return [inp for skill, inp in fleet.negotiation.calls if skill == "negotiate"]


async def states_passed(client, sid: str, token: str) -> list[str]:
    response = await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))
    return [e["detail"]["to"] for e in response.json()["events"] if e["type"] == "state_changed"]


# -- clarification with choices ----------------------------------------------------------


async def test_vague_words_are_asked_about_with_the_likeliest_readings(coordinator) -> None:
    _, client = coordinator
    sid, token = await submit(client, message=VAGUE_MESSAGE)
    doc = await wait_for(client, sid, token, {"awaiting_clarification"})
    assert doc["awaiting"] == "clarification"
    assert doc["question"] == "Which of these best describes the problem?"
    assert [c["id"] for c in doc["choices"]] == [
        "problem:damaged_item",
        "problem:defective_item",
        "problem:other",
    ]
    assert doc["choices"][1] == {
        "id": "problem:defective_item",
        "label": "It does not work",
        "problem_type": "defective_item",
    }
    assert doc["order_id"] == ORDER_ID  # the order was found; only the reading is open


@pytest.mark.parametrize(
    "answer",
    [
        {"choice": "problem:defective_item"},
        {"text": "2"},  # the choice's number, as shown
        {"text": "  It does NOT work. "},  # its label, typed
        {"text": "problem:defective_item"},  # its id, typed
    ],
)
async def test_a_picked_reading_is_passed_to_analysis_and_wins(
    coordinator, fleet: Fleet, answer: dict[str, str]
) -> None:
    _, client = coordinator
    sid, token = await submit(client, message=VAGUE_MESSAGE)
    await wait_for(client, sid, token, {"awaiting_clarification"})
    response = await post_message(client, sid, token, answer)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "analyzing"
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["analysis"]["problem_type"] == "defective_item"
    assert doc["choices"] == [] and doc["question"] is None
    last = analyze_inputs(fleet)[-1]
    assert (last["problem_type"], last["asked"]) == ("defective_item", True)
    assert last["message"] == VAGUE_MESSAGE  # a pick adds no words to the customer's text
    lookups = [inp for skill, inp in fleet.context.calls if skill == "lookup_policies"]
    assert lookups[-1]["problem_type"] == "defective_item"
    events = (await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))).json()
    [message] = [e for e in events["events"] if e["type"] == "message"]
    assert message["detail"]["choice"] == "problem:defective_item"


async def test_a_picked_wish_is_passed_to_analysis_and_wins(coordinator, fleet: Fleet) -> None:
    _, client = coordinator
    message = f"My blender {ORDER_ID} arrived cracked, {UNSURE_WISH}"
    sid, token = await submit(client, message=message)
    doc = await wait_for(client, sid, token, {"awaiting_clarification"})
    assert doc["question"] == "What would you like the retailer to do about it?"
    assert [c["id"] for c in doc["choices"]] == [
        "outcome:replacement",
        "outcome:full_refund",
        "outcome:unspecified",
    ]
    response = await post_message(client, sid, token, {"choice": "outcome:replacement"})
    assert response.status_code == 202, response.text
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["analysis"]["desired_outcome"] == "replacement"
    assert doc["choices"] == [] and doc["question"] is None
    last = analyze_inputs(fleet)[-1]
    assert (last["desired_outcome"], last["asked"]) == ("replacement", True)
    assert "problem_type" not in last  # only the wish was asked about
    assert last["message"] == message


async def test_an_answer_in_words_is_read_once_more_then_taken(coordinator, fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client, message=VAGUE_MESSAGE)
    await wait_for(client, sid, token, {"awaiting_clarification"})
    words = "the motor only hums and the blades never turn"
    assert (await post_message(client, sid, token, {"text": words})).status_code == 202
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    last = analyze_inputs(fleet)[-1]
    assert last["asked"] is True  # asked once: the context agent takes its best reading now
    assert "problem_type" not in last
    assert last["message"] == f"{VAGUE_MESSAGE}\n{words}"


async def test_an_order_picked_from_the_choices_is_analyzed(coordinator, fleet) -> None:
    _, client = coordinator
    sid, token = await submit(client, message="My kitchen thing arrived broken")
    doc = await wait_for(client, sid, token, {"awaiting_clarification"})
    assert [c.get("order_id") for c in doc["choices"]] == [ORDER_ID, OTHER_ORDER]
    response = await post_message(client, sid, token, {"choice": f"order:{OTHER_ORDER}"})
    assert response.status_code == 202, response.text
    doc = await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert doc["order_id"] == OTHER_ORDER
    last = analyze_inputs(fleet)[-1]
    assert last["order_id"] == OTHER_ORDER
    assert "asked" not in last  # an order question is not a question about the reading


async def test_an_unknown_choice_is_422_and_changes_nothing(coordinator) -> None:
    app, client = coordinator
    sid, token = await submit(client, message=VAGUE_MESSAGE)
    await wait_for(client, sid, token, {"awaiting_clarification"})
    before = app.state.store.get(sid)
    for choice in ("problem:lost_in_space", "4", "order:" + ORDER_ID, "x" * 100):
        response = await post_message(client, sid, token, {"choice": choice})
        assert response.status_code == 422, (choice, response.text)
        assert "detail" in response.json()
    too_long = await post_message(client, sid, token, {"choice": "x" * 101})
    assert too_long.status_code == 422
    after = app.state.store.get(sid)
    assert (after.state, after.version, after.document) == (
        before.state,
        before.version,
        before.document,
    )
    doc = await wait_for(client, sid, token, {"awaiting_clarification"})
    assert len(doc["choices"]) == 3


async def test_a_choice_where_none_was_offered_is_409(coordinator, fleet) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    before = app.state.store.get(sid)
    response = await post_message(client, sid, token, {"choice": "problem:damaged_item"})
    assert response.status_code == 409, response.text
    assert "no choice" in response.json()["detail"]
    after = app.state.store.get(sid)
    assert (after.version, after.document) == (before.version, before.document)


# -- awaiting_customer_input ---------------------------------------------------------------


async def test_what_cs_asks_of_the_customer_pauses_the_case_then_goes_to_cs_once(
    coordinator, fleet: Fleet
) -> None:
    _, client = coordinator
    fleet.desk.asks_for, fleet.desk.rounds_to_agree = "photos", 3
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"awaiting_customer_input"})
    assert doc["awaiting"] == "customer_input"
    assert "photos" in doc["question"]
    assert doc["choices"] == []
    assert [r["decision"] for r in doc["negotiation"]["rounds"]] == ["needs_input"]
    assert not any("customer_input" in inp for inp in negotiate_inputs(fleet))

    response = await post_message(client, sid, token, {"text": PHOTOS})
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "negotiating"
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["question"] is None
    carried = [inp["customer_input"] for inp in negotiate_inputs(fleet) if "customer_input" in inp]
    assert carried == [PHOTOS]  # exactly once, in the round after the answer
    assert fleet.desk.heard == {f"{sid}:1:2": PHOTOS}
    assert PHOTOS in doc["negotiation"]["rounds"][1]["sent"]
    assert doc["proposal"]["cs_quote"] == "OK, full refund."

    approve = {"decision": "approve"}
    await client.post(f"/v1/sessions/{sid}/decisions", json=approve, headers=auth(token))
    doc = await wait_for(client, sid, token, {"monitoring"})  # the refund agreed is watched
    assert doc["outcome"]["cs_quote"] == "Confirmed, your refund is on its way."
    assert [inp.get("customer_input") for inp in negotiate_inputs(fleet)] == [
        None,
        PHOTOS,
        None,
        None,
    ]
    assert await states_passed(client, sid, token) == [
        "analyzing",
        "planning",
        "negotiating",
        "awaiting_customer_input",
        "negotiating",
        "awaiting_outcome_approval",
        "negotiating",
        "monitoring",
    ]


async def test_while_cs_waits_on_the_customer_only_words_are_taken(coordinator, fleet) -> None:
    app, client = coordinator
    fleet.desk.asks_for = "serial_number"
    sid, token = await submit(client, auto_approve=True)
    await wait_for(client, sid, token, {"awaiting_customer_input"})
    before = app.state.store.get(sid)
    choice = await post_message(client, sid, token, {"choice": "problem:damaged_item"})
    assert choice.status_code == 409
    decision = await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    assert decision.status_code == 409
    after = app.state.store.get(sid)
    assert (after.version, after.document) == (before.version, before.document)
    cancel = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    assert cancel.json()["state"] == "cancelled"
    await wait_for(client, sid, token, {"cancelled"})
    for _ in range(100):  # the open CS contact is closed in the background
        if fleet.desk.walked_away:
            break
        await asyncio.sleep(0.02)
    assert fleet.desk.walked_away == [f"{sid}:1:close"]  # the farewell has its own key


async def test_cs_is_told_the_case_without_the_customers_contact_details(
    coordinator, fleet: Fleet
) -> None:
    _, client = coordinator
    message = (
        f"My blender {ORDER_ID} arrived broken, the jug is cracked. "
        "Call me on +1 415 555 0134 or write to jane.doe@example.com."
    )
    sid, token = await submit(client, message=message, auto_approve=True)
    await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    [case, *others] = fleet.desk.cases
    assert all(other == case for other in others)
    assert "arrived broken, the jug is cracked." in case["description"]
    said = json.dumps(negotiate_inputs(fleet))
    assert "jane.doe@example.com" not in said and "555 0134" not in said
    assert (case["order_date"], case["delivered_date"], case["item"]) == (
        "2026-11-20",
        "2026-11-24",
        "blender",
    )


async def test_an_answer_given_before_a_restart_reaches_cs_once(tmp_path, fleet: Fleet) -> None:
    """The customer's answer is checkpointed with the case: a coordinator stopped before the
    round that carries it replays that round with the same key, and CS hears it once."""
    settings = make_settings(tmp_path)
    fleet.desk.asks_for, fleet.desk.rounds_to_agree = "photos", 3
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        await wait_for(client, sid, token, {"awaiting_customer_input"})
        fleet.negotiation.delay_s = 0.3  # the next round is in flight when the coordinator stops
        assert (await post_message(client, sid, token, {"text": PHOTOS})).status_code == 202
    fleet.negotiation.delay_s = 0.0
    async with running(settings, fleet) as (_, client):
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert fleet.desk.heard == {f"{sid}:1:2": PHOTOS}
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == [1, 2, 3]
    carried = [inp for inp in negotiate_inputs(fleet) if "customer_input" in inp]
    assert {inp["state"]["round"] for inp in carried} == {1}  # only ever the round after it


async def test_time_spent_waiting_on_the_customer_is_not_negotiation_time(
    tmp_path, fleet: Fleet
) -> None:
    """A customer who takes longer to find the photos than the whole negotiation may last
    does not lose the case: the deadline counts the talk with CS only."""
    settings = make_settings(tmp_path, negotiation_deadline_s=1.0)
    fleet.desk.asks_for = "photos"
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        await wait_for(client, sid, token, {"awaiting_customer_input"})
        await asyncio.sleep(1.5)  # longer than the deadline
        assert (await post_message(client, sid, token, {"text": PHOTOS})).status_code == 202
        doc = await wait_for(client, sid, token, {"awaiting_outcome_approval", "escalated"})
    assert doc["state"] == "awaiting_outcome_approval", doc["reason"]
    assert fleet.desk.heard == {f"{sid}:1:2": PHOTOS}
