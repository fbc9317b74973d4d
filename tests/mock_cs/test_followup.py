"""The order system after the desk agrees: refunds post, shipments ship, traits, chases."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mock_cs_service.config import Settings
from mock_cs_service.followup import (
    FollowUpTrait,
    Rung,
    is_follow_up,
    plan_fulfilment,
    rung_of,
)
from shared.domain import Offer

from .conftest import BLENDER, CUSTOMER

DAY = 0.05  # seconds per simulated day


@pytest.fixture
def settings(tmp_path, policy_dir) -> Settings:
    return Settings(
        var_dir=tmp_path / "var", policy_dir=policy_dir, log_json=False, day_seconds=DAY
    )


async def agree(client: httpx.AsyncClient, key: str = "a") -> dict:
    """Open a contact about the cracked blender and accept the desk's offer."""
    opened = await client.post(
        "/v1/contacts",
        json={"customer_id": CUSTOMER, "order_id": BLENDER, "problem_type": "damaged_item"},
        headers={"Idempotency-Key": f"open-{key}"},
    )
    contact = opened.json()["contact_id"]
    url = f"/v1/contacts/{contact}/messages"
    await client.post(url, json={"text": "The jug is cracked."}, headers={"Idempotency-Key": key})
    accepted = await client.post(
        url,
        json={"text": "Yes please.", "intent": "accept"},
        headers={"Idempotency-Key": key + "!"},
    )
    assert accepted.json()["agreed"] is True
    return {"contact_id": contact, "offer": accepted.json()["offer"]}


async def order(client: httpx.AsyncClient) -> dict:
    response = await client.get(f"/v1/orders/{BLENDER}")
    assert response.status_code == 200
    return response.json()


