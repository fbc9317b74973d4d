"""Fault injection and the simulation's configuration: validated, partial, reproducible by seed."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_cs_service.config import Settings

from .conftest import BLENDER, CUSTOMER

OPEN = {"customer_id": CUSTOMER, "order_id": BLENDER, "problem_type": "damaged_item"}


async def test_config_starts_from_settings_and_updates_partially(client, configure) -> None:
    assert (await client.get("/v1/admin/config")).json()["persona"] == "cooperative"
    await configure(persona="adversarial", seed=42)
    updated = await configure(latency_ms=5)
    assert updated["persona"] == "adversarial" and updated["seed"] == 42
    assert updated["latency_ms"] == 5 and updated["timeout_s"] == 35.0


@pytest.mark.parametrize(
    "body",
    [
        {"persona": "angry"},
        {"error_rate": 1.5},
        {"timeout_rate": -0.1},
        {"error_rate": 0.7, "timeout_rate": 0.6},
        {"latency_ms": -1},
        {"seed": -3},
        {"colour": "blue"},
    ],
)
async def test_bad_config_is_422_and_changes_nothing(client, body) -> None:
    before = (await client.get("/v1/admin/config")).json()
    response = await client.put("/v1/admin/config", json=body)
    assert response.status_code == 422
    assert (await client.get("/v1/admin/config")).json() == before


async def test_an_error_is_a_503_before_anything_happens(client, configure, open_contact, say):
    contact = await open_contact()
    await configure(error_rate=1.0)
    failed = await say(contact, key="k", text="My blender arrived cracked.")
    assert failed.status_code == 503 and failed.headers["retry-after"] == "1"
    refused = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o9"})
    assert refused.status_code == 503
    assert len((await client.get(f"/v1/contacts/{contact}")).json()["messages"]) == 1
    await configure(error_rate=0.0)
    retried = await say(contact, key="k", text="My blender arrived cracked.")
    assert retried.status_code == 200 and retried.json()["offer"]["type"] == "full_refund"
    metrics = (await client.get("/metrics")).text
    assert 'csn_mock_cs_faults_total{kind="error"}' in metrics


async def test_a_timeout_sleeps_then_answers(client, configure, open_contact, say) -> None:
    contact = await open_contact()
    await configure(timeout_rate=1.0, timeout_s=0.2)
    started = time.perf_counter()
    reply = await say(contact, text="My blender arrived cracked.")
    assert time.perf_counter() - started >= 0.2
    assert reply.status_code == 200 and reply.json()["offer"] is not None


async def test_latency_is_added_to_desk_calls(configure, open_contact) -> None:
    await configure(latency_ms=150)
    started = time.perf_counter()
    await open_contact()
    assert time.perf_counter() - started >= 0.15


async def run_script(client: httpx.AsyncClient, seed: int) -> list[int]:
    """Open a contact and send 20 messages under a 30% error rate: the statuses seen."""
    await client.post("/v1/admin/reset")
    config = {"seed": seed, "error_rate": 0.3, "persona": "adversarial"}
    assert (await client.put("/v1/admin/config", json=config)).status_code == 200
    statuses = []
    opened = None
    for _attempt in range(10):
        opened = await client.post("/v1/contacts", json=OPEN, headers={"Idempotency-Key": "o"})
        statuses.append(opened.status_code)
        if opened.status_code == 201:
            break
    assert opened is not None and opened.status_code == 201
    contact = opened.json()["contact_id"]
    for n in range(20):
        body = {"text": "Cracked jug, see DMG-T-001.", "ask": {"type": "full_refund"}}
        reply = await client.post(
            f"/v1/contacts/{contact}/messages", json=body, headers={"Idempotency-Key": f"m{n}"}
        )
        statuses.append(reply.status_code)
        if reply.status_code == 200 and reply.json()["closed"]:
            break
    return statuses


async def test_faults_are_reproducible_by_seed(client) -> None:
    first = await run_script(client, seed=5)
    assert 503 in first and 200 in first
    assert await run_script(client, seed=5) == first
    others = [await run_script(client, seed=s) for s in (6, 7, 8)]
    assert any(o != first for o in others)


async def test_contacts_do_not_share_random_streams(client, configure, open_contact, say) -> None:
    """A busy neighbour must not change what one contact sees under the same seed."""

    async def statuses(noise: int) -> list[int]:
        await client.post("/v1/admin/reset")
        await configure(seed=3, error_rate=0.5)
        mine = other = None
        while mine is None or other is None:
            response = await client.post(
                "/v1/contacts",
                json=OPEN if mine is None else {**OPEN, "order_id": "112-5510342-7781023"},
                headers={"Idempotency-Key": f"open-{mine is None}"},
            )
            if response.status_code == 201:
                mine, other = (
                    (response.json()["contact_id"], other)
                    if mine is None
                    else (
                        mine,
                        response.json()["contact_id"],
                    )
                )
        seen = []
        for n in range(10):
            for k in range(noise):
                await say(other, key=f"noise-{n}-{k}")
            seen.append((await say(mine, key=f"mine-{n}")).status_code)
        return seen

    assert await statuses(0) == await statuses(3)


def test_settings_read_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CSN_MOCK_PERSONA", "bureaucratic")
    monkeypatch.setenv("CSN_MOCK_DATA", str(tmp_path / "x.json"))
    settings = Settings(var_dir=tmp_path)
    assert settings.mock_persona == "bureaucratic" and settings.mock_data == tmp_path / "x.json"
    assert settings.port == 9003
