"""Asking the desk's records, against the real mock desk (its own chase logic and ledger).

Where CS's answer to our acceptance says neither yes nor no in words we can read, the
negotiation asks the desk on a new contact whether its records show the agreement booked
(`Negotiation.verify`). Here the mock CS service itself answers, over HTTP, from what it
booked: a booking it holds is confirmed, a booking it never made is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from tenacity import wait_none

from mock_cs_service.app import create_app as create_mock_cs
from mock_cs_service.config import Settings as MockCSSettings
from mock_cs_service.desk import ConfigUpdate, Desk
from negotiation_agent.dialogue import CSDesk
from negotiation_agent.skills import Negotiation
from shared.domain import Offer
from shared.language.reader import Reader
from tests.negotiation.fakes import FakeValidator, make_input


@dataclass
class OnTheMock:
    """A negotiation's parts wired to the real mock desk, over HTTP."""

    reader: Reader
    desk: CSDesk
    validator: FakeValidator = field(default_factory=FakeValidator)

    def negotiation(
        self, state: dict | None, action: str = "continue", attempt: int = 1
    ) -> Negotiation:
        inp = make_input(None, state, action, attempt=attempt)
        return Negotiation(inp, self.desk, self.validator, 1_000_000.0, reader=self.reader)


def _on_the_mock(reader: Reader, channel: str, chases: bool) -> tuple[OnTheMock, Desk]:
    app = create_mock_cs(MockCSSettings())
    desk = app.state.desk
    desk.configure(ConfigUpdate(channel=channel, persona="cooperative", chases_in_words=chases))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cs.test")
    client = CSDesk(http, "http://cs.test", timeout_s=5, max_attempts=3, wait=wait_none())
    return OnTheMock(reader, client), desk


# (a bench turns the desk's chases in words off; a question citing the chat is looked up)
@pytest.mark.parametrize(
    ("channel", "chases"), [("text", True), ("text", False), ("structured", True)]
)
async def test_the_desks_records_confirm_what_it_booked_and_nothing_else(
    reader, channel, chases
) -> None:
    ours, desk = _on_the_mock(reader, channel, chases)
    state = None
    for _ in range(12):  # negotiate to an agreement the desk confirmed in words
        result = await ours.negotiation(state).run()
        state = result.state.model_dump(mode="json")
        if result.outcome is not None and result.outcome.status == "agreement":
            break
    assert result.outcome is not None and result.outcome.status == "agreement"
    agreed = result.outcome.offer
    # before anything is booked, the records confirm nothing
    assert await ours.negotiation(state).verify(agreed) is None
    accepted = await ours.negotiation(state, "accept").run()
    assert accepted.outcome.status == "accepted"
    booked = desk.agreements()
    assert len(booked) == 1
    # asked now (another attempt: keys of its own), the records confirm the booking in the
    # desk's words, with its terms
    state = accepted.state.model_dump(mode="json")
    checked = await ours.negotiation(state, attempt=2).verify(agreed)
    assert checked is not None
    _, answer = checked
    assert answer.confirms and answer.offer is not None
    assert answer.offer.type == agreed.type
    # terms the desk never booked: its records do not confirm them
    other = Offer(type="store_credit", amount=5.0, return_required=False)
    assert await ours.negotiation(state, attempt=3).verify(other) is None
    assert len(desk.agreements()) == 1  # asking books nothing
    assert desk.key_conflicts() == 0  # every question was heard: no key came twice
