"""Follow-through with the agents faked at the HTTP edge: promises, checks, the ladder, the packet.

Days last 0.2 s here (CSN_DAY_SECONDS); the fake order system posts refunds when the test or
the fake desk (chased up to its rung) says so.
"""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from pypdf import PdfReader

from coordinator_agent.promises import FollowThrough, kept, promised_days, promises_from
from tests.coordinator.coordinator_fakes import (
    ORDER_ID,
    Fleet,
    auth,
    make_settings,
    running,
    submit,
    wait_for,
)

DAY = 0.2


def fast(tmp_path, **overrides):
    return make_settings(tmp_path, day_seconds=DAY, watchdog_interval_s=0.02, **overrides)


async def agree(client, auto_approve: bool = True) -> tuple[str, str, dict]:
    """A case whose refund CS confirmed: now in monitoring."""
    sid, token = await submit(client, auto_approve=auto_approve)
    if not auto_approve:
        await wait_for(client, sid, token, {"awaiting_strategy_approval"})
        await decide(client, sid, token, "approve")
    await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    await decide(client, sid, token, "approve")
    return sid, token, await wait_for(client, sid, token, {"monitoring"})


async def decide(client, sid: str, token: str, decision: str) -> None:
    response = await client.post(
        f"/v1/sessions/{sid}/decisions", json={"decision": decision}, headers=auth(token)
    )
    assert response.status_code == 200, response.text


async def events(client, sid: str, token: str) -> list[dict]:
    response = await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))
    return list(response.json()["events"])


async def test_a_kept_promise_ends_fulfilled_and_the_customer_is_told(
    tmp_path, fleet: Fleet
) -> None:
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, doc = await agree(client)
        follow = doc["follow_through"]
        [promise] = follow["promises"]
        assert promise["text"].startswith("a refund of 129.99 USD within 7 days (by ")
        fleet.orders.post_refund(129.99)
        doc = await wait_for(client, sid, token, {"fulfilled"}, timeout=10)
        history = await events(client, sid, token)
    assert doc["follow_through"]["promises"][0]["status"] == "kept"
    kinds = [e["type"] for e in history]
    assert kinds.index("monitoring") < kinds.index("promise_kept") < kinds.index("fulfilled")
    told = next(e for e in history if e["type"] == "fulfilled")["detail"]["text"]
    assert told.startswith("CS kept its word: a refund of 129.99 USD")
    assert fleet.orders.chases == []  # a kept promise is never chased
    assert "promise_broken" not in kinds


async def test_a_refund_short_of_the_amount_does_not_keep_the_promise(
    tmp_path, fleet: Fleet
) -> None:
    fleet.orders.fixes_at = 1
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client)
        fleet.orders.post_refund(50.0)  # less than agreed
        doc = await wait_for(client, sid, token, {"fulfilled"}, timeout=10)
    assert doc["follow_through"]["promises"][0]["status"] == "recovered"  # after a chase
    assert [c["rung"] for c in fleet.orders.chases] == [1]


async def test_a_broken_promise_is_chased_citing_the_agreement_and_recovered(
    tmp_path, fleet: Fleet
) -> None:
    fleet.orders.fixes_at = 2  # CS puts it right when a supervisor is asked for
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, doc = await agree(client)
        grace_until = doc["follow_through"]["promises"][0]["grace_until"]
        doc = await wait_for(client, sid, token, {"fulfilled"}, timeout=15)
        history = await events(client, sid, token)
    kinds = [e["type"] for e in history]
    assert kinds.count("promise_broken") == 1 and kinds.count("follow_up") == 2
    broken = next(e for e in history if e["type"] == "promise_broken")
    assert broken["at"] >= grace_until.replace("+00:00", "")  # never before due + grace
    first, second = fleet.orders.chases
    assert (first["rung"], second["rung"]) == (1, 2)
    agreement = first["agreement"]
    assert agreement["cs_quote"] == "Confirmed, your refund is on its way."
    assert agreement["date"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert agreement["terms"]["amount"] == 129.99
    rungs = [e["detail"] for e in history if e["type"] == "follow_up"]
    assert [r["name"] for r in rungs] == ["re-contact", "supervisor"]
    assert rungs[1]["cs_text"] == "I've issued it now."
    follow = doc["follow_through"]
    assert follow["promises"][0]["status"] == "recovered"
    assert follow["recovered_amount"] == 129.99 and follow["dispute_packet"] is None
    fulfilled = next(e for e in history if e["type"] == "fulfilled")["detail"]
    assert fulfilled["text"].startswith("CS kept its word after we chased it")


async def test_nothing_reaches_cs_without_the_customers_approval(tmp_path, fleet: Fleet) -> None:
    fleet.orders.fixes_at = 1
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client, auto_approve=False)
        doc = await wait_for(client, sid, token, {"awaiting_follow_up_approval"}, timeout=10)
        assert doc["awaiting"] == "follow_up" and "contact CS again" in doc["question"]
        await asyncio.sleep(5 * DAY)
        assert fleet.orders.chases == []  # waits for the customer, days or not
        await decide(client, sid, token, "approve")
        doc = await wait_for(client, sid, token, {"fulfilled"}, timeout=10)
    assert [c["rung"] for c in fleet.orders.chases] == [1]


