"""Where the journey stops: limits, watchdog, policy outcomes, CS unavailable."""

from __future__ import annotations

from tests.coordinator.coordinator_fakes import (
    Fleet,
    lookup_policies,
    make_settings,
    running,
    submit,
    wait_for,
)


def with_entitlement(**changes):
    def lookup(inp):
        state, out, text = lookup_policies(inp)
        out["entitlement"].update(changes)
        return state, out, text

    return lookup


async def test_too_many_rounds_escalates(settings, fleet: Fleet) -> None:
    fleet.desk.rounds_to_agree = 100
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client, auto_approve=True)
        doc = await wait_for(client, sid, token, {"escalated"})
    assert doc["escalation"]["reason_code"] == "too_many_rounds"
    assert len(doc["negotiation"]["rounds"]) == 6  # the strategy's max_rounds


async def test_no_entitlement_fails_with_the_policy_reason(settings, fleet: Fleet) -> None:
    fleet.context.skills["lookup_policies"] = with_entitlement(
        entitled=False, reason="outside the 30-day window"
    )
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client)
        doc = await wait_for(client, sid, token, {"failed"})
    assert "outside the 30-day window" in doc["reason"]
    assert "plan_strategy" not in fleet.negotiation.skills_called()


async def test_an_unresolved_policy_conflict_escalates(settings, fleet: Fleet) -> None:
    fleet.context.skills["lookup_policies"] = with_entitlement(
        needs_human=True, reason="two policies disagree"
    )
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client)
        doc = await wait_for(client, sid, token, {"escalated"})
    assert doc["escalation"]["reason_code"] == "policy_conflict"


async def test_the_watchdog_escalates_a_stuck_case(tmp_path, fleet: Fleet) -> None:
    settings = make_settings(tmp_path, working_state_timeout_s=0.3, watchdog_interval_s=0.1)
    fleet.negotiation.delay_s = 5
    async with running(settings, fleet) as (_, client):
        sid, token = await submit(client)
        doc = await wait_for(client, sid, token, {"escalated"}, timeout=4)
    assert doc["escalation"]["reason_code"] == "stuck"
    assert "planning" in doc["reason"]
