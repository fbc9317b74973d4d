"""Schemathesis against the coordinator's OpenAPI, on a real socket: no input yields a 5xx."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings

from coordinator_agent.app import create_app
from tests.coordinator.coordinator_fakes import (
    CUSTOMER_EMAIL,
    ORDER_ID,
    PASSWORD,
    VAGUE,
    Fleet,
    make_settings,
)


@dataclass
class Live:
    url: str
    sessions: dict[str, tuple[str, str]]  # what the case awaits -> (session id, token)
    ops_token: str
    account_token: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Live:
    config = make_settings(tmp_path_factory.mktemp("schemathesis"))
    app = create_app(config, agent_transport=Fleet().transport())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the coordinator did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    sessions = {}
    account_token = sign_in(url)
    # One case awaiting its strategy's approval, one awaiting a clarification with choices.
    for message in (f"order {ORDER_ID} arrived broken", f"order {ORDER_ID}: {VAGUE}"):
        body = {"customer_id": "C-1001", "message": message}
        headers = {"Authorization": f"Bearer {account_token}"}
        created = httpx.post(f"{url}/v1/sessions", json=body, headers=headers).json()
        session_id, token = created["session_id"], created["token"]
        wait_until_waiting(url, session_id, token)
        sessions[get_session(url, session_id, token)["awaiting"]] = (session_id, token)
    assert set(sessions) == {"strategy", "clarification"}
    yield Live(url, sessions, "ops-secret-token", account_token)
    server.should_exit = True
    thread.join(timeout=10)


def sign_in(url: str) -> str:
    """An account linked to C-1001: its token."""
    credentials = {"email": "fuzz@example.com", "password": PASSWORD}
    assert httpx.post(f"{url}/v1/accounts", json=credentials).status_code == 201
    token = httpx.post(f"{url}/v1/auth/login", json=credentials).json()["token"]
    link = {"order_id": ORDER_ID, "email_on_file": CUSTOMER_EMAIL}
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{url}/v1/accounts/me/links", json=link, headers=headers).status_code == 201
    return str(token)


def wait_until_waiting(url: str, session_id: str, token: str) -> str:
    """The session's state once it waits on the customer (or is over)."""
    deadline = time.monotonic() + 10
    while True:
        doc = get_session(url, session_id, token)
        if doc["state"] not in {"received", "analyzing", "planning", "negotiating"}:
            return str(doc["state"])
        assert time.monotonic() < deadline, doc["state"]
        time.sleep(0.05)


def get_session(url: str, session_id: str, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.get(f"{url}/v1/sessions/{session_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text  # a corrupted case would be a 409
    return dict(response.json())


def check_case(case, live: Live, session_id: str) -> None:
    """Call one generated case with real credentials; anything but a 5xx is fine."""
    if "session_id" in (case.path_parameters or {}):
        case.path_parameters["session_id"] = session_id
    tokens = dict(live.sessions.values())
    if case.path.startswith("/v1/ops"):
        token = live.ops_token
    elif "{session_id}" in case.path:
        token = tokens[session_id]
    elif case.path == "/v1/auth/logout":  # a sign-in of its own, so the fixture's stays
        credentials = {"email": "fuzz@example.com", "password": PASSWORD}
        token = httpx.post(f"{live.url}/v1/auth/login", json=credentials).json()["token"]
    else:
        token = live.account_token
    headers = {"Authorization": f"Bearer {token}"}
    if case.path.endswith("/events"):
        headers["Accept"] = "application/json"  # a live stream would only end with the case
    response = case.call(headers=headers, timeout=10)
    assert response.status_code < 500, (
        f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    )


@pytest.mark.parametrize("which", ["strategy", "clarification"])
def test_no_input_makes_a_server_error(live: Live, which: str) -> None:
    """Generated input against a case at each kind of wait: never a 5xx, never a case that
    fails its integrity check afterwards."""
    session_id = live.sessions[which][0]
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    # /readyz answers 503 by design here: the agents it checks are not running.
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path != "/readyz"]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:
            check_case(case, live, session_id)

        run()
    for sid, token in live.sessions.values():
        wait_until_waiting(live.url, sid, token)  # readable, checksum intact, not stuck
