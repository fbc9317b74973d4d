"""One table of limits: the fleet's services agree on sizes and timeouts."""

from __future__ import annotations

import httpx
import pytest

from context_agent.skills import AnalyzeInput
from coordinator_agent.app import build_workflow
from coordinator_agent.models import CustomerMessage, MessageIn, SessionDocument
from shared import limits
from tests.coordinator.coordinator_fakes import make_settings


def test_the_longest_messages_a_customer_may_send_fit_the_analysis() -> None:
    """A 4,000-character issue plus 4,000-character clarifications used to overflow
    analyze_issue's 8,000 limit and escalate the case."""
    longest = "x" * limits.MAX_MESSAGE_CHARS
    MessageIn(text=longest)  # the API takes it
    doc = SessionDocument(id="s", customer_id="C-1001", message=longest, created_at=0)
    for _ in range(5):
        doc.messages.append(CustomerMessage(at=0, kind="clarification", text=longest))
        AnalyzeInput(customer_id="C-1001", message=doc.full_text())
    assert doc.full_text().endswith(longest)  # the latest clarification is read in full


def test_the_negotiate_timeout_outlasts_a_worst_case_round() -> None:
    """Hand count: open, send and close with CS, validate over A2A, each 3 x 30 s, plus backoff.

    The coordinator used to give up after 105 s while the agent was still talking to CS.
    """
    backoff = (0.2 + 0.2) + (0.4 + 0.2)  # two waits: 0.2 s doubling, plus up to 0.2 s jitter
    worst_round = 3 * (3 * 30 + backoff) + (3 * 30 + backoff)
    assert limits.negotiate_timeout_s() >= worst_round
    assert limits.negotiate_timeout_s() < limits.WORKING_STATE_TIMEOUT_S


@pytest.mark.parametrize(("cs_timeout", "attempts"), [(30.0, 3), (5.0, 5), (60.0, 1)])
async def test_the_coordinator_waits_for_negotiate_as_long_as_its_settings_allow(
    tmp_path, cs_timeout: float, attempts: int
) -> None:
    settings = make_settings(tmp_path, cs_timeout_s=cs_timeout, cs_max_attempts=attempts)
    async with httpx.AsyncClient() as http:
        workflow = build_workflow(settings, None, http, http)  # type: ignore[arg-type]
    waited = workflow._negotiation._timeout  # type: ignore[attr-defined]
    assert waited >= 3 * cs_timeout * attempts + settings.a2a_timeout_s * settings.a2a_max_attempts