async def test_a_customer_who_declines_the_chase_gets_the_dispute_packet(
    tmp_path, fleet: Fleet
) -> None:
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client, auto_approve=False)
        await wait_for(client, sid, token, {"awaiting_follow_up_approval"}, timeout=10)
        await decide(client, sid, token, "reject")
        doc = await wait_for(client, sid, token, {"escalated"})
        packet = await client.get(
            f"/v1/sessions/{sid}/dispute-packet?format=md", headers=auth(token)
        )
    assert fleet.orders.chases == []
    assert doc["escalation"]["reason_code"] == "promise_broken"
    assert packet.status_code == 200 and ORDER_ID in packet.text


async def test_every_rung_then_a_dispute_packet_as_pdf_and_markdown(tmp_path, fleet: Fleet) -> None:
    fleet.orders.fixes_at = None  # CS never puts it right
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client)
        early = await client.get(f"/v1/sessions/{sid}/dispute-packet", headers=auth(token))
        assert early.status_code == 409  # no packet while the promise may still be kept
        doc = await wait_for(client, sid, token, {"escalated"}, timeout=20)
        url = f"/v1/sessions/{sid}/dispute-packet"
        pdf = await client.get(url, headers={**auth(token), "Accept": "application/pdf"})
        md = await client.get(url, headers={**auth(token), "Accept": "text/markdown"})
        by_query = await client.get(url + "?format=md", headers=auth(token))
        refused = await client.get(url, headers={**auth(token), "Accept": "image/png"})
        no_token = await client.get(url)
        wrong = await client.get(url, headers=auth("not-the-token"))
        other_sid, other_token = await submit(client)
        foreign = await client.get(url, headers=auth(other_token))
        bad_format = await client.get(url + "?format=docx", headers=auth(token))
        history = await events(client, sid, token)
    assert [c["rung"] for c in fleet.orders.chases] == [1, 2, 3]
    assert "Formal complaint: order" in fleet.orders.chases[2]["letter"]
    follow = doc["follow_through"]
    assert follow["rung"] == 4 and follow["promises"][0]["status"] == "unrecovered"
    assert follow["dispute_packet"] == url
    assert doc["escalation"]["reason_code"] == "promise_broken"
    kinds = [e["type"] for e in history]
    assert kinds.count("follow_up") == 3 and "dispute_packet" in kinds
    deadline = next(e for e in history if e["type"] == "dispute_packet")["detail"]
    assert deadline["filing_deadline"] == "2027-03-20"  # 120 days from the order (2026-11-20)

    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    for fact in (
        f"Dispute packet: order {ORDER_ID}",
        "Deadline to file: 2027-03-20",
        "Order date (transaction): 2026-11-20",
        "Total charged: 129.99",
        "full refund of 129.99 USD",
        "Confirmed, your refund is on its way.",  # CS's confirmation, quoted
        "It is still being processed.",  # CS's answers to the chases
        "RET-DAMAGED-01",  # the policy basis
        "formal complaint",
        "promise broken",
    ):
        assert fact in text, fact
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "**Deadline to file: 2027-03-20**" in md.text
    assert "> Confirmed, your refund is on its way." in md.text
    assert by_query.text == md.text
    assert refused.status_code == 406 and bad_format.status_code == 422
    assert (no_token.status_code, wrong.status_code, foreign.status_code) == (401, 401, 403)
    assert other_sid != sid


async def test_monitoring_survives_a_restart(tmp_path, fleet: Fleet) -> None:
    settings = fast(tmp_path)
    async with running(settings, fleet) as (_, client):
        sid, token, doc = await agree(client)
    checks_before = fleet.orders.checks  # the coordinator is down: nobody checks
    fleet.orders.post_refund(129.99)
    await asyncio.sleep(3 * DAY)
    assert fleet.orders.checks == checks_before
    async with running(settings, fleet) as (_, client):  # a new process, the same store
        doc = await wait_for(client, sid, token, {"fulfilled"}, timeout=10)
    assert doc["follow_through"]["promises"][0]["status"] == "kept"
    assert fleet.orders.chases == []


async def test_an_order_system_outage_delays_the_check_and_breaks_nothing(
    tmp_path, fleet: Fleet
) -> None:
    fleet.orders.down = True
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client)
        await asyncio.sleep(12 * DAY)  # past due + grace, but nothing could be read
        doc = (await client.get(f"/v1/sessions/{sid}", headers=auth(token))).json()
        assert doc["state"] == "monitoring"
        kinds = [e["type"] for e in await events(client, sid, token)]
        assert "promise_check_failed" in kinds and "promise_broken" not in kinds
        fleet.orders.down = False
        fleet.orders.post_refund()
        await wait_for(client, sid, token, {"fulfilled"}, timeout=10)


