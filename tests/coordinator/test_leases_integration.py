"""Two coordinator processes on one real PostgreSQL database, on real sockets: the customer
reaches either, a case is driven by one at a time, and a killed one's cases are taken over.

Judged from the outside: the mock desk's transcripts and ledger (every round reached CS once,
no idempotency key came twice with another request), the API's event histories and streams.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from coordinator_agent.leases import LeaseStore
from shared import limits
from shared.language.reader import load_reader
from tests.coordinator.test_fleet_integration import (
    ISSUE,
    SETTLED,
    configure_cs,
    transcript,
)
from tests.fleet import Fleet, running_fleet
from tests.postgres import PostgresServer

pytestmark = pytest.mark.integration

A, B = "coordinator_agent", "coordinator_b"
AGENTS = ("mock_cs_service", "context_agent", "negotiation_agent")


@pytest.fixture(scope="module")
def two_coordinators(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    """The agents, and coordinators A and B on one PostgreSQL database. B's streams poll the
    store once a minute: whatever it shows sooner, NOTIFY woke it for."""
    load_reader()
    env = {"CSN_DATABASE_URL": postgres_server.database(), "CSN_LOG_LEVEL": "WARNING"}
    with running_fleet(tmp_path_factory.mktemp("leases"), AGENTS, env) as fleet:
        fleet.start_as(A, "coordinator_agent")
        fleet.start_as(B, "coordinator_agent", {"CSN_SSE_POLL_S": "60"})
        yield fleet


class Case:
    """One customer's case, reached through either coordinator."""

    def __init__(self, fleet: Fleet, via: str, **extra: Any) -> None:
        self.fleet = fleet
        body = {"customer_id": "C-1001", "message": ISSUE, **extra}
        response = httpx.post(
            f"{fleet.url(via)}/v1/sessions", json=body, headers=fleet.account(), timeout=10
        )
        assert response.status_code == 202, response.text
        self.id = response.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def doc(self, via: str) -> dict[str, Any]:
        url = f"{self.fleet.url(via)}/v1/sessions/{self.id}"
        response = httpx.get(url, headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def events(self, via: str) -> list[dict[str, Any]]:
        url = f"{self.fleet.url(via)}/v1/sessions/{self.id}/events"
        return httpx.get(url, headers=self.headers, timeout=10).json()["events"]

    def wait(self, via: str, done: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not done(doc := self.doc(via)):
            assert time.monotonic() < deadline, f"{doc['state']}: {doc.get('reason')}"
            time.sleep(0.2)
        return doc

    def post(self, via: str, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = f"{self.fleet.url(via)}/v1/sessions/{self.id}/{action}"
        return httpx.post(url, json=body or {}, headers=self.headers, timeout=30)


def holder(fleet: Fleet, session_id: str) -> str | None:
    engine = create_engine(fleet.env["CSN_DATABASE_URL"])
    try:
        return LeaseStore(engine, "reader").holder(session_id)
    finally:
        engine.dispose()


def pid(fleet: Fleet, name: str) -> int:
    return int(httpx.get(f"{fleet.url(name)}/healthz", timeout=5).json()["pid"])


def ledger(fleet: Fleet) -> dict[str, Any]:
    return httpx.get(f"{fleet.url('mock_cs_service')}/v1/admin/ledger", timeout=5).json()


def reset_cs(fleet: Fleet, **config: Any) -> None:
    httpx.post(f"{fleet.url('mock_cs_service')}/v1/admin/reset", timeout=5).raise_for_status()
    configure_cs(fleet, seed=3, error_rate=0, timeout_rate=0, **config)


def test_a_stream_on_one_instance_sees_what_the_other_does(two_coordinators: Fleet) -> None:
    fleet = two_coordinators
    reset_cs(fleet, persona="cooperative", latency_ms=0)
    case = Case(fleet, A)
    case.wait(A, lambda d: d["state"] == "awaiting_strategy_approval")
    seen: list[tuple[float, dict[str, Any]]] = []
    url = f"{fleet.url(B)}/v1/sessions/{case.id}/events"
    headers = {**case.headers, "Accept": "text/event-stream"}
    opened = threading.Event()

    def follow() -> None:
        with httpx.stream("GET", url, headers=headers, timeout=60) as stream:
            opened.set()
            for line in stream.iter_lines():
                if line.startswith("data:") and '"seq"' in line:
                    seen.append((time.monotonic(), json.loads(line[5:])))
                    if seen[-1][1]["state"] in SETTLED:
                        return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert opened.wait(10)
    time.sleep(0.5)  # the history is read; the stream now waits for changes
    already = len(seen)
    approved_at = time.monotonic()
    assert case.post(A, "decisions", {"decision": "approve"}).status_code == 200
    reader.join(timeout=30)
    fresh = seen[already:]
    assert fresh, "B's stream saw nothing of what A did"
    first_at, first = fresh[0]
    assert first["type"] == "decision"
    # B polls once a minute: within seconds, only A's NOTIFY can have woken it.
    assert first_at - approved_at < 3.0
    assert fresh[-1][1]["state"] in SETTLED


def test_a_decision_or_cancel_sent_to_the_other_instance_is_acted_on(
    two_coordinators: Fleet,
) -> None:
    fleet = two_coordinators
    reset_cs(fleet, persona="cooperative", latency_ms=0)
    waiting = Case(fleet, A)
    waiting.wait(A, lambda d: d["state"] == "awaiting_strategy_approval")
    assert waiting.post(B, "decisions", {"decision": "approve"}).status_code == 200
    doc = waiting.wait(A, lambda d: d["state"] in SETTLED)
    assert doc["state"] == "awaiting_outcome_approval", doc.get("reason")

    # A cancel reaching B while A is mid-round with a slow desk: stored by B, acted on by A.
    reset_cs(fleet, persona="adversarial", latency_ms=1500)
    driven = Case(fleet, A, auto_approve=True)
    driven.wait(A, lambda d: d["state"] == "negotiating", timeout=60)
    owner = holder(fleet, driven.id)
    assert owner is not None and f":{pid(fleet, A)}:" in owner
    answer = driven.post(B, "cancel")
    assert answer.status_code == 200, answer.text
    doc = driven.wait(B, lambda d: d["state"] not in {"negotiating"}, timeout=60)
    assert doc["state"] == "cancelled", doc.get("reason")
    types = [e["type"] for e in driven.events(B)]
    assert "cancel_requested" in types and "taken_over" not in types
    # Its farewell closes its CS contact: let it land before the desk is reset for the next
    # test (a reset desk reuses contact ids, and a late farewell would close another's chat).
    deadline = time.monotonic() + 30
    while "cs_contact_closed" not in [e["type"] for e in driven.events(B)]:
        assert time.monotonic() < deadline, [e["type"] for e in driven.events(B)]
        time.sleep(0.2)
    assert ledger(fleet)["key_conflicts"] == 0


def test_a_killed_coordinators_cases_are_finished_by_the_other(two_coordinators: Fleet) -> None:
    fleet = two_coordinators
    reset_cs(fleet, persona="adversarial", latency_ms=600)
    cases = [Case(fleet, A, auto_approve=True) for _ in range(6)]

    def mid_round(doc: dict[str, Any]) -> bool:
        return doc["state"] == "negotiating" and len(doc["negotiation"]["rounds"]) >= 1

    deadline = time.monotonic() + 60
    while sum(mid_round(c.doc(A)) for c in cases) < 3:
        assert time.monotonic() < deadline, [c.doc(A)["state"] for c in cases]
        time.sleep(0.1)
    killed_at = time.time()
    fleet.kill(A, signal.SIGKILL)  # mid-round: CS messages may be in flight right now
    driven = [c for c in cases if c.doc(B)["state"] not in SETTLED]  # as A left them
    assert len(driven) >= 2  # (a case or so may have reached its outcome meanwhile)

    docs = [c.wait(B, lambda d: d["state"] in SETTLED, timeout=120) for c in cases]
    assert [d["state"] for d in docs] == ["awaiting_outcome_approval"] * len(cases), [
        (d["state"], d.get("reason")) for d in docs
    ]
    for case in driven:
        events = case.events(B)
        takeovers = [e for e in events if e["type"] == "taken_over"]
        assert len(takeovers) == 1, [e["type"] for e in events]
        takeover = takeovers[0]
        resumed_s = datetime.fromisoformat(takeover["at"]).timestamp() - killed_at
        assert resumed_s < limits.TAKEOVER_WITHIN_S, resumed_s
        assert takeover["detail"]["after_s"] >= limits.LEASE_TTL_S - limits.LEASE_RENEW_S
    for case in cases:  # the customer approves on B; CS books each case once
        assert case.post(B, "decisions", {"decision": "approve"}).status_code == 200
    docs = [c.wait(B, lambda d: d["state"] == "monitoring", timeout=60) for c in cases]
    for doc in docs:  # each chat's rounds once, in order (CS may have closed a first chat)
        rounds = [(r["attempt"], r["round"]) for r in doc["negotiation"]["rounds"]]
        for attempt in {a for a, _ in rounds}:
            numbers = [n for a, n in rounds if a == attempt]
            assert numbers == list(range(1, len(numbers) + 1)), rounds
        # CS got each round of the current chat once (a chat CS closed was another contact)
        talk = transcript(fleet, doc["negotiation"]["contact_id"])
        ours = [m for m in talk["messages"] if m.get("role") == "customer"]
        last = max(attempt for attempt, _ in rounds)
        sent = [r for r in doc["negotiation"]["rounds"] if r["attempt"] == last and r.get("sent")]
        assert len(ours) == len(sent), [m.get("text") for m in ours]
    booked = ledger(fleet)
    assert booked["key_conflicts"] == 0  # no key came twice with another request
    contacts = [a["contact_id"] for a in booked["agreements"]]
    assert sorted(contacts) == sorted(d["negotiation"]["contact_id"] for d in docs)
