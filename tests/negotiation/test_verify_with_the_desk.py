"""Asking the desk's records, against the real mock desk (its own chase logic and ledger).

Where CS's answer to our acceptance says neither yes nor no in words we can read, the
negotiation asks the desk on a new contact whether its records show the agreement booked
(`Negotiation.verify`). Here the mock CS service itself answers, over HTTP, from what it
booked: a booking it holds is confirmed, a booking it never made is not.
"""

from __future__ import annotations

import httpx
import pytest
from tenacity import wait_none

from mock_cs_service.app import create_app as create_mock_cs
from mock_cs_service.config import Settings as MockCSSettings
from mock_cs_service.desk import ConfigUpdate
from negotiation_agent.dialogue import CSDesk
from negotiation_agent.skills import Negotiation
from shared.domain import Offer
from tests.negotiation.fakes import FakeValidator, Harness, make_input


def _on_the_mock(reader, channel: str) -> tuple[Harness, object]:
    app = create_mock_cs(MockCSSettings())
    desk = app.state.desk
    desk.configure(ConfigUpdate(channel=channel, persona="cooperative", chases_in_words=True))
    harness = Harness.__new__(Harness)
    harness.reader, harness.validator = reader, FakeValidator()
    harness.strategy = None
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cs.test")
    harness.desk = CSDesk(http, "http://cs.test", timeout_s=5, max_attempts=3, wait=wait_none())
    return harness, desk


def _negotiation(harness: Harness, state: dict | None) -> Negotiation:
    inp = make_input(None, state, "continue")
    return Negotiation(inp, harness.desk, harness.validator, 1_000_000.0, reader=harness.reader)


@pytest.mark.parametrize("channel", ["text", "structured"])
async def test_the_desks_records_confirm_what_it_booked_and_nothing_else(reader, channel) -> None:
    harness, desk = _on_the_mock(reader, channel)
    state = None
    for _ in range(12):  # negotiate to an agreement the desk confirmed in words
        negotiation = _negotiation(harness, state)
        result = await negotiation.run()
        state = result.state.model_dump(mode="json")
        if result.outcome is not None and result.outcome.status == "agreement":
            break
    assert result.outcome is not None and result.outcome.status == "agreement"
    agreed = result.outcome.offer
    # before anything is booked, the records confirm nothing
    assert await _negotiation(harness, state).verify(agreed) is None
    accepted = await Negotiation(
        make_input(None, state, "accept"), harness.desk, harness.validator, 1_000_000.0,
        reader=harness.reader,
    ).run()  # fmt: skip
    assert accepted.outcome.status == "accepted"
    booked = desk.agreements()
    assert len(booked) == 1
    # asked now (another attempt: keys of its own), the records confirm the booking in the
    # desk's words, with its terms
    state = accepted.state.model_dump(mode="json")
    checked = await _attempt(harness, state, 2).verify(agreed)
    assert checked is not None
    _, answer = checked
    assert answer.confirms and answer.offer is not None
    assert answer.offer.type == agreed.type
    # terms the desk never booked: its records do not confirm them
    other = Offer(type="store_credit", amount=5.0, return_required=False)
    assert await _attempt(harness, state, 3).verify(other) is None
    assert len(desk.agreements()) == 1  # asking books nothing
    assert desk.key_conflicts() == 0  # every question was heard: no key came twice


def _attempt(harness: Harness, state: dict, attempt: int) -> Negotiation:
    inp = make_input(None, state, "accept", attempt=attempt)
    return Negotiation(inp, harness.desk, harness.validator, 1_000_000.0, reader=harness.reader)
