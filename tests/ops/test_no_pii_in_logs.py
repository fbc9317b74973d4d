"""A real case through the real fleet leaves none of the customer's data in any log line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.fleet import PASSWORD, running_fleet

pytestmark = pytest.mark.integration

MOCK_DATA = Path(__file__).resolve().parents[2] / "mock_cs_service/data/orders.json"
TERMINAL = {"resolved", "monitoring", "escalated", "failed", "cs_unavailable", "cancelled"}
FREE_TEXT = "it was a gift for my grandmother Edith"
MESSAGE = (
    "Hi, this is {name} ({email}, {phone}), living at {address}. The blender I ordered "
    "arrived with a cracked jug; " + FREE_TEXT + ". Card 4111 1111 1111 1111. "
    "I'd like a full refund please."
)


def customer(customer_id: str) -> dict[str, str]:
    """The customer's record from the mock order system's data."""
    data = json.loads(MOCK_DATA.read_text())
    return next(c for c in data["customers"] if c["customer_id"] == customer_id)


def needles(record: dict[str, str]) -> set[str]:
    """Every piece of the customer's data that must not appear in a log, in the forms it takes."""
    found = {record["email"], record["phone"], record["address"], *record["name"].split()}
    found.add("".join(c for c in record["phone"] if c.isdigit())[-7:])
    found.add(record["address"].split(",")[0])
    found |= {"4111 1111", "4111-1111", FREE_TEXT, "grandmother", "Edith", "cracked jug"}
    found.add(PASSWORD)
    return {n.lower() for n in found}


def wait_for(http: httpx.Client, path: str, states: set[str], timeout_s: float = 60) -> dict:
    """Poll a session until it reaches one of `states`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        session = http.get(path).json()
        if session["state"] in states:
            return session
        time.sleep(0.3)
    raise TimeoutError(f"session stuck in {session['state']}")


def run_case(base: str, record: dict[str, str], account: dict[str, str]) -> dict:
    """Submit a case full of personal data, approve what is asked, return the final session."""
    body = {"customer_id": record["customer_id"], "message": MESSAGE.format(**record)}
    with httpx.Client(base_url=base, timeout=15) as http:
        created = http.post("/v1/sessions", json={**body, "auto_approve": True}, headers=account)
        assert created.status_code == 202, created.text
        http.headers["Authorization"] = f"Bearer {created.json()['token']}"
        path = f"/v1/sessions/{created.json()['session_id']}"
        session = wait_for(http, path, TERMINAL | {"awaiting_outcome_approval"})
        if session["state"] == "awaiting_outcome_approval":
            http.post(f"{path}/decisions", json={"decision": "approve"}).raise_for_status()
            session = wait_for(http, path, TERMINAL)
        http.post(f"{path}/messages", json={"text": FREE_TEXT})  # a late message, also not logged
        assert http.get(f"{path}/events").status_code == 200
        return session


def test_a_full_case_logs_no_personal_data(tmp_path):
    record = customer("C-1001")
    env = {"CSN_LOG_LEVEL": "DEBUG"}
    with running_fleet(tmp_path, extra_env=env) as fleet:
        # Faults make the agents retry and warn: more lines, more chances to leak.
        config = {"persona": "adversarial", "seed": 7, "error_rate": 0.3}
        httpx.put(fleet.url("mock_cs_service") + "/v1/admin/config", json=config).raise_for_status()
        # Signing up, in and linking (with the email on file) log none of it either.
        session = run_case(fleet.url("coordinator_agent"), record, fleet.account("C-1001"))
        logs = fleet.logs()
    assert session["state"] in TERMINAL
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert len(lines) >= 20
    assert {line["service"] for line in lines} >= {"coordinator_agent", "context_agent"}
    assert any(line.get("request_id") for line in lines)
    text = logs.lower()
    leaked = sorted(n for n in needles(record) if n in text)
    assert not leaked, f"personal data in the logs: {leaked}"
