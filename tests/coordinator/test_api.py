"""The customer API's error paths: 4xx with a clear message, never a 500, nothing corrupted."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text

from shared import limits
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

OPS = auth("ops-secret-token")


@pytest.fixture
async def waiting(coordinator):
    """A case that awaits the customer's approval of its strategy."""
    app, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    return app, client, sid, token


def sql(app, statement: str, **params) -> None:
    with app.state.store._engine.begin() as conn:
        conn.execute(text(statement), params)


async def assert_intact(client, sid: str, token: str, state: str) -> None:
    response = await client.get(f"/v1/sessions/{sid}", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == state


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 422),
        (b"[]", 422),
        (json.dumps({"customer_id": "C-1001"}).encode(), 422),
        (json.dumps({"customer_id": "C-1001", "message": ""}).encode(), 422),
        (json.dumps({"customer_id": "C-1001", "message": "x" * 4001}).encode(), 422),
        (json.dumps({"customer_id": "C 1001; drop", "message": "hi"}).encode(), 422),
        (json.dumps({"customer_id": "C-1001", "message": "hi", "order_id": "12-3"}).encode(), 422),
        (json.dumps({"customer_id": "C-1001", "message": "hi", "admin": True}).encode(), 422),
        (json.dumps({"customer_id": "C-1001", "message": "a\x00b"}).encode(), 422),
        # a new case may carry photos: a long body is read, and its message refused ...
        (json.dumps({"customer_id": "C-1001", "message": "x" * 70_000}).encode(), 422),
        # ... up to five photos' worth; above that it is not even read
        (b'{"message": "' + b"x" * limits.MAX_PHOTO_BODY_BYTES + b'"}', 413),
    ],
)
async def test_bad_session_bodies_are_refused(coordinator, body: bytes, status: int) -> None:
    app, client = coordinator
    headers = {"Content-Type": "application/json", **await account(client)}
    response = await client.post("/v1/sessions", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert "detail" in response.json()
    assert app.state.store.count_by_state() == {}


async def test_tokens_guard_every_session_call(waiting) -> None:
    app, client, sid, token = waiting
    other_sid, other_token = await submit(client)
    calls = [
        ("GET", f"/v1/sessions/{sid}", None),
        ("GET", f"/v1/sessions/{sid}/events", None),
        ("POST", f"/v1/sessions/{sid}/decisions", {"decision": "approve"}),
        ("POST", f"/v1/sessions/{sid}/messages", {"text": "hello"}),
        ("POST", f"/v1/sessions/{sid}/cancel", None),
        ("POST", f"/v1/sessions/{sid}/rating", {"score": 5}),
    ]
    for method, path, body in calls:
        assert (await client.request(method, path, json=body)).status_code == 401
        basic = {"Authorization": "Basic dXNlcjpwYXNz"}
        assert (await client.request(method, path, json=body, headers=basic)).status_code == 401
        wrong = await client.request(method, path, json=body, headers=auth("not-a-token"))
        assert wrong.status_code == 401
        assert (
            await client.request(method, path, json=body, headers=auth(other_token))
        ).status_code == 403
    unknown = await client.get("/v1/sessions/" + "0" * 32, headers=auth(token))
    assert unknown.status_code == 404
    long_id = await client.get("/v1/sessions/" + "a" * 500, headers=auth(token))
    assert long_id.status_code == 404
    await assert_intact(client, sid, token, "awaiting_strategy_approval")
    assert other_sid != sid


async def test_an_idle_token_expires_once_the_case_is_over(waiting) -> None:
    app, client, sid, token = waiting
    sql(app, "UPDATE tokens SET last_used_at = last_used_at - 90000")
    await assert_intact(client, sid, token, "awaiting_strategy_approval")  # still waiting
    await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    sql(app, "UPDATE tokens SET last_used_at = last_used_at - 90000")
    sql(app, "UPDATE sessions SET completed_at = completed_at - 90000")
    response = await client.get(f"/v1/sessions/{sid}", headers=auth(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_decisions_in_the_wrong_state_are_409(coordinator, fleet: Fleet) -> None:
    app, client = coordinator
    sid, token = await submit(client, message="no order mentioned")
    await wait_for(client, sid, token, {"awaiting_clarification"})
    before = app.state.store.get(sid)
    response = await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    assert response.status_code == 409
    assert "nothing awaits approval" in response.json()["detail"]
    rating = await client.post(f"/v1/sessions/{sid}/rating", json={"score": 5}, headers=auth(token))
    assert rating.status_code == 409
    after = app.state.store.get(sid)
    assert (after.version, after.document) == (before.version, before.document)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("decisions", {"decision": "maybe"}),
        ("decisions", {"decision": "reject", "new_goal": "a pony"}),
        ("decisions", {"decision": "reject", "floor_amount": -5}),
        ("messages", {"text": ""}),
        ("messages", {"text": "y" * 4001}),
        ("messages", {}),
        ("rating", {"score": 0}),
        ("rating", {"score": 6}),
        ("rating", {"score": "five"}),
    ],
)
async def test_bad_action_bodies_are_422(waiting, path: str, body: dict) -> None:
    app, client, sid, token = waiting
    response = await client.post(f"/v1/sessions/{sid}/{path}", json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    await assert_intact(client, sid, token, "awaiting_strategy_approval")


async def test_a_message_while_busy_is_409(coordinator, fleet: Fleet) -> None:
    """While a step runs (here: a negotiation round) the case takes no message."""
    app, client = coordinator
    fleet.negotiation.delay_s = 0.3
    sid, token = await submit(client, auto_approve=True)
    await wait_for(client, sid, token, {"negotiating"})
    response = await client.post(
        f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=auth(token)
    )
    assert response.status_code == 409
    assert "negotiating" in response.json()["detail"]
    await wait_for(client, sid, token, {"awaiting_outcome_approval"})


async def test_a_message_after_the_end_is_409_and_rating_works(waiting) -> None:
    app, client, sid, token = waiting
    await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    response = await client.post(
        f"/v1/sessions/{sid}/messages", json={"text": "hi"}, headers=auth(token)
    )
    assert response.status_code == 409
    rating = await client.post(
        f"/v1/sessions/{sid}/rating", json={"score": 4, "comment": "quick"}, headers=auth(token)
    )
    assert rating.status_code == 200
    doc = (await client.get(f"/v1/sessions/{sid}", headers=auth(token))).json()
    assert doc["rating"]["score"] == 4


async def test_a_tampered_session_is_refused_and_escalated(waiting) -> None:
    app, client, sid, token = waiting
    sql(app, "UPDATE sessions SET state = 'resolved' WHERE id = :id", id=sid)
    response = await client.get(f"/v1/sessions/{sid}", headers=auth(token))
    assert response.status_code == 409
    assert "integrity" in response.json()["detail"]
    decision = await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
    )
    assert decision.status_code == 409
    queue = (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"]
    assert [(e["session_id"], e["reason_code"]) for e in queue] == [(sid, "integrity")]


async def test_ops_queue_needs_the_ops_token_and_resolves(coordinator, fleet: Fleet) -> None:
    app, client = coordinator
    assert (await client.get("/v1/ops/escalations")).status_code == 401
    assert (await client.get("/v1/ops/escalations", headers=auth("guess"))).status_code == 401
    fleet.context.down = True
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"escalated"})
    [item] = (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"]
    missing = await client.post(
        "/v1/ops/escalations/nope/resolve", json={"note": "done"}, headers=OPS
    )
    assert missing.status_code == 404
    bad = await client.post(f"/v1/ops/escalations/{item['id']}/resolve", json={}, headers=OPS)
    assert bad.status_code == 422
    body = {"note": "refunded by phone", "offer": {"type": "full_refund", "amount": 129.99}}
    done = await client.post(f"/v1/ops/escalations/{item['id']}/resolve", json=body, headers=OPS)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"
    doc = await wait_for(client, sid, token, {"resolved"})
    assert doc["outcome"]["status"] == "resolved_by_human"
    again = await client.post(f"/v1/ops/escalations/{item['id']}/resolve", json=body, headers=OPS)
    assert again.status_code == 409
    assert (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"] == []


async def test_events_stream_as_server_sent_events(tmp_path, fleet) -> None:
    # Days of 0.2 s: the refund CS agrees to is seen posted at the first check, so the case
    # runs on through monitoring to `fulfilled`, where the stream ends.
    settings = make_settings(tmp_path, day_seconds=0.2, watchdog_interval_s=0.05)
    async with running(settings, fleet) as (app, client):
        sid, token = await submit(
            client, message=f"Order {ORDER_ID} came broken", auto_approve=True
        )
        await wait_for(client, sid, token, {"awaiting_outcome_approval"})
        fleet.orders.post_refund()
        await client.post(
            f"/v1/sessions/{sid}/decisions", json={"decision": "approve"}, headers=auth(token)
        )
        headers = {**auth(token), "Accept": "text/event-stream"}
        async with client.stream("GET", f"/v1/sessions/{sid}/events", headers=headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            body = ""
            async for chunk in response.aiter_text():
                body += chunk
        frames = [f for f in body.split("\n\n") if f.startswith("id:")]
        types = [f.split("\n")[1].removeprefix("event: ") for f in frames]
        assert types[0] == "session_created"
        assert "cs_exchange" in types
        assert types.index("monitoring") < types.index("promise_kept") < types.index("fulfilled")
        assert body.rstrip().endswith('data: {"state": "fulfilled"}')
        await _resume_stream(client, sid, headers, frames)


async def _resume_stream(client, sid, headers, frames) -> None:
    resumed = {**headers, "Last-Event-ID": str(len(frames) - 1)}
    async with client.stream("GET", f"/v1/sessions/{sid}/events", headers=resumed) as response:
        tail = "".join([chunk async for chunk in response.aiter_text()])
    assert tail.count("id: ") == 1


async def test_platform_endpoints_and_card(coordinator) -> None:
    app, client = coordinator
    assert (await client.get("/healthz")).json()["status"] == "ok"
    card = (await client.get("/.well-known/agent-card.json")).json()
    assert card["name"] == "coordinator_agent"
    schema = (await client.get("/openapi.json")).json()
    assert "/v1/sessions/{session_id}/decisions" in schema["paths"]
    metrics = (await client.get("/metrics")).text
    assert "csn_persistence_duration_seconds" in metrics


async def test_an_idempotency_key_makes_a_retry_return_the_same_session(
    coordinator, fleet: Fleet
) -> None:
    app, client = coordinator
    body = {"customer_id": "C-1001", "message": f"My blender {ORDER_ID} arrived broken"}
    key = {"Idempotency-Key": "retry-me-7f3a", **await account(client)}
    first = await client.post("/v1/sessions", json=body, headers=key)
    again = await client.post("/v1/sessions", json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["session_id"] == first.json()["session_id"]
    assert again.json()["token"] == first.json()["token"]
    other = await client.post("/v1/sessions", json={**body, "message": "another"}, headers=key)
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    sid, token = first.json()["session_id"], first.json()["token"]
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    assert sum(app.state.store.count_by_state().values()) == 1
    assert fleet.context.skills_called().count("analyze_issue") == 1
    without = await client.post("/v1/sessions", json=body, headers=await account(client))
    assert without.json()["session_id"] != sid  # no key: a new case, as before


async def test_concurrent_retries_with_one_key_open_one_session(coordinator) -> None:
    import asyncio

    app, client = coordinator
    body = {"customer_id": "C-1001", "message": f"My blender {ORDER_ID} arrived broken"}
    key = {"Idempotency-Key": "burst", **await account(client)}
    answers = await asyncio.gather(
        *(client.post("/v1/sessions", json=body, headers=key) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["session_id"] for a in answers}) == 1
    assert sum(app.state.store.count_by_state().values()) == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\there"])
async def test_a_bad_idempotency_key_is_422(coordinator, key: str) -> None:
    app, client = coordinator
    body = {"customer_id": "C-1001", "message": "hi"}
    headers = {"Idempotency-Key": key, **await account(client)}
    response = await client.post("/v1/sessions", json=body, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert app.state.store.count_by_state() == {}


async def test_a_session_tampered_while_a_step_runs_is_quarantined(coordinator, fleet) -> None:
    """The step started from the version it wrote last; its save finds the row altered."""
    app, client = coordinator
    fleet.negotiation.delay_s = 0.5
    sid, token = await submit(client, auto_approve=True)
    await wait_for(client, sid, token, {"negotiating"})
    sql(app, "UPDATE sessions SET checksum = 'forged' WHERE id = :id", id=sid)
    for _ in range(100):
        queue = (await client.get("/v1/ops/escalations", headers=OPS)).json()["escalations"]
        if queue:
            break
        await asyncio.sleep(0.05)
    assert [(e["session_id"], e["reason_code"]) for e in queue] == [(sid, "integrity")]
