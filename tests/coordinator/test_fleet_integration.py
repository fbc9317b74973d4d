"""Real processes on real sockets: a whole case, and a coordinator killed mid-negotiation."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ORDER_ID = "112-4839201-5839201"
ISSUE = (
    f"The blender I ordered (order {ORDER_ID}) arrived with a cracked jug. "
    "I'd like a full refund please."
)
SERVICES = ("mock_cs_service", "context_agent", "negotiation_agent", "coordinator_agent")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Fleet:
    """The four services as child processes, each restartable."""

    def __init__(self, tmp: Path) -> None:
        self.ports = {name: free_port() for name in SERVICES}
        self.env = {
            **os.environ,
            "CSN_VAR_DIR": str(tmp),
            "CSN_DATABASE_URL": f"sqlite:///{tmp / 'coordinator.db'}",
            "CSN_AGENT_TOKEN": "integration-agent-token",
            "CSN_OPS_TOKEN": "integration-ops-token",
            "CSN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "CSN_LOG_LEVEL": "WARNING",
            "CSN_CS_URL": self.url("mock_cs_service"),
            "CSN_CONTEXT_URL": self.url("context_agent"),
            "CSN_NEGOTIATION_URL": self.url("negotiation_agent"),
            "CSN_COORDINATOR_URL": self.url("coordinator_agent"),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = tmp

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        command = [sys.executable, "-m", "csn", "serve", name, "--port", str(self.ports[name])]
        self.processes[name] = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url(name) + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.processes[name].poll() is None, (self.logs / f"{name}.log").read_text()[
                -3000:
            ]
            time.sleep(0.1)
        raise AssertionError(f"{name} did not become healthy")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(tmp_path)
    try:
        for name in SERVICES:
            fleet.start(name)
        yield fleet
    finally:
        fleet.stop_all()


class Customer:
    """The customer's side of the API."""

    def __init__(self, fleet: Fleet) -> None:
        self.url = fleet.url("coordinator_agent")
        self.headers: dict[str, str] = {}
        self.session_id = ""

    def submit(self, **extra: Any) -> None:
        body = {"customer_id": "C-1001", "message": ISSUE, **extra}
        created = httpx.post(f"{self.url}/v1/sessions", json=body, timeout=10).json()
        self.session_id = created["session_id"]
        self.headers = {"Authorization": f"Bearer {created['token']}"}

    def doc(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/v1/sessions/{self.session_id}", headers=self.headers, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    def wait(self, done: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                doc = self.doc()
                if done(doc):
                    return doc
            except httpx.TransportError:
                pass  # the coordinator is restarting
            assert time.monotonic() < deadline, (
                f"timed out; last state {doc['state']}: {doc.get('reason')}"
            )
            time.sleep(0.1)

    def approve(self) -> None:
        response = httpx.post(
            f"{self.url}/v1/sessions/{self.session_id}/decisions",
            json={"decision": "approve"},
            headers=self.headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text


def configure_cs(fleet: Fleet, **config: Any) -> None:
    response = httpx.put(f"{fleet.url('mock_cs_service')}/v1/admin/config", json=config, timeout=5)
    assert response.status_code == 200, response.text


def transcript(fleet: Fleet, contact_id: str) -> dict[str, Any]:
    response = httpx.get(f"{fleet.url('mock_cs_service')}/v1/contacts/{contact_id}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def assert_each_round_sent_once(talk: dict[str, Any], doc: dict[str, Any]) -> None:
    """CS received exactly one message per round the coordinator checkpointed."""
    ours = [m for m in talk["messages"] if m.get("role") == "customer"]
    rounds = [r for r in doc["negotiation"]["rounds"] if r.get("sent")]
    assert len(ours) == len(rounds), [m.get("text") for m in ours]


SETTLED = {"awaiting_outcome_approval", "resolved", "escalated", "failed", "cs_unavailable"}


def test_a_whole_case_through_the_real_fleet(fleet: Fleet) -> None:
    configure_cs(fleet, persona="cooperative", seed=1, latency_ms=0, error_rate=0, timeout_rate=0)
    customer = Customer(fleet)
    customer.submit()
    doc = customer.wait(lambda d: d["state"] in SETTLED | {"awaiting_strategy_approval"})
    assert doc["state"] == "awaiting_strategy_approval", doc.get("reason")
    assert doc["analysis"]["order_id"] == ORDER_ID
    assert doc["policies"]["entitlement"]["entitled"]
    assert doc["negotiation"]["cs_exchanges"] == 0
    customer.approve()
    doc = customer.wait(lambda d: d["state"] in SETTLED)
    assert doc["state"] == "awaiting_outcome_approval", doc.get("reason")
    assert doc["proposal"]["offer"]["type"] in {"full_refund", "replacement"}
    customer.approve()
    doc = customer.wait(lambda d: d["state"] in SETTLED - {"awaiting_outcome_approval"})
    assert doc["state"] == "resolved", doc.get("reason")
    talk = transcript(fleet, doc["negotiation"]["contact_id"])
    assert talk["agreed"] is True
    assert_each_round_sent_once(talk, doc)


def test_a_killed_coordinator_resumes_without_resending(fleet: Fleet) -> None:
    configure_cs(fleet, persona="adversarial", seed=3, latency_ms=400, error_rate=0, timeout_rate=0)
    customer = Customer(fleet)
    customer.submit(auto_approve=True)
    doc = customer.wait(
        lambda d: d["state"] in SETTLED or len(d["negotiation"]["rounds"]) >= 1, timeout=90
    )
    assert doc["state"] == "negotiating", f"{doc['state']}: {doc.get('reason')}"
    rounds_before = len(doc["negotiation"]["rounds"])
    fleet.kill("coordinator_agent")  # mid-round: a CS message may be in flight right now
    fleet.start("coordinator_agent")
    doc = customer.wait(lambda d: d["state"] in SETTLED, timeout=120)
    assert len(doc["negotiation"]["rounds"]) >= rounds_before
    assert [r["round"] for r in doc["negotiation"]["rounds"]] == list(
        range(1, len(doc["negotiation"]["rounds"]) + 1)
    )
    talk = transcript(fleet, doc["negotiation"]["contact_id"])
    assert_each_round_sent_once(talk, doc)


def test_csn_submit_follows_a_case_to_its_end(fleet: Fleet) -> None:
    configure_cs(fleet, persona="cooperative", seed=2, latency_ms=0, error_rate=0, timeout_rate=0)
    command = [sys.executable, "-m", "csn", "submit", ISSUE, "--customer", "C-1001"]
    command += ["--auto-approve", "--coordinator", fleet.url("coordinator_agent")]
    done = subprocess.run(
        command, cwd=REPO, env=fleet.env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
    )
    out = done.stdout.decode()
    assert done.returncode == 0, out + done.stderr.decode()
    assert "Result: resolved" in out
    assert "policy basis:" in out
    assert "CS said:" in out
    refused = subprocess.run(
        command[:-3] + ["--coordinator", fleet.url("coordinator_agent")],
        cwd=REPO, env=fleet.env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--auto-approve" in refused.stdout.decode()
