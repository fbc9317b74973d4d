"""Real processes on real sockets: a whole case, and a coordinator killed mid-negotiation."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from csn.scenarios import evidence_photo
from shared.language.reader import load_reader
from tests.fleet import PASSWORD, REPO, Fleet, running_fleet

pytestmark = pytest.mark.integration

ORDER_ID = "112-4839201-5839201"
ISSUE = (
    f"The blender I ordered (order {ORDER_ID}) arrived with a cracked jug. "
    "I'd like a full refund please."
)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    load_reader()  # built once here, so the agents load it from the cache instead of each building it
    with running_fleet(tmp_path, extra_env={"CSN_LOG_LEVEL": "WARNING"}) as running:
        yield running


class Customer:
    """The customer's side of the API."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.url = fleet.url("coordinator_agent")
        self.headers: dict[str, str] = {}
        self.session_id = ""

    def submit(self, **extra: Any) -> None:
        body = {"customer_id": "C-1001", "message": ISSUE, **extra}
        headers = self.fleet.account()
        created = httpx.post(
            f"{self.url}/v1/sessions", json=body, headers=headers, timeout=10
        ).json()
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


# CS agreed to a refund or a replacement: the case now watches that it posts (monitoring)
SETTLED = {
    "awaiting_outcome_approval",
    "monitoring",
    "resolved",
    "escalated",
    "failed",
    "cs_unavailable",
}


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
    assert doc["state"] == "monitoring", doc.get("reason")
    talk = transcript(fleet, doc["negotiation"]["contact_id"])
    assert talk["agreed"] is True
    assert_each_round_sent_once(talk, doc)
    assert_outcome_is_what_cs_booked(fleet, talk, doc)


def assert_outcome_is_what_cs_booked(fleet: Fleet, talk: dict[str, Any], doc: dict) -> None:
    """The outcome shown is what the desk's ledger holds, quoted in CS's own words."""
    ledger = httpx.get(f"{fleet.url('mock_cs_service')}/v1/admin/ledger", timeout=5).json()
    [booked] = [a for a in ledger["agreements"] if a["contact_id"] == talk["contact_id"]]
    offer = doc["outcome"]["offer"]
    assert offer["type"] == booked["type"]
    assert offer["amount"] == pytest.approx(booked["amount"], abs=0.01)
    assert bool(offer.get("return_required")) == bool(booked["return_required"])
    said = [m["text"] for m in talk["messages"] if m["role"] == "agent"]
    assert doc["outcome"]["cs_quote"] in said


def photo_with_gps(seed: int) -> bytes:
    """A real photo, with EXIF that says where it was taken (what must never reach CS)."""
    image = Image.open(io.BytesIO(evidence_photo(seed)))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("channel", ["structured", "text"])
def test_cs_asks_for_photos_the_case_waits_and_they_reach_cs_as_attachments(
    fleet: Fleet, channel: str
) -> None:
    """A by-the-book desk wants photos: the case waits on the customer; the photos they add
    reach CS as attachments (stripped: the sizes the coordinator stored), on one message,
    and the case resolves. Judged by the desk's own transcript and ledger."""
    configure_cs(
        fleet, persona="bureaucratic", seed=1, channel=channel,
        latency_ms=0, error_rate=0, timeout_rate=0,
    )  # fmt: skip
    customer = Customer(fleet)
    customer.submit(auto_approve=True)
    doc = customer.wait(lambda d: d["state"] in SETTLED | {"awaiting_customer_input"})
    assert doc["state"] == "awaiting_customer_input", doc.get("reason")
    assert doc["photos_wanted"] and "photo" in doc["question"].lower()
    originals = [photo_with_gps(1), photo_with_gps(2)]
    photos = {"photos": [{"data": base64.b64encode(raw).decode()} for raw in originals]}
    response = httpx.post(
        f"{customer.url}/v1/sessions/{customer.session_id}/photos",
        json=photos, headers=customer.headers, timeout=30,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "negotiating"
    doc = customer.wait(lambda d: d["state"] in SETTLED)
    assert doc["state"] == "awaiting_outcome_approval", doc.get("reason")
    customer.approve()
    doc = customer.wait(lambda d: d["state"] in SETTLED - {"awaiting_outcome_approval"})
    assert doc["state"] == "monitoring", doc.get("reason")
    talk = transcript(fleet, doc["negotiation"]["contact_id"])
    carried = [m for m in talk["messages"] if m["role"] == "customer" and m.get("attachments")]
    assert len(carried) == 1  # the photos went once, with the message after they were added
    sizes = [p["size"] for p in doc["photos"]]
    assert carried[0]["attachments"] == [
        {"filename": f"photo-{n}.jpg", "content_type": "image/jpeg", "size": size}
        for n, size in enumerate(sizes, start=1)
    ]
    assert all(size < len(raw) for size, raw in zip(sizes, originals, strict=True))  # no EXIF
    assert_each_round_sent_once(talk, doc)
    assert_outcome_is_what_cs_booked(fleet, talk, doc)


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
    env = {**fleet.env, "CSN_CREDENTIALS": str(fleet.var_dir / "credentials.json")}
    command = [sys.executable, "-m", "csn", "submit", ISSUE, "--customer", "C-1001"]
    command += ["--auto-approve", "--coordinator", fleet.url("coordinator_agent")]
    unsigned = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=120)
    assert unsigned.returncode == 2 and "csn login" in unsigned.stderr.decode()
    fleet.account("C-1001")  # signed up (with the email on file) and linked
    login = [sys.executable, "-m", "csn", "login", "--email", "alex.morgan@example.com"]
    login += ["--coordinator", fleet.url("coordinator_agent")]
    signed = subprocess.run(
        login, cwd=REPO, env={**env, "CSN_PASSWORD": PASSWORD}, capture_output=True, timeout=60
    )
    assert signed.returncode == 0, signed.stderr.decode()
    assert PASSWORD not in (fleet.var_dir / "credentials.json").read_text()
    done = subprocess.run(
        command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
    )
    out = done.stdout.decode()
    assert done.returncode == 0, out + done.stderr.decode()
    assert "Result: monitoring" in out
    assert "watching: a " in out  # the promise and its due date
    assert "policy basis:" in out
    assert "CS said:" in out
    refused = subprocess.run(
        command[:-3] + ["--coordinator", fleet.url("coordinator_agent")],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--auto-approve" in refused.stdout.decode()
