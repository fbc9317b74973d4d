"""Faults that need real processes on real sockets: CS timeouts, an agent killed and restarted.

(The coordinator killed mid-negotiation is `tests/coordinator/test_fleet_integration.py`.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from shared.language.reader import load_reader
from tests.fleet import OPS_TOKEN, Fleet, running_fleet
from tests.simulation.test_cs_errors import damaged_cases

pytestmark = pytest.mark.integration

# An agreed refund or replacement is monitored (its promise watched) once CS confirmed it
SETTLED = {"awaiting_outcome_approval", "monitoring", "escalated", "failed", "cs_unavailable"}
ENDED = SETTLED - {"awaiting_outcome_approval"}
CALM = {"persona": "cooperative", "seed": 1, "latency_ms": 0, "error_rate": 0, "timeout_rate": 0}
FLEET_ENV = {
    "CSN_CS_TIMEOUT_S": "1",
    "CSN_CS_RETRY_INITIAL_S": "0.05",
    "CSN_A2A_MAX_ATTEMPTS": "2",
    # Longer than a restart here (the agents load the trained reader before they serve, a few
    # seconds on a busy machine), shorter than the budgets.
    "CSN_AGENT_OUTAGE_GRACE_S": "20",
    "CSN_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with ExitStack() as stack:
        yield start_fleet(tmp_path_factory, stack)


def start_fleet(tmp_path_factory: pytest.TempPathFactory, stack: ExitStack) -> Fleet:
    """Start the fleet; once more on fresh ports if a free port was taken meanwhile."""
    load_reader()  # built once here, so every agent (and every restart) loads it from the cache
    failure = ""
    for _ in range(2):
        var_dir = tmp_path_factory.mktemp("faults")
        try:
            return stack.enter_context(running_fleet(var_dir, extra_env=FLEET_ENV))
        except (RuntimeError, TimeoutError) as error:
            logs = "".join(p.read_text(errors="replace") for p in var_dir.glob("*.log"))
            failure = f"{error}\n{logs[-3000:]}"
    pytest.fail(f"the fleet did not start: {failure}")


@pytest.fixture(autouse=True)
def calm_cs(fleet: Fleet) -> None:
    configure_cs(fleet, **CALM, timeout_s=35)


def configure_cs(fleet: Fleet, **config: Any) -> None:
    response = httpx.put(f"{fleet.url('mock_cs_service')}/v1/admin/config", json=config, timeout=5)
    assert response.status_code == 200, response.text


class Customer:
    """One customer's session over the real customer API; every answer must be below 500."""

    def __init__(self, fleet: Fleet, customer_id: str, message: str, **extra: Any) -> None:
        self.fleet = fleet
        self.base = fleet.url("coordinator_agent")
        body = {"customer_id": customer_id, "message": message, **extra}
        created = self._call("POST", "/v1/sessions", json=body, headers=fleet.account(customer_id))
        assert created.status_code == 202, created.text
        self.session_id = created.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, self.base + path, timeout=15, **kwargs)
        assert response.status_code < 500, (path, response.status_code, response.text)
        return response

    def doc(self) -> dict[str, Any]:
        response = self._call("GET", f"/v1/sessions/{self.session_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def approve(self) -> None:
        path = f"/v1/sessions/{self.session_id}/decisions"
        response = self._call("POST", path, json={"decision": "approve"}, headers=self.headers)
        assert response.status_code == 200, response.text


def wait_all(
    customers: list[Customer], done: Callable[[dict[str, Any]], bool], budget_s: float
) -> list[dict[str, Any]]:
    """Poll every case until `done`; approve proposals on the way. Never stuck past the budget."""
    deadline = time.monotonic() + budget_s
    docs: dict[str, dict[str, Any]] = {}
    while len(docs) < len(customers):
        for customer in customers:
            if customer.session_id in docs:
                continue
            doc = customer.doc()
            if done(doc):
                docs[customer.session_id] = doc
            elif doc["state"] == "awaiting_outcome_approval":
                customer.approve()
        states = [c.doc()["state"] for c in customers if c.session_id not in docs]
        assert time.monotonic() < deadline, f"stuck after {budget_s} s in {states}"
        time.sleep(0.1)
    return [docs[c.session_id] for c in customers]


def one_message_per_round(fleet: Fleet, doc: dict[str, Any]) -> tuple[int, int]:
    """(messages of ours the desk holds, rounds the coordinator recorded with a message)."""
    contact_id = doc["negotiation"]["contact_id"]
    url = f"{fleet.url('mock_cs_service')}/v1/contacts/{contact_id}"
    talk = httpx.get(url, timeout=5).json()
    ours = [m for m in talk["messages"] if m["role"] == "customer"]
    return len(ours), len([r for r in doc["negotiation"]["rounds"] if r.get("sent")])


def faults_injected(fleet: Fleet, kind: str) -> float:
    text = httpx.get(f"{fleet.url('mock_cs_service')}/metrics", timeout=5).text
    prefix = f'csn_mock_cs_faults_total{{kind="{kind}"}} '
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))