async def test_a_cancel_during_monitoring_stops_it(tmp_path, fleet: Fleet) -> None:
    async with running(fast(tmp_path), fleet) as (_, client):
        sid, token, _ = await agree(client)
        response = await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
        assert response.json()["state"] == "cancelled"
        await asyncio.sleep(12 * DAY)
    assert fleet.orders.chases == []


# ---- the pure rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "offer", "outcomes", "expected"),
    [
        (
            "Your refund will post within 3 business days.",
            {"days_to_complete": 5},
            [],
            (3, "cs_words"),
        ),
        ("Done, refund issued.", {"days_to_complete": 5}, [], (5, "offer")),
        ("Done.", {}, [{"type": "full_refund", "days_to_complete": 10}], (10, "policy")),
        ("Done.", {}, [{"type": "store_credit", "days_to_complete": 1}], (7, "default")),
    ],
)
def test_the_days_come_from_cs_words_first(quote, offer, outcomes, expected) -> None:
    offer = {"type": "full_refund", "amount": 10.0, **offer}
    assert promised_days(offer, quote, {"outcomes": outcomes}) == expected


def test_promises_are_made_only_for_what_the_order_system_can_show() -> None:
    accepted = {"offer": {"type": "return_label"}, "cs_quote": "Label sent."}
    assert promises_from(accepted, None, 0.0, 86400.0) == []
    [ship] = promises_from({"offer": {"type": "replacement"}}, None, 0.0, 86400.0, 2)
    assert (ship.kind, ship.days, ship.due_at, ship.grace_until) == (
        "shipment", 7, 7 * 86400.0, 9 * 86400.0,
    )  # fmt: skip


def test_kept_reads_postings_after_the_agreement_only() -> None:
    agreed_at = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, 0)) - time.timezone
    [refund] = promises_from(
        {"offer": {"type": "full_refund", "amount": 100.0}}, None, agreed_at, 86400.0
    )
    old = {"refunds": [{"amount": 100.0, "date": "2026-11-01"}]}
    assert kept(refund, old, agreed_at) is None  # an earlier refund is not this one
    new = {
        "refunds": [{"amount": 60.0, "date": "2026-12-02"}, {"amount": 40.0, "date": "2026-12-03"}]
    }
    assert kept(refund, new, agreed_at) == "refund of 100.00 posted on 2026-12-03"
    flag_only = {"refund_issued": True, "refund_date": "2026-12-04"}
    assert kept(refund, flag_only, agreed_at) == "refund posted on 2026-12-04"
    [ship] = promises_from({"offer": {"type": "reship"}}, None, agreed_at, 86400.0)
    shipped = {
        "shipments": [{"kind": "reship", "shipment_id": "SH-1", "shipped_date": "2026-12-02"}]
    }
    assert kept(ship, shipped, agreed_at) == "shipment SH-1 on 2026-12-02"
    assert kept(ship, {"shipments": []}, agreed_at) is None
    # another case's refund on the same order (its reference says so) keeps nothing of ours
    theirs = {"refunds": [{"amount": 100.0, "date": "2026-12-02", "reference": "CT-OTHER"}]}
    assert kept(refund, theirs, agreed_at, reference="CT-OURS") is None
    mine = {"refunds": [{"amount": 100.0, "date": "2026-12-02", "reference": "CT-OURS"}]}
    assert (
        kept(refund, mine, agreed_at, reference="CT-OURS")
        == "refund of 100.00 posted on 2026-12-02"
    )
    assert FollowThrough(agreed_at=agreed_at, terms={}, promises=[refund]).open_promises()


def test_cs_words_are_escaped_in_the_packet() -> None:
    from coordinator_agent.letters import dispute_markdown, dispute_pdf
    from coordinator_agent.models import SessionDocument

    hostile = 'Done </para><b>bold</b> [click](http://evil.test) & "quotes" `code`'
    [promise] = promises_from({"offer": {"type": "full_refund", "amount": 5.0}}, None, 0.0, 86400.0)
    doc = SessionDocument(
        id="s1",
        customer_id="C-1001",
        message="broken",
        order_id=ORDER_ID,
        created_at=0.0,
        analysis={"order": {"order_date": "2026-11-20", "total": 5.0}},
        follow=FollowThrough(
            agreed_at=0.0,
            terms={"type": "full_refund"},
            cs_quote=hostile,
            promises=[promise],
            dispute_at=10.0,
        ),  # fmt: skip
    )
    pdf = dispute_pdf(doc, [], 10.0)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert 'Done </para><b>bold</b> [click](http://evil.test) & "quotes"' in text
    markdown = dispute_markdown(doc, [], 10.0)
    assert "\\[click\\](http://evil.test)" in markdown and "\\<b\\>bold\\</b\\>" in markdown
    assert "Deadline to file: 2027-03-20" in markdown
