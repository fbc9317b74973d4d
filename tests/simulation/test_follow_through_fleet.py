"""Follow-through on real processes, judged by the mock's order system and ledger.

Days last 0.25 s (CSN_DAY_SECONDS, for the coordinator and the mock alike). The mock's
`forgetful` desk never posts some refunds until chased; which contact forgets, and at which
rung it gives in, is drawn from seeded generators, so each test picks the seed that gives
the rung it is about (computed with the mock's own functions, not guessed).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from mock_cs_service.desk import contact_id_for
from mock_cs_service.followup import FollowUpTrait, plan_fulfilment
from shared.domain import Offer
from tests.fleet import Fleet, running_fleet

pytestmark = pytest.mark.integration

DAY = 0.25
BLENDER = "112-4839201-5839201"  # C-1001, delivered 5 days ago: a damaged jug
MESSAGE = f"My blender {BLENDER} arrived with a cracked jug, I'd like a full refund."
ENV = {
    "CSN_DAY_SECONDS": str(DAY),
    "CSN_WATCHDOG_INTERVAL_S": "0.05",
    "CSN_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with running_fleet(tmp_path_factory.mktemp("follow"), extra_env=ENV) as running:
        yield running


def seed_for(trait: FollowUpTrait, forgotten: bool, yields_at: int | None) -> int:
    """A seed under which the first contact about the blender draws this follow-through."""
    now, offer = datetime.now(UTC), Offer(type="full_refund", amount=1.0)
    for seed in range(5000):
        contact = contact_id_for(seed, "C-1001", BLENDER, 0)
        rng = random.Random(f"{seed}|{contact}|followup")
        plan = plan_fulfilment(trait, rng, contact, BLENDER, offer, now, timedelta(days=1))
        assert plan is not None
        if (plan.post_at is None) == forgotten and plan.yields_at == yields_at:
            return seed
    raise AssertionError("no such seed")


def cs(fleet: Fleet, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response = httpx.request(method, fleet.url("mock_cs_service") + path, timeout=10, **kwargs)
    response.raise_for_status()
    return response


class Case:
    """One customer's case over the real customer API."""

    def __init__(self, fleet: Fleet, auto_approve: bool = True) -> None:
        self.base = fleet.url("coordinator_agent")
        body = {"customer_id": "C-1001", "message": MESSAGE, "auto_approve": auto_approve}
        created = httpx.post(
            self.base + "/v1/sessions", json=body, headers=fleet.account("C-1001"), timeout=10
        )
        assert created.status_code == 202, created.text
        self.id = created.json()["session_id"]
        self.headers = {"Authorization": f"Bearer {created.json()['token']}"}

    def get(self, path: str = "", **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        url = f"{self.base}/v1/sessions/{self.id}{path}"
        return httpx.get(url, headers=headers, timeout=10, **kwargs)

    def wait(self, states: set[str], budget_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + budget_s
        while True:
            try:
                doc = self.get().json()
            except httpx.TransportError:
                doc = {"state": "(restarting)"}
            if doc["state"] in states:
                return doc
            if doc["state"] == "awaiting_outcome_approval":
                self.decide("approve")
            assert time.monotonic() < deadline, (doc["state"], doc.get("reason"))
            time.sleep(0.05)

    def decide(self, decision: str) -> None:
        url = f"{self.base}/v1/sessions/{self.id}/decisions"
        response = httpx.post(url, json={"decision": decision}, headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text

    def events(self) -> list[dict[str, Any]]:
        return list(self.get("/events").json()["events"])


def start(fleet: Fleet, trait: FollowUpTrait, seed: int, channel: str = "structured") -> None:
    cs(fleet, "POST", "/v1/admin/reset")
    config = {"persona": "cooperative", "seed": seed, "followup": trait, "channel": channel}
    cs(fleet, "PUT", "/v1/admin/config", json=config)


def ledger_entry(fleet: Fleet) -> dict[str, Any]:
    [entry] = cs(fleet, "GET", "/v1/admin/ledger").json()["agreements"]
    return entry


def test_a_reliable_desk_keeps_its_word_and_nothing_is_chased(fleet: Fleet) -> None:
    start(fleet, FollowUpTrait.RELIABLE, seed=1)
    case = Case(fleet)
    doc = case.wait({"monitoring"})
    [promise] = doc["follow_through"]["promises"]
    assert promise["status"] == "pending" and promise["days_source"] in ("cs_words", "offer")
    doc = case.wait({"fulfilled"})
    order = cs(fleet, "GET", f"/v1/orders/{BLENDER}").json()
    entry = ledger_entry(fleet)
    assert entry["fulfilment"]["posted"] and entry["fulfilment"]["chases"] == []
    assert order["refund_issued"] and order["refund_amount"] == entry["amount"]
    kinds = [e["type"] for e in case.events()]
    assert "promise_kept" in kinds and "follow_up" not in kinds


@pytest.mark.parametrize(("rung", "name"), [(1, "re-contact"), (2, "supervisor"), (3, "complaint")])
def test_a_forgotten_refund_is_recovered_at_its_rung(fleet: Fleet, rung: int, name: str) -> None:
    start(fleet, FollowUpTrait.FORGETFUL, seed_for(FollowUpTrait.FORGETFUL, True, rung))
    case = Case(fleet)
    agreed = case.wait({"monitoring"})
    doc = case.wait({"fulfilled"}, budget_s=90)
    entry = ledger_entry(fleet)  # the desk's own record of the chase
    assert [c["rung"] for c in entry["fulfilment"]["chases"]] == list(range(1, rung + 1))
    assert entry["fulfilment"]["fixed_at_rung"] == rung and entry["fulfilment"]["posted"]
    events = case.events()
    broken = next(e for e in events if e["type"] == "promise_broken")
    grace_until = agreed["follow_through"]["promises"][0]["grace_until"]
    assert broken["at"] >= grace_until.replace("+00:00", "")
    chases = [e["detail"] for e in events if e["type"] == "follow_up"]
    assert [c["rung"] for c in chases] == list(range(1, rung + 1))
    first = chases[0]
    assert agreed["outcome"]["cs_quote"][:60].replace('"', "'") in first["sent"]  # CS quoted
    assert agreed["follow_through"]["agreed_at"][:10] in first["sent"]  # the agreement's date
    assert "issued it now" in chases[-1]["cs_text"]
    if rung == 3:
        assert chases[-1]["sent"].startswith("This is a formal complaint")
        assert "Formal complaint: order" in doc["follow_through"]["complaint_letter"]
    follow = doc["follow_through"]
    assert follow["promises"][0]["status"] == "recovered"
    assert follow["recovered_amount"] == pytest.approx(entry["amount"])


def test_a_refund_never_put_right_ends_with_a_dispute_packet(fleet: Fleet) -> None:
    start(fleet, FollowUpTrait.FORGETFUL, seed_for(FollowUpTrait.FORGETFUL, True, None))
    case = Case(fleet)
    agreed = case.wait({"monitoring"})
    doc = case.wait({"escalated"}, budget_s=90)
    entry = ledger_entry(fleet)
    assert [c["rung"] for c in entry["fulfilment"]["chases"]] == [1, 2, 3]
    assert not entry["fulfilment"]["posted"]
    assert doc["escalation"]["reason_code"] == "promise_broken"
    pdf = case.get("/dispute-packet", headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    order = agreed["analysis"]["order"]
    deadline = (datetime.fromisoformat(order["order_date"]) + timedelta(days=120)).date()
    for fact in (
        f"Dispute packet: order {BLENDER}",
        f"Deadline to file: {deadline.isoformat()}",
        f"Order date (transaction): {order['order_date']}",
        f"Total charged: {order['total']}",
        " ".join(agreed["outcome"]["cs_quote"].split())[:50],
        "still being processed",
        "formal complaint",
    ):
        assert fact in text, fact
    md = case.get("/dispute-packet", params={"format": "md"})
    assert md.status_code == 200 and f"**Deadline to file: {deadline.isoformat()}**" in md.text
    # another customer's token (a case that waits for its strategy approval, so it never
    # talks to CS and cannot shift the next test's contacts)
    foreign = httpx.get(
        f"{case.base}/v1/sessions/{case.id}/dispute-packet",
        headers=Case(fleet, auto_approve=False).headers,
        timeout=10,
    )
    assert foreign.status_code == 403


def test_the_text_channel_desk_answers_a_chase_in_words(fleet: Fleet) -> None:
    start(fleet, FollowUpTrait.FORGETFUL, seed_for(FollowUpTrait.FORGETFUL, True, 1), "text")
    case = Case(fleet)
    doc = case.wait({"fulfilled", "escalated"}, budget_s=90)
    assert doc["state"] == "fulfilled", doc.get("reason")
    entry = ledger_entry(fleet)
    assert entry["fulfilment"]["fixed_at_rung"] == 1
    chase = next(e["detail"] for e in case.events() if e["type"] == "follow_up")
    assert "issued it now" in chase["cs_text"]


def test_approvals_hold_the_chase_and_monitoring_survives_a_restart(fleet: Fleet) -> None:
    start(fleet, FollowUpTrait.FORGETFUL, seed_for(FollowUpTrait.FORGETFUL, True, 1))
    case = Case(fleet, auto_approve=False)
    deadline = time.monotonic() + 60
    while (doc := case.get().json())["state"] != "monitoring":
        if doc["state"] in ("awaiting_strategy_approval", "awaiting_outcome_approval"):
            case.decide("approve")
        assert time.monotonic() < deadline, doc["state"]
        time.sleep(0.05)
    fleet.kill("coordinator_agent")  # during monitoring: the schedule is in the store
    time.sleep(2 * DAY)
    fleet.start("coordinator_agent")
    doc = case.wait({"awaiting_follow_up_approval"}, budget_s=60)
    time.sleep(4 * DAY)
    assert ledger_entry(fleet)["fulfilment"]["chases"] == []  # nothing sent before approval
    case.decide("approve")
    doc = case.wait({"fulfilled"}, budget_s=60)
    assert [c["rung"] for c in ledger_entry(fleet)["fulfilment"]["chases"]] == [1]
    kinds = [e["type"] for e in case.events()]
    assert kinds.count("promise_broken") == 1 and kinds.count("follow_up") == 1