def test_cs_timeouts_and_errors_end_every_case_cleanly_without_duplicates(fleet: Fleet) -> None:
    """The desk sleeps past the 1 s client timeout or answers 503; retries reuse the key."""
    before = faults_injected(fleet, "timeout")
    configure_cs(fleet, seed=4, error_rate=0.2, timeout_rate=0.3, timeout_s=1.5)
    customers = [Customer(fleet, c, m, auto_approve=True) for c, m in damaged_cases(4)]
    docs = wait_all(customers, lambda d: d["state"] in ENDED, budget_s=60)
    assert faults_injected(fleet, "timeout") > before, "no timeout was injected"
    for doc in docs:
        assert doc["state"] in {"monitoring", "cs_unavailable"}, (doc["state"], doc.get("reason"))
        if doc["negotiation"]["contact_id"] is None:
            continue
        ours, rounds = one_message_per_round(fleet, doc)
        if doc["state"] == "monitoring":
            assert ours == rounds
        else:  # the last round's message may land after we gave up on it, never twice
            assert doc["outcome"]["alternatives"]
            assert rounds <= ours <= rounds + 1


@pytest.mark.parametrize("agent", ["context_agent", "negotiation_agent"])
def test_an_agent_down_escalates_cleanly_and_cases_resolve_once_it_is_back(
    fleet: Fleet, agent: str
) -> None:
    """A case that needs a dead agent goes to the human queue; after a restart, cases resolve."""
    customer_id, message = damaged_cases(1)[0]
    fleet.kill(agent)
    try:
        stranded = Customer(fleet, customer_id, message, auto_approve=True)
        (doc,) = wait_all([stranded], lambda d: d["state"] in ENDED, budget_s=60)
    finally:
        fleet.start(agent)
    assert doc["state"] == "escalated", (doc["state"], doc.get("reason"))
    assert doc["escalation"] is not None
    assert doc["negotiation"]["cs_exchanges"] == 0
    queue = httpx.get(
        f"{fleet.url('coordinator_agent')}/v1/ops/escalations",
        headers={"Authorization": f"Bearer {OPS_TOKEN}"},
        timeout=5,
    ).json()["escalations"]
    assert stranded.session_id in {e["session_id"] for e in queue}

    back = Customer(fleet, customer_id, message, auto_approve=True)
    (doc,) = wait_all([back], lambda d: d["state"] in ENDED, budget_s=30)
    assert doc["state"] == "monitoring", (doc["state"], doc.get("reason"))
    assert one_message_per_round(fleet, doc)[0] == one_message_per_round(fleet, doc)[1]


def test_the_negotiator_killed_mid_case_resumes_and_never_resends(fleet: Fleet) -> None:
    """Killed while CS is slow to answer and back at once: the case resumes from its checkpoint."""
    configure_cs(fleet, persona="adversarial", seed=3, latency_ms=600)
    customer_id, message = damaged_cases(1)[0]
    customer = Customer(fleet, customer_id, message, auto_approve=True)
    (doc,) = wait_all(
        [customer], lambda d: d["state"] in SETTLED or d["negotiation"]["rounds"], budget_s=20
    )
    assert doc["state"] == "negotiating", (doc["state"], doc.get("reason"))
    time.sleep(0.3)  # round 2's message to the slow desk is in flight now
    fleet.kill("negotiation_agent")
    fleet.start("negotiation_agent")  # as `csn up` would, within the outage grace
    (doc,) = wait_all([customer], lambda d: d["state"] in SETTLED, budget_s=40)
    assert doc["state"] in {"awaiting_outcome_approval", "monitoring"}, (
        doc["state"],
        doc.get("reason"),
    )
    ours, rounds = one_message_per_round(fleet, doc)
    assert rounds >= 2
    assert rounds <= ours <= rounds + 1  # the in-flight message may land, never twice
