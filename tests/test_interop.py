"""Conformance probe with the official a2a-sdk client against every agent on a real socket."""

from __future__ import annotations

import uuid

import httpx
import pytest
from a2a.client import A2ACardResolver, ClientConfig, create_client
from a2a.types import a2a_pb2 as pb
from google.protobuf import json_format, struct_pb2

from tests.fleet import TOKEN, running_fleet

pytestmark = pytest.mark.integration
AGENTS = ("context_agent", "negotiation_agent", "coordinator_agent")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with running_fleet(tmp_path_factory.mktemp("interop")) as running:
        yield running


def data_part(value: dict) -> pb.Part:
    data = struct_pb2.Value()
    json_format.ParseDict(value, data)
    return pb.Part(data=data)


async def sdk_client(url: str, streaming: bool):
    """The SDK resolves the public card, then talks JSON-RPC with our bearer token."""
    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    card = await A2ACardResolver(http, url).get_agent_card()
    return await create_client(card, ClientConfig(httpx_client=http, streaming=streaming)), card


async def send(client, parts: list[pb.Part]) -> list[pb.StreamResponse]:
    message = pb.Message(message_id=str(uuid.uuid4()), role=pb.ROLE_USER, parts=parts)
    return [event async for event in client.send_message(pb.SendMessageRequest(message=message))]


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("streaming", [False, True])
async def test_sdk_reads_card_sends_message_and_gets_task(fleet, agent, streaming):
    client, card = await sdk_client(fleet.url(agent), streaming)
    try:
        assert card.name == agent
        assert card.supported_interfaces[0].protocol_version == "1.0"
        events = await send(client, [pb.Part(text="Hello, which skills do you have?")])
        task = events[0].task if events[0].HasField("task") else None
        assert task is not None and task.id
        fetched = await client.get_task(pb.GetTaskRequest(id=task.id))
        assert fetched.id == task.id
        assert fetched.status.state == pb.TASK_STATE_REJECTED
        assert "skill" in fetched.status.message.parts[0].text
    finally:
        await client.close()


async def test_sdk_calls_a_real_skill(fleet):
    client, _ = await sdk_client(fleet.url("context_agent"), streaming=False)
    try:
        call = {
            "skill": "analyze_issue",
            "input": {
                "customer_id": "C-1001",
                "message": "My blender arrived cracked, refund please",
            },
        }
        events = await send(client, [data_part(call)])
        task = events[-1].task
        assert task.status.state in (pb.TASK_STATE_COMPLETED, pb.TASK_STATE_INPUT_REQUIRED)
        output = json_format.MessageToDict(task.artifacts[0].parts[0].data)
        assert output["problem_type"] == "damaged_item"
    finally:
        await client.close()


@pytest.mark.parametrize("agent", AGENTS)
def test_malformed_requests_get_spec_error_codes(fleet, agent):
    url = fleet.url(agent) + "/"
    auth = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}
    cases = [
        (b"{not json", auth, -32700),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "GetTask"}', auth, -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "NoSuchMethod"}', auth, -32601),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "nope"}}',
            auth,
            -32001,
        ),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {}}', auth, -32602),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}',
            {"Authorization": auth["Authorization"], "A2A-Version": "0.3"},
            -32009,
        ),
    ]
    for body, headers, code in cases:
        answer = httpx.post(url, content=body, headers=headers, timeout=10).json()
        assert answer["error"]["code"] == code, body


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("token", [None, "wrong"])
def test_wrong_or_missing_token_is_refused(fleet, agent, token):
    headers = {"A2A-Version": "1.0"} | ({"Authorization": f"Bearer {token}"} if token else {})
    body = {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}
    assert httpx.post(fleet.url(agent) + "/", json=body, headers=headers).status_code == 401
    assert httpx.get(fleet.url(agent) + "/.well-known/agent-card.json").status_code == 200
