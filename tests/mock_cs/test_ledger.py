"""The desk's ledger: what it actually granted, one line per agreement, cleared by reset."""

from __future__ import annotations

import httpx

from .conftest import BLENDER, CUSTOMER

LATE_CHAIR = "112-7731290-1187345"  # C-1001, office chair delivered 6 days late, 249.00


async def ledger(client: httpx.AsyncClient) -> list[dict]:
    response = await client.get("/v1/admin/ledger")
    assert response.status_code == 200
    return list(response.json()["agreements"])


async def test_ledger_starts_empty(client: httpx.AsyncClient) -> None:
    assert await ledger(client) == []


async def test_an_accept_books_the_offer_on_the_table(client, open_contact, say) -> None:
    contact = await open_contact()
    offered = (await say(contact, text="The jug is cracked.")).json()["offer"]
    assert await ledger(client) == []  # an offer is not an agreement
    accepted = await say(contact, key="acc", intent="accept", text="Yes please.")
    assert accepted.json()["agreed"] is True
    [entry] = await ledger(client)
    assert entry["contact_id"] == contact
    assert (entry["customer_id"], entry["order_id"]) == (CUSTOMER, BLENDER)
    assert (entry["type"], entry["amount"]) == (offered["type"], offered["amount"])
    assert entry["return_required"] is offered["return_required"] is False
    assert entry["message_id"] == accepted.json()["message_id"]


async def test_a_replayed_accept_books_once(client, open_contact, say) -> None:
    contact = await open_contact()
    await say(contact, text="The jug is cracked.")
    first = await say(contact, key="acc", intent="accept", text="Yes please.")
    again = await say(contact, key="acc", intent="accept", text="Yes please.")
    assert again.json() == first.json()
    assert len(await ledger(client)) == 1


async def test_nothing_is_booked_without_an_offer_or_on_close(client, open_contact, say) -> None:
    bare = await open_contact(key="o-bare")
    await say(bare, intent="accept", text="Fine.")
    closing = await open_contact(key="o-close", order_id=LATE_CHAIR, problem_type="late_delivery")
    await say(closing, text="It came a week late.")
    await say(closing, intent="close", text="Bye.")
    assert await ledger(client) == []


async def test_agreements_are_listed_in_order_and_reset_clears_them(
    client, open_contact, say, configure
) -> None:
    await configure(persona="cooperative")
    first = await open_contact(key="o-1")
    second = await open_contact(key="o-2", order_id=LATE_CHAIR, problem_type="late_delivery")
    await say(second, text="It came a week late.")
    await say(first, text="The jug is cracked.", ask={"type": "replacement"})
    await say(second, intent="accept", text="OK.")
    await say(first, intent="accept", text="OK.")
    entries = await ledger(client)
    assert [e["contact_id"] for e in entries] == [second, first]
    assert entries[1]["type"] == "replacement" and entries[1]["amount"] is None
    assert (await client.post("/v1/admin/reset")).status_code == 200
    assert await ledger(client) == []


async def test_a_key_sent_again_with_another_message_is_counted(client, open_contact, say) -> None:
    contact = await open_contact()
    await say(contact, key="k1", text="The jug is cracked.")
    await say(contact, key="k1", text="The jug is cracked.")  # a replay: the same request
    assert (await client.get("/v1/admin/ledger")).json()["key_conflicts"] == 0
    clash = await say(contact, key="k1", text="Something else entirely.")
    assert clash.status_code == 409
    assert (await client.get("/v1/admin/ledger")).json()["key_conflicts"] == 1
    assert (await client.post("/v1/admin/reset")).status_code == 200
    assert (await client.get("/v1/admin/ledger")).json()["key_conflicts"] == 0
