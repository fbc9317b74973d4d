"""Accounts (DESIGN.md 3b): sign-up, sign-in, links, ownership of cases, throttles, CSRF.

The retailer's order system is the real mock CS app (in process): a link is proved against
its records, not against anything the coordinator knows itself.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from coordinator_agent.account_api import COOKIE, CSRF_HEADER
from shared import limits
from tests.coordinator.coordinator_fakes import (
    CUSTOMER_EMAIL,
    ORDER_ID,
    PASSWORD,
    account,
    auth,
    sign_up,
    submit,
    wait_for,
)

C1002 = ("113-1122334-4455667", "priya.raman@example.net")


def rows(app, table: str) -> int:
    with app.state.store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())  # noqa: S608


async def test_sign_up_refuses_taken_emails_weak_passwords_and_bad_input(coordinator) -> None:
    app, client = coordinator
    good = {"email": "Dana@Example.com", "password": PASSWORD, "name": "Dana"}
    created = await client.post("/v1/accounts", json=good)
    assert created.status_code == 201 and created.json()["account_id"]
    taken = await client.post("/v1/accounts", json={**good, "email": " dana@example.COM "})
    assert taken.status_code == 409
    for weak in ("short", "aaaaaaaaaaaaaa", "password123", "xavier-2026-xavier"):
        body = {"email": "xavier@example.com", "password": weak}
        response = await client.post("/v1/accounts", json=body)
        assert response.status_code == 422, weak
        assert "detail" in response.json()
    for bad in (
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "x@example.com"},
        {"email": "x@example.com", "password": PASSWORD, "admin": True},
        {"email": "x@example.com", "password": "p" * 300},
    ):
        assert (await client.post("/v1/accounts", json=bad)).status_code == 422
    assert rows(app, "accounts") == 1
    with app.state.store.engine.connect() as conn:
        stored = conn.execute(text("SELECT email, password, name FROM accounts")).one()
    for column in stored:  # encrypted at rest: neither the address nor the hash in clear
        assert b"dana" not in column.lower() and b"argon2" not in column


async def test_login_gives_an_expiring_token_and_logout_revokes_it(coordinator) -> None:
    app, client = coordinator
    await client.post("/v1/accounts", json={"email": "eve@example.com", "password": PASSWORD})
    wrong = await client.post(
        "/v1/auth/login", json={"email": "eve@example.com", "password": "nope"}
    )
    assert wrong.status_code == 401
    unknown = await client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert unknown.status_code == 401
    login = await client.post(
        "/v1/auth/login", json={"email": "EVE@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    body = login.json()
    assert body["token"] and body["expires_at"].startswith("20")
    client.cookies.clear()
    me = await client.get("/v1/accounts/me", headers=auth(body["token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "eve@example.com" and me.json()["links"] == []
    assert (await client.post("/v1/auth/logout", headers=auth(body["token"]))).status_code == 204
    assert (await client.get("/v1/accounts/me", headers=auth(body["token"]))).status_code == 401
    again = (
        await client.post("/v1/auth/login", json={"email": "eve@example.com", "password": PASSWORD})
    ).json()["token"]
    client.cookies.clear()
    with app.state.store.engine.begin() as conn:
        conn.execute(text("UPDATE account_tokens SET expires_at = expires_at - :s"), {"s": 10**7})
    expired = await client.get("/v1/accounts/me", headers=auth(again))
    assert expired.status_code == 401


async def test_login_is_throttled_per_email_and_per_address(coordinator) -> None:
    _, client = coordinator
    await client.post("/v1/accounts", json={"email": "fay@example.com", "password": PASSWORD})
    for _ in range(limits.LOGIN_FAILURES_PER_EMAIL):
        bad = {"email": "fay@example.com", "password": "wrong password"}
        assert (await client.post("/v1/auth/login", json=bad)).status_code == 401
    right = {"email": "fay@example.com", "password": PASSWORD}
    throttled = await client.post("/v1/auth/login", json=right)
    assert throttled.status_code == 429  # even the right password waits now
    assert int(throttled.headers["Retry-After"]) > 0
    for n in range(limits.LOGIN_FAILURES_PER_ADDRESS - limits.LOGIN_FAILURES_PER_EMAIL):
        bad = {"email": f"guess{n}@example.com", "password": "wrong password"}
        assert (await client.post("/v1/auth/login", json=bad)).status_code == 401
    other = {"email": "someone-else@example.com", "password": "wrong password"}
    assert (await client.post("/v1/auth/login", json=other)).status_code == 429


async def test_linking_checks_the_order_and_the_email_on_file(coordinator) -> None:
    app, client = coordinator
    headers = await sign_up(client, "gus@example.com", link=None)

    async def link(order_id: str, email: str):
        body = {"order_id": order_id, "email_on_file": email}
        return await client.post("/v1/accounts/me/links", json=body, headers=headers)

    assert (await link("999-9999999-9999999", CUSTOMER_EMAIL)).status_code == 404
    assert (await link(ORDER_ID, "gus@example.com")).status_code == 403
    assert (
        await link(C1002[0], CUSTOMER_EMAIL)
    ).status_code == 403  # C-1001's email, C-1002's order
    assert (await link("not an order", CUSTOMER_EMAIL)).status_code == 422
    assert rows(app, "account_links") == 0
    assert (await link(ORDER_ID, " Alex.Morgan@example.com ")).json() == {"customer_id": "C-1001"}
    assert (await link(*C1002)).status_code == 201
    assert (await link(ORDER_ID, CUSTOMER_EMAIL)).status_code == 201  # again: no duplicate
    me = await client.get("/v1/accounts/me", headers=headers)
    assert me.json()["links"] == ["C-1001", "C-1002"]
    orders = (await client.get("/v1/accounts/me/orders", headers=headers)).json()["orders"]
    assert {o["customer_id"] for o in orders} == {"C-1001", "C-1002"}
    assert ORDER_ID in {o["order_id"] for o in orders}
    # several links: a case must say which customer it is for
    ambiguous = await client.post("/v1/sessions", json={"message": "hi"}, headers=headers)
    assert ambiguous.status_code == 422


async def test_failed_links_are_throttled(coordinator) -> None:
    app, client = coordinator
    headers = await sign_up(client, "hal@example.com", link=None)
    for _ in range(limits.LINK_FAILURES_PER_ACCOUNT):
        body = {"order_id": ORDER_ID, "email_on_file": "guess@example.com"}
        assert (
            await client.post("/v1/accounts/me/links", json=body, headers=headers)
        ).status_code == 403
    right = {"order_id": ORDER_ID, "email_on_file": CUSTOMER_EMAIL}
    throttled = await client.post("/v1/accounts/me/links", json=right, headers=headers)
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert rows(app, "account_links") == 0


async def test_a_case_belongs_to_the_account_that_opened_it(coordinator) -> None:
    app, client = coordinator
    mine = await account(client)
    sid, session_token = await submit(client)
    second, _ = await submit(client, message=f"order {ORDER_ID}: the lid is missing")
    await wait_for(client, sid, session_token, {"awaiting_strategy_approval"})
    other = await sign_up(client, "ivy@example.com")  # also linked to C-1001
    unlinked = await sign_up(client, "jo@example.com", link=None)
    calls = [
        ("GET", f"/v1/sessions/{sid}", None),
        ("GET", f"/v1/sessions/{sid}/events", None),
        ("POST", f"/v1/sessions/{sid}/decisions", {"decision": "approve"}),
        ("POST", f"/v1/sessions/{sid}/messages", {"text": "hello"}),
        ("POST", f"/v1/sessions/{sid}/cancel", None),
        ("POST", f"/v1/sessions/{sid}/rating", {"score": 5}),
    ]
    for method, path, body in calls:
        assert (await client.request(method, path, json=body, headers=other)).status_code == 404
    assert (await client.get(f"/v1/sessions/{sid}", headers=mine)).status_code == 200
    shared = await client.get(f"/v1/sessions/{sid}", headers=auth(session_token))
    assert shared.status_code == 200  # the session's own token: a share link
    assert (await client.get("/v1/sessions", headers=other)).json() == {"sessions": []}
    listed = (await client.get("/v1/sessions", headers=mine)).json()["sessions"]
    assert [s["session_id"] for s in listed] == [second, sid]  # newest first
    assert listed[1]["customer_id"] == "C-1001" and listed[1]["state"]
    body = {"customer_id": "C-1001", "message": "hi"}
    assert (await client.post("/v1/sessions", json=body)).status_code == 401
    assert (await client.post("/v1/sessions", json=body, headers=unlinked)).status_code == 403
    foreign = {"customer_id": "C-1002", "message": "hi"}
    assert (await client.post("/v1/sessions", json=foreign, headers=mine)).status_code == 403
    assert (await client.get("/v1/sessions")).status_code == 401
    assert sum(app.state.store.count_by_state().values()) == 2


async def test_new_cases_are_rate_limited_per_account(coordinator, monkeypatch) -> None:
    app, client = coordinator
    monkeypatch.setattr(limits, "SESSIONS_PER_ACCOUNT", 2)
    await submit(client)
    await submit(client)
    body = {"message": f"order {ORDER_ID} arrived broken"}
    refused = await client.post("/v1/sessions", json=body, headers=await account(client))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= limits.SESSION_WINDOW_S + 1
    other = await sign_up(client, "kim@example.com")
    assert (await client.post("/v1/sessions", json=body, headers=other)).status_code == 202
    assert sum(app.state.store.count_by_state().values()) == 3


async def test_live_streams_are_capped_per_account(coordinator) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    me = (await client.get("/v1/accounts/me", headers=await account(client))).json()
    app.state.live_streams[me["account_id"]] = limits.LIVE_STREAMS_PER_ACCOUNT
    stream = {"Accept": "text/event-stream", **await account(client)}
    refused = await client.get(f"/v1/sessions/{sid}/events", headers=stream)
    assert refused.status_code == 429
    as_json = await client.get(f"/v1/sessions/{sid}/events", headers=await account(client))
    assert as_json.status_code == 200  # the history is not a live stream


async def test_the_page_cookie_needs_its_csrf_token_for_changes(coordinator) -> None:
    app, client = coordinator
    await sign_up(client, "lee@example.com")
    login = await client.post(
        "/v1/auth/login", json={"email": "lee@example.com", "password": PASSWORD}
    )
    assert COOKIE in login.cookies
    assert "httponly" in login.headers["set-cookie"].lower()
    assert "samesite=strict" in login.headers["set-cookie"].lower()
    csrf = login.json()["csrf_token"]
    me = await client.get("/v1/accounts/me")  # the cookie alone reads
    assert me.status_code == 200 and me.json()["csrf_token"] == csrf
    body = {"message": f"order {ORDER_ID} arrived broken"}
    forged = await client.post("/v1/sessions", json=body)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    wrong = await client.post("/v1/sessions", json=body, headers={CSRF_HEADER: "x" * 64})
    assert wrong.status_code == 403
    assert app.state.store.count_by_state() == {}
    created = await client.post("/v1/sessions", json=body, headers={CSRF_HEADER: csrf})
    assert created.status_code == 202
    sid = created.json()["session_id"]
    assert (await client.get(f"/v1/sessions/{sid}")).status_code == 200
    assert (await client.post(f"/v1/sessions/{sid}/cancel")).status_code == 403
    assert (await client.post("/v1/auth/logout")).status_code == 403
    out = await client.post("/v1/auth/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 204
    client.cookies.set(COOKIE, login.cookies[COOKIE])  # a stolen cookie after sign-out
    assert (await client.get(f"/v1/sessions/{sid}")).status_code == 401


async def test_no_password_or_email_is_logged(coordinator, caplog) -> None:
    _, client = coordinator
    caplog.set_level(logging.DEBUG)
    secret = "a-very-secret-passphrase"
    await client.post("/v1/accounts", json={"email": "mo@example.com", "password": secret})
    await client.post("/v1/auth/login", json={"email": "mo@example.com", "password": "wrong one!"})
    await sign_up(client, "nell@example.com")
    logged = caplog.text.lower()
    for personal in (secret, "mo@example.com", "nell@example.com", CUSTOMER_EMAIL, PASSWORD):
        assert personal not in logged


@pytest.mark.parametrize("token", ["", "x" * 500, "Bearer", "not-a-token"])
async def test_bad_tokens_are_401(coordinator, token: str) -> None:
    _, client = coordinator
    for path in ("/v1/accounts/me", "/v1/sessions"):
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_sign_ups_are_throttled_per_address(coordinator, monkeypatch) -> None:
    app, client = coordinator
    monkeypatch.setattr(limits, "SIGNUPS_PER_ADDRESS", 2)
    for n in range(2):
        body = {"email": f"new{n}@example.com", "password": PASSWORD}
        assert (await client.post("/v1/accounts", json=body)).status_code == 201
    third = await client.post(
        "/v1/accounts", json={"email": "new2@example.com", "password": PASSWORD}
    )
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert rows(app, "accounts") == 2
