"""The CS desk over HTTP: contacts, messages, idempotency keys and bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .conftest import BLENDER, CUSTOMER

OPEN = {"customer_id": CUSTOMER, "order_id": BLENDER, "problem_type": "damaged_item"}


async def transcript(client: httpx.AsyncClient, contact_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/contacts/{contact_id}")
    assert response.status_code == 200
    return dict(response.json())


async def test_open_contact_greets_and_is_open(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o1"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open" and body["order_id"] == BLENDER
    assert body["contact_id"].startswith("CT-")
    assert "ProBlend" in body["text"]


async def test_same_key_same_body_returns_the_same_contact(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o1"})
    again = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o1"})
    other = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o2"})
    assert again.status_code == 201 and again.json() == first.json()
    assert other.json()["contact_id"] != first.json()["contact_id"]


async def test_retried_message_is_answered_once(client, open_contact, say) -> None:
    contact = await open_contact()
    first = await say(contact, key="k-1", text="My blender arrived cracked.")
    again = await say(contact, key="k-1", text="My blender arrived cracked.")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    messages = (await transcript(client, contact))["messages"]
    assert [m["role"] for m in messages] == ["agent", "customer", "agent"]


async def test_same_key_with_another_body_is_409(client, open_contact, say) -> None:
    contact = await open_contact()
    await say(contact, key="k-1", text="My blender arrived cracked.")
    response = await say(contact, key="k-1", text="Something else entirely.")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert len((await transcript(client, contact))["messages"]) == 3


async def test_concurrent_requests_with_one_key_answer_once(client, open_contact, say) -> None:
    contact = await open_contact()
    replies = await asyncio.gather(
        *(say(contact, key="same", text="My blender arrived cracked.") for _ in range(12))
    )
    assert {r.status_code for r in replies} == {200}
    assert len({r.json()["message_id"] for r in replies}) == 1
    customer = [
        m for m in (await transcript(client, contact))["messages"] if m["role"] == "customer"
    ]
    assert len(customer) == 1


async def test_accept_closes_with_agreement_and_later_messages_are_409(
    client, open_contact, say
) -> None:
    contact = await open_contact()
    offered = await say(contact, text="The jug is cracked, I'd like a refund.")
    assert offered.json()["offer"]["type"] == "full_refund"
    accepted = await say(contact, key="acc", intent="accept", text="Yes please.")
    assert accepted.json()["agreed"] is True and accepted.json()["closed"] is True
    assert accepted.json()["offer"] == offered.json()["offer"]
    replay = await say(contact, key="acc", intent="accept", text="Yes please.")
    assert replay.status_code == 200 and replay.json() == accepted.json()
    late = await say(contact, text="One more thing")
    assert late.status_code == 409 and "closed" in late.json()["detail"]
    record = await transcript(client, contact)
    assert record["status"] == "closed" and record["agreed"] is True


async def test_accept_without_an_offer_agrees_to_nothing(open_contact, say) -> None:
    contact = await open_contact()
    response = await say(contact, intent="accept", text="Fine.")
    assert response.json()["agreed"] is False and response.json()["closed"] is False


async def test_close_ends_the_chat(open_contact, say) -> None:
    contact = await open_contact()
    response = await say(contact, intent="close", text="Bye")
    assert response.json()["closed"] is True and response.json()["agreed"] is False


async def test_problem_type_is_read_from_the_text_when_not_given(open_contact, say) -> None:
    contact = await open_contact(problem_type=None)
    vague = await say(contact, text="Hi there")
    assert vague.json()["asks"] == ["problem"] and vague.json()["offer"] is None
    clear = await say(contact, text="The blender arrived damaged, the jug is cracked.")
    assert clear.json()["offer"]["type"] == "full_refund"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**OPEN, "order_id": "999-0000000-0000000"}, 404),
        ({**OPEN, "customer_id": "C-1002"}, 404),  # someone else's order
        ({**OPEN, "problem_type": "alien_abduction"}, 422),
        ({"customer_id": CUSTOMER}, 422),
    ],
)
async def test_bad_contact_requests(client: httpx.AsyncClient, body: dict, status: int) -> None:
    response = await client.post("/v1/contacts", json=body, headers={"Idempotency-Key": "x"})
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 201}])
async def test_idempotency_key_is_required(client: httpx.AsyncClient, headers: dict) -> None:
    response = await client.post("/v1/contacts", json=OPEN, headers=headers)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


async def test_malformed_json_is_422(client: httpx.AsyncClient, open_contact) -> None:
    contact = await open_contact()
    response = await client.post(
        f"/v1/contacts/{contact}/messages",
        content=b"{not json",
        headers={"Idempotency-Key": "m", "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x" * 8001},
        {"text": "hi", "intent": "shout"},
        {"text": "hi", "citations": ["A" * 65]},
        {"text": "hi", "ask": {"type": "gold_bars"}},
        {"text": "hi", "ask": {"type": "partial_refund", "amount": -5}},
    ],
)
async def test_bad_messages_are_422(open_contact, say, body: dict) -> None:
    contact = await open_contact()
    response = await say(contact, **body)
    assert response.status_code == 422


async def test_unknown_contact_is_404(client: httpx.AsyncClient, say) -> None:
    assert (await say("CT-NOPE", text="hi")).status_code == 404
    assert (await client.get("/v1/contacts/CT-NOPE")).status_code == 404


async def test_reset_forgets_contacts_and_keys(client, open_contact, say) -> None:
    contact = await open_contact()
    await say(contact, key="k", text="hi")
    assert (await client.post("/v1/admin/reset")).status_code == 200
    assert (await client.get(f"/v1/contacts/{contact}")).status_code == 404
    again = await open_contact()
    assert again == contact  # same seed, same first contact: ids are reproducible


async def test_metrics_count_desk_requests(client: httpx.AsyncClient, open_contact) -> None:
    await open_contact()
    text = (await client.get("/metrics")).text
    assert 'csn_mock_cs_requests_total{operation="open",result="ok"}' in text
