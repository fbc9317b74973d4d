"""The CS desk client against a respx-mocked desk: keys, retries, timeouts, errors."""

from __future__ import annotations

import httpx
import pytest
import respx
from tenacity import wait_none

from negotiation_agent.dialogue import CSDesk, CSRejected, CSUnavailable, PendingMessage
from shared import metrics

CS = "http://cs.test"
MESSAGE = PendingMessage(intent="ask", text="Please refund order 112-4839201-5839201.")
REPLY = {
    "message_id": "m1",
    "text": "ok",
    "offer": None,
    "asks": [],
    "closed": False,
    "agreed": False,
}


@pytest.fixture
async def desk():
    async with httpx.AsyncClient() as http:
        yield CSDesk(http, CS, timeout_s=0.5, max_attempts=3, wait=wait_none())


def _retries(operation: str = "message") -> float:
    return metrics.CS_RETRIES.labels(operation)._value.get()


@respx.mock
async def test_message_carries_the_idempotency_key_and_body(desk) -> None:
    route = respx.post(f"{CS}/v1/contacts/C1/messages").mock(
        return_value=httpx.Response(200, json=REPLY)
    )
    assert await desk.send("C1", "s1:1:3", MESSAGE) == REPLY
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "s1:1:3"
    assert b'"intent":"ask"' in request.content


@respx.mock
async def test_open_contact_returns_the_contact_id(desk) -> None:
    greeting = {"contact_id": "C9", "status": "open", "text": "Hi", "asks": ["photos"]}
    route = respx.post(f"{CS}/v1/contacts").mock(return_value=httpx.Response(201, json=greeting))
    opened = await desk.open_contact("s1:1:0", "C-1001", "112-4839201-5839201", "damaged_item")
    assert (opened.contact_id, opened.asks) == ("C9", ["photos"])
    assert route.calls.last.request.headers["Idempotency-Key"] == "s1:1:0"


@respx.mock
@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_transient_statuses_are_retried_then_succeed(desk, status: int) -> None:
    before = _retries()
    route = respx.post(f"{CS}/v1/contacts/C1/messages").mock(
        side_effect=[
            httpx.Response(status),
            httpx.Response(status),
            httpx.Response(200, json=REPLY),
        ]
    )
    assert await desk.send("C1", "k", MESSAGE) == REPLY
    assert route.call_count == 3
    assert _retries() - before == 2
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert keys == {"k"}  # every attempt is the same message, never a second one


@respx.mock
async def test_cs_down_after_every_attempt_is_unavailable(desk) -> None:
    route = respx.post(f"{CS}/v1/contacts/C1/messages").mock(return_value=httpx.Response(503))
    with pytest.raises(CSUnavailable):
        await desk.send("C1", "k", MESSAGE)
    assert route.call_count == 3


@respx.mock
async def test_timeouts_are_retried_and_counted(desk) -> None:
    before = metrics.CS_TIMEOUTS.labels("message")._value.get()
    route = respx.post(f"{CS}/v1/contacts/C1/messages").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(CSUnavailable, match="timed out"):
        await desk.send("C1", "k", MESSAGE)
    assert route.call_count == 3
    assert metrics.CS_TIMEOUTS.labels("message")._value.get() - before == 3


@respx.mock
async def test_connect_errors_then_success(desk) -> None:
    respx.post(f"{CS}/v1/contacts/C1/messages").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=REPLY)]
    )
    assert await desk.send("C1", "k", MESSAGE) == REPLY


@respx.mock
@pytest.mark.parametrize("status", [404, 409, 422])
async def test_client_errors_are_not_retried(desk, status: int) -> None:
    route = respx.post(f"{CS}/v1/contacts/C1/messages").mock(
        return_value=httpx.Response(status, json={"detail": "contact is closed"})
    )
    with pytest.raises(CSRejected) as caught:
        await desk.send("C1", "k", MESSAGE)
    assert caught.value.status == status and "closed" in caught.value.detail
    assert route.call_count == 1


@respx.mock
async def test_malformed_reply_is_returned_as_none(desk) -> None:
    respx.post(f"{CS}/v1/contacts/C1/messages").mock(
        return_value=httpx.Response(200, text="<html>oops")
    )
    assert await desk.send("C1", "k", MESSAGE) is None


@respx.mock
async def test_contact_without_an_id_is_an_error(desk) -> None:
    respx.post(f"{CS}/v1/contacts").mock(return_value=httpx.Response(201, json={"status": "open"}))
    with pytest.raises(CSUnavailable, match="contact id"):
        await desk.open_contact("k", "C-1001", "112-4839201-5839201", "damaged_item")


@respx.mock
async def test_ping(desk) -> None:
    respx.get(f"{CS}/healthz").mock(side_effect=[httpx.Response(200), httpx.ConnectError("down")])
    assert await desk.ping() is True
    assert await desk.ping() is False


async def test_a_contact_id_from_cs_is_quoted_into_the_path() -> None:
    """CS's contact id is untrusted: '../admin/reset' must not walk to another endpoint."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json=REPLY)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        desk = CSDesk(http, CS, timeout_s=0.5, max_attempts=1)
        await desk.send("../admin/reset?x=1", "s1:1:1", MESSAGE)
    assert seen == ["/v1/contacts/..%2Fadmin%2Freset%3Fx%3D1/messages"]