async def chase(client: httpx.AsyncClient, text: str, key: str, channel_intent=True) -> dict:
    opened = await client.post(
        "/v1/contacts",
        json={"customer_id": CUSTOMER, "order_id": BLENDER},
        headers={"Idempotency-Key": f"chase-open-{key}"},
    )
    contact = opened.json()["contact_id"]
    body = {"text": text, **({"intent": "follow_up"} if channel_intent else {})}
    reply = await client.post(
        f"/v1/contacts/{contact}/messages", json=body, headers={"Idempotency-Key": key}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_an_order_without_remedies_shows_none(client) -> None:
    facts = await order(client)
    assert facts["refund_issued"] is False and facts["refund_date"] is None
    assert facts["refunds"] == [] and facts["shipments"] == []


async def test_a_reliable_desk_posts_the_refund_within_the_promise(client) -> None:
    granted = await agree(client)
    assert (await order(client))["refund_issued"] is False  # not at once: days later
    days = granted["offer"].get("days_to_complete") or 5
    await asyncio.sleep(days * DAY + 0.05)
    facts = await order(client)
    assert facts["refund_issued"] is True
    assert facts["refund_amount"] == granted["offer"]["amount"]
    assert facts["refund_date"] == datetime.now(UTC).date().isoformat()
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert entry["fulfilment"]["posted"] is True and entry["fulfilment"]["chases"] == []


async def test_the_followup_trait_is_configurable_and_validated(client, configure) -> None:
    assert (await configure(followup="forgetful"))["followup"] == "forgetful"
    bad = await client.put("/v1/admin/config", json={"followup": "sloppy"})
    assert bad.status_code == 422


def test_traits_are_seeded_and_reproducible() -> None:
    now, day = datetime(2026, 12, 1, tzinfo=UTC), timedelta(days=1)
    offer = Offer(type="full_refund", amount=100.0)

    def plans(trait: FollowUpTrait, seed: int) -> list:
        return [
            plan_fulfilment(trait, random.Random(f"{seed}|{n}"), f"CT-{n}", "o", offer, now, day)
            for n in range(200)
        ]

    first, again = plans(FollowUpTrait.FORGETFUL, 7), plans(FollowUpTrait.FORGETFUL, 7)
    assert [(f.post_at, f.yields_at) for f in first] == [(f.post_at, f.yields_at) for f in again]
    forgotten = sum(f.post_at is None for f in first)
    assert 40 <= forgotten <= 120  # about 40 % never post
    reliable = plans(FollowUpTrait.RELIABLE, 7)
    assert all(f.post_at and f.post_at <= now + 5 * day for f in reliable)
    slow = plans(FollowUpTrait.SLOW, 7)
    assert all(f.post_at and f.post_at > now + 5 * day * 1.5 for f in slow)
    assert plans(FollowUpTrait.RELIABLE, 8)[0].post_at != reliable[0].post_at


async def test_a_forgotten_refund_posts_when_chased_at_its_rung(client, configure) -> None:
    # Find a seed whose remedy is forgotten and yields only to a supervisor.
    for seed in range(200):
        await client.post("/v1/admin/reset")
        await configure(followup="forgetful", seed=seed)
        await agree(client, key=f"s{seed}")
        [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
        rng = random.Random(f"{seed}|{entry['contact_id']}|followup")
        offer = Offer.model_validate({**entry, "days_to_complete": None})
        now, day = datetime.now(UTC), timedelta(days=1)
        plan = plan_fulfilment(FollowUpTrait.FORGETFUL, rng, "CT", "o", offer, now, day)
        if plan and plan.post_at is None and plan.yields_at == Rung.SUPERVISOR:
            break
    else:
        pytest.fail("no seed draws a forgotten refund that yields to a supervisor")
    await asyncio.sleep(12 * DAY)
    assert (await order(client))["refund_issued"] is False
    first = await chase(client, "Following up: you agreed to a refund.", "c1")
    assert "still being processed" in first["text"] and first["closed"] is True
    assert first.get("offer") is None and first.get("agreed") is False
    second = await chase(client, "You agreed to a refund. Please pass me to a supervisor.", "c2")
    assert "supervisor" in second["text"] and "issued it now" in second["text"]
    await asyncio.sleep(DAY)
    assert (await order(client))["refund_issued"] is True
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert [c["rung"] for c in entry["fulfilment"]["chases"]] == [1, 2]
    assert entry["fulfilment"]["fixed_at_rung"] == 2


async def test_a_chase_on_the_text_channel_is_read_from_its_words(client, configure) -> None:
    reply = await chase(client, "Following up: you agreed to a refund.", "s1")
    assert "can't find any agreement" in reply["text"]  # nothing was booked on this order
    await configure(channel="text")
    words = "I still haven't received my refund for this order."
    reply = await chase(client, words, "t1", channel_intent=False)
    assert "can't find any agreement" not in reply["text"]  # a new complaint, negotiated
    await configure(channel="structured")
    await agree(client, key="agreed")
    await configure(channel="text")
    reply = await chase(client, "I'm following up: you agreed to refund this.", "t2", False)
    assert set(reply) == {"message_id", "text", "closed"}
    assert "still being processed" in reply["text"] or "issued it now" in reply["text"]
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert [c["rung"] for c in entry["fulfilment"]["chases"]] == [1]


async def test_a_bench_of_independent_cases_turns_chases_in_words_off(client, configure) -> None:
    await agree(client, key="agreed")  # an earlier case booked a remedy on this order
    await configure(channel="text", chases_in_words=False)
    words = "My blender never arrived, I'd like my money back please."
    reply = await chase(client, words, "t1", channel_intent=False)
    assert "still being processed" not in reply["text"] and "issued it now" not in reply["text"]
    assert reply["closed"] is False  # a new complaint, negotiated
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert entry["fulfilment"]["chases"] == []


async def test_a_chase_citing_its_reference_is_looked_up_even_in_a_bench(client, configure) -> None:
    await agree(client, key="agreed")
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    await configure(channel="text", chases_in_words=False)
    words = f"I'm following up on the chat {entry['contact_id']}: is the refund booked?"
    reply = await chase(client, words, "t1", channel_intent=False)
    assert "still being processed" in reply["text"] or "issued it now" in reply["text"]
    uncited = "I'm following up: you agreed to refund this."  # no reference: a new complaint
    reply = await chase(client, uncited, "t2", channel_intent=False)
    assert "still being processed" not in reply["text"] and "issued it now" not in reply["text"]
    [entry] = (await client.get("/v1/admin/ledger")).json()["agreements"]
    assert [c["rung"] for c in entry["fulfilment"]["chases"]] == [1]


async def test_a_replacement_creates_a_shipment(client) -> None:
    from mock_cs_service.followup import order_facts

    now = datetime.now(UTC)
    rng = random.Random(1)
    plan = plan_fulfilment(
        FollowUpTrait.RELIABLE,
        rng,
        "CT-ABC",
        BLENDER,
        Offer(type="replacement"),
        now,
        timedelta(days=1),
    )
    assert plan is not None and plan.post_at is not None
    facts = order_facts([plan], plan.post_at)
    assert facts["refund_issued"] is False
    [shipment] = facts["shipments"]
    assert shipment["kind"] == "replacement" and shipment["shipment_id"] == "SH-ABC"


def test_chasing_words_and_rungs() -> None:
    assert is_follow_up("I'm following up on the refund you agreed to.")
    assert is_follow_up("We still haven't received the refund.")
    assert not is_follow_up("My blender arrived cracked, I want a refund.")
    assert rung_of("Please pass me to a supervisor.") == Rung.SUPERVISOR
    assert rung_of("This is a formal complaint.") == Rung.COMPLAINT
    assert rung_of("Following up on the refund.") == Rung.RECONTACT


async def test_a_chase_is_about_the_remedy_whose_reference_it_names(client) -> None:
    first = await agree(client, key="one")
    second = await agree(client, key="two")  # a second agreement on the same order
    reply = await chase(client, f"Following up on reference {second['contact_id']}.", "c-ref")
    assert reply["closed"] is True
    entries = {
        e["contact_id"]: e for e in (await client.get("/v1/admin/ledger")).json()["agreements"]
    }
    assert entries[first["contact_id"]]["fulfilment"]["chases"] == []
    assert [c["rung"] for c in entries[second["contact_id"]]["fulfilment"]["chases"]] == [1]
    facts = await order(client)
    assert all(r["reference"] in entries for r in facts["refunds"])
