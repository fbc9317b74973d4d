"""The A2A client: retries transient failures only, surfaces JSON-RPC errors, reads tasks."""

from __future__ import annotations

import httpx
import pytest
import respx
from tenacity import wait_none

from shared.a2a.client import A2ACallError, A2AClient, A2AUnavailable
from shared.a2a.models import TaskState

URL = "http://peer.test/"
TASK = {
    "id": "t1",
    "contextId": "c1",
    "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-01-01T00:00:00Z"},
    "artifacts": [{"artifactId": "a1", "parts": [{"data": {"ok": True}}]}],
}


def ok(task=TASK) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": "1", "result": {"task": task}})


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as http:
        yield A2AClient(http, URL, "tok", peer="peer", wait=wait_none())


@respx.mock
async def test_call_skill_reads_the_artifact_and_sends_token_and_version(client):
    route = respx.post(URL).mock(return_value=ok())
    result = await client.call_skill("s", {"x": 1}, metadata={"session_id": "S1"})
    assert result.ok and result.output == {"ok": True} and result.state == TaskState.COMPLETED
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["a2a-version"] == "1.0"
    body = httpx.Response(200, content=request.content).json()
    assert body["params"]["message"]["metadata"]["session_id"] == "S1"


@respx.mock
async def test_transient_failures_are_retried(client):
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("down"), ok()]
    )
    assert (await client.call_skill("s", {})).ok
    assert route.call_count == 3


@respx.mock
async def test_peer_that_stays_down_is_unavailable_after_three_attempts(client):
    route = respx.post(URL).mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(A2AUnavailable):
        await client.call_skill("s", {})
    assert route.call_count == 3


@respx.mock
async def test_json_rpc_errors_are_not_retried(client):
    error = {"jsonrpc": "2.0", "id": "1", "error": {"code": -32602, "message": "bad input"}}
    route = respx.post(URL).mock(return_value=httpx.Response(200, json=error))
    with pytest.raises(A2ACallError) as raised:
        await client.call_skill("s", {})
    assert raised.value.code == -32602 and route.call_count == 1


@respx.mock
async def test_refused_token_is_a_call_error_not_retried(client):
    route = respx.post(URL).mock(return_value=httpx.Response(401, json={"detail": "no"}))
    with pytest.raises(A2ACallError) as raised:
        await client.call_skill("s", {})
    assert raised.value.code == 401 and route.call_count == 1


@respx.mock
async def test_garbage_answer_is_invalid_agent_response(client):
    respx.post(URL).mock(return_value=httpx.Response(200, text="<html>"))
    with pytest.raises(A2ACallError) as raised:
        await client.call_skill("s", {})
    assert raised.value.code == -32006


async def test_sharded_transport_spreads_requests_over_its_pools():
    import itertools

    from shared.a2a.client import ShardedTransport

    transport = ShardedTransport(3, httpx.Limits(max_connections=2))
    seen = []
    for pool in transport._pools:

        async def handle(request, pool=pool):
            seen.append(pool)
            return httpx.Response(200)

        pool.handle_async_request = handle
    transport._next = itertools.cycle(transport._pools)
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(6):
            assert (await http.get("http://peer.test/")).status_code == 200
    assert [transport._pools.index(p) for p in seen] == [0, 1, 2, 0, 1, 2]


@respx.mock
async def test_get_task_reads_a_task(client):
    respx.post(URL).mock(
        return_value=httpx.Response(200, json={"jsonrpc": "2.0", "id": "1", "result": TASK})
    )
    task = await client.get_task("t1")
    assert task.id == "t1" and task.status.state == TaskState.COMPLETED


@respx.mock
async def test_unavailable_says_how_long_the_peer_has_been_down(client):
    route = respx.post(URL).mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(A2AUnavailable) as first:
        await client.call_skill("lookup_policies", {})
    with pytest.raises(A2AUnavailable) as second:
        await client.call_skill("lookup_policies", {})
    assert 0 <= first.value.down_for_s <= second.value.down_for_s  # counted from the first failure
    route.mock(return_value=ok())
    await client.call_skill("lookup_policies", {})  # back: the outage is over
    route.mock(side_effect=httpx.ConnectError("down again"))
    with pytest.raises(A2AUnavailable) as third:
        await client.call_skill("lookup_policies", {})
    assert third.value.down_for_s <= second.value.down_for_s + 1.0


async def test_peer_clients_drop_idle_connections_before_our_servers_close_them(monkeypatch):
    """Else a client may reuse a connection the server is closing: a ReadError, a retry."""
    import argparse

    import uvicorn

    from csn import cli
    from shared.a2a.client import peer_http_client

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.update(kwargs))
    cli._serve(argparse.Namespace(service="context_agent", host=None, port=None))
    async with peer_http_client() as http:
        pools = [shard._pool for shard in http._transport._pools]
    assert {p._keepalive_expiry for p in pools} == {pools[0]._keepalive_expiry}
    assert pools[0]._keepalive_expiry < served["timeout_keep_alive"]
