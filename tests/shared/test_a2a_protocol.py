"""The JSON-RPC layer: every error path and the happy path, over the ASGI app."""

from __future__ import annotations

import json

import pytest

from shared.a2a.models import data_message

AUTH = {"Authorization": "Bearer test-token-123", "A2A-Version": "1.0"}


def rpc(method: str, params: dict | None = None, rpc_id: object = 1) -> dict:
    body = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def skill_message(skill: str, input: dict) -> dict:
    return {"message": data_message({"skill": skill, "input": input}).wire()}


async def call(http, body, headers=AUTH) -> dict:
    response = await http.post("/", content=json.dumps(body), headers=headers)
    assert response.status_code == 200
    return response.json()


async def test_card_is_public_and_v1_shaped(http):
    card = (await http.get("/.well-known/agent-card.json")).json()
    for field in (
        "name",
        "description",
        "version",
        "capabilities",
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
        "supportedInterfaces",
    ):
        assert field in card
    assert "url" not in card and "protocolVersion" not in card
    interface = card["supportedInterfaces"][0]
    assert interface["protocolBinding"] == "JSONRPC" and interface["protocolVersion"] == "1.0"
    assert card["skills"][0]["id"] == "echo"
    assert "agentToken" in card["securitySchemes"]


async def test_send_message_completes_with_artifact(http):
    answer = await call(http, rpc("SendMessage", skill_message("echo", {"text": "hi"})))
    task = answer["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["artifacts"][0]["parts"][0]["data"] == {"echo": "hi"}
    got = await call(http, rpc("GetTask", {"id": task["id"]}))
    assert got["result"]["id"] == task["id"]
    listed = await call(http, rpc("ListTasks", {"contextId": task["contextId"]}))
    assert [t["id"] for t in listed["result"]["tasks"]] == [task["id"]]


async def test_history_length_trims(http):
    answer = await call(
        http,
        rpc(
            "SendMessage",
            {**skill_message("echo", {"text": "x"}), "configuration": {"historyLength": 0}},
        ),
    )
    assert answer["result"]["task"]["history"] == []


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("?", "TASK_STATE_INPUT_REQUIRED"),
        ("fail", "TASK_STATE_FAILED"),
        ("boom", "TASK_STATE_FAILED"),
    ],
)
async def test_skill_outcomes_map_to_task_states(http, text, state):
    answer = await call(http, rpc("SendMessage", skill_message("echo", {"text": text})))
    assert answer["result"]["task"]["status"]["state"] == state


async def test_unknown_skill_and_no_skill_are_rejected(http):
    answer = await call(http, rpc("SendMessage", skill_message("nope", {})))
    assert answer["result"]["task"]["status"]["state"] == "TASK_STATE_REJECTED"
    plain = {"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hello"}]}}
    answer = await call(http, rpc("SendMessage", plain))
    task = answer["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_REJECTED"
    assert "skill" in task["status"]["message"]["parts"][0]["text"]


async def test_malformed_json_is_parse_error_with_null_id(http):
    response = await http.post("/", content=b'{"jsonrpc": "2.0", "id": 1,', headers=AUTH)
    body = response.json()
    assert body["error"]["code"] == -32700 and body["id"] is None
    assert body["error"]["data"][0]["@type"].endswith("ErrorInfo")


@pytest.mark.parametrize(
    "body",
    [
        {"jsonrpc": "1.0", "id": 1, "method": "GetTask", "params": {"id": "x"}},
        {"id": 1, "method": "GetTask"},
        {"jsonrpc": "2.0", "id": 1, "method": 42},
        {"jsonrpc": "2.0", "id": {"a": 1}, "method": "GetTask"},
        [{"jsonrpc": "2.0", "id": 1, "method": "GetTask"}],
        "just a string",
    ],
)
async def test_invalid_requests(http, body):
    assert (await call(http, body))["error"]["code"] == -32600


async def test_unknown_method(http):
    assert (await call(http, rpc("Frobnicate", {})))["error"]["code"] == -32601


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("CreateTaskPushNotificationConfig", -32003),
        ("GetTaskPushNotificationConfig", -32003),
        ("GetExtendedAgentCard", -32007),
    ],
)
async def test_capabilities_we_do_not_offer_get_their_own_error(http, method, code):
    assert (await call(http, rpc(method, {"id": "x"})))["error"]["code"] == code


async def test_subscribe_to_unknown_or_finished_task(http):
    assert (await call(http, rpc("SubscribeToTask", {"id": "nope"})))["error"]["code"] == -32001
    done = await call(http, rpc("SendMessage", skill_message("echo", {"text": "hi"})))
    answer = await call(http, rpc("SubscribeToTask", {"id": done["result"]["task"]["id"]}))
    assert answer["error"]["code"] == -32004


async def test_subscribe_to_a_running_task_streams_it_to_the_end(http):
    params = {
        **skill_message("echo", {"text": "slow", "delay_s": 0.2}),
        "configuration": {"returnImmediately": True},
    }
    task_id = (await call(http, rpc("SendMessage", params)))["result"]["task"]["id"]
    body = rpc("SubscribeToTask", {"id": task_id})
    async with http.stream("POST", "/", json=body, headers=AUTH) as response:
        events = [
            json.loads(line[5:])
            async for line in response.aiter_lines()
            if line.startswith("data:")
        ]
    assert [next(iter(e["result"])) for e in events] == ["task", "artifactUpdate", "statusUpdate"]
    assert events[-1]["result"]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_by_its_content_type_is_refused(http, content_type):
    headers = {**AUTH, "Content-Type": content_type}
    answer = await call(http, rpc("GetTask", {"id": "x"}), headers=headers)
    assert answer["error"]["code"] == -32005


@pytest.mark.parametrize(
    "params",
    [
        {"message": {"role": "ROLE_USER", "parts": [{"text": "no id"}]}},
        {"message": {"messageId": "m", "role": "ROLE_BOSS", "parts": [{"text": "x"}]}},
        {"message": {"messageId": "m", "role": "ROLE_USER", "parts": []}},
        {"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"text": "a", "data": {}}]}},
        {},
    ],
)
async def test_bad_send_params(http, params):
    assert (await call(http, rpc("SendMessage", params)))["error"]["code"] == -32602


async def test_bad_skill_input_is_invalid_params(http):
    answer = await call(http, rpc("SendMessage", skill_message("echo", {"txt": "typo"})))
    assert answer["error"]["code"] == -32602
    assert "text" in answer["error"]["message"]


async def test_params_must_be_an_object(http):
    answer = await call(http, {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": [1]})
    assert answer["error"]["code"] == -32602


async def test_unknown_task(http):
    assert (await call(http, rpc("GetTask", {"id": "no-such-task"})))["error"]["code"] == -32001
    assert (await call(http, rpc("CancelTask", {"id": "no-such-task"})))["error"]["code"] == -32001


async def test_cancel_terminal_task_is_not_cancelable(http):
    done = await call(http, rpc("SendMessage", skill_message("echo", {"text": "hi"})))
    answer = await call(http, rpc("CancelTask", {"id": done["result"]["task"]["id"]}))
    assert answer["error"]["code"] == -32002


async def test_cancel_running_task(http):
    params = {
        **skill_message("echo", {"text": "slow", "delay_s": 5}),
        "configuration": {"returnImmediately": True},
    }
    started = await call(http, rpc("SendMessage", params))
    task = started["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_WORKING"
    canceled = await call(http, rpc("CancelTask", {"id": task["id"]}))
    assert canceled["result"]["status"]["state"] == "TASK_STATE_CANCELED"


async def test_message_to_terminal_task_is_refused(http):
    done = await call(http, rpc("SendMessage", skill_message("echo", {"text": "hi"})))
    follow = skill_message("echo", {"text": "again"})
    follow["message"]["taskId"] = done["result"]["task"]["id"]
    assert (await call(http, rpc("SendMessage", follow)))["error"]["code"] == -32004


async def test_input_required_task_takes_a_follow_up(http):
    first = await call(http, rpc("SendMessage", skill_message("echo", {"text": "?"})))
    follow = skill_message("echo", {"text": "order 2"})
    follow["message"]["taskId"] = first["result"]["task"]["id"]
    answer = await call(http, rpc("SendMessage", follow))
    task = answer["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert len(task["history"]) == 4


@pytest.mark.parametrize("version", [None, "0.3", "2.0"])
async def test_unsupported_a2a_version(http, version):
    headers = {"Authorization": AUTH["Authorization"]}
    if version:
        headers["A2A-Version"] = version
    answer = await call(http, rpc("GetTask", {"id": "x"}), headers=headers)
    assert answer["error"]["code"] == -32009


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", "Basic dGVzdA==", "Bearer ", "test-token-123"]
)
async def test_missing_or_wrong_token_is_401(http, header):
    headers = {"A2A-Version": "1.0"} | ({"Authorization": header} if header else {})
    response = await http.post("/", json=rpc("GetTask", {"id": "x"}), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_streaming_message_emits_task_then_final_status(http):
    body = rpc("SendStreamingMessage", skill_message("echo", {"text": "stream"}))
    async with http.stream("POST", "/", json=body, headers=AUTH) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [
            json.loads(line[5:])
            async for line in response.aiter_lines()
            if line.startswith("data:")
        ]
    kinds = [next(iter(e["result"])) for e in events]
    assert kinds == ["task", "artifactUpdate", "statusUpdate"]
    assert events[-1]["result"]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_oversized_body_is_413(http, settings):
    big = "x" * (settings.max_body_bytes + 10)
    response = await http.post("/", content=big, headers=AUTH)
    assert response.status_code == 413


async def test_platform_endpoints(http):
    assert (await http.get("/healthz")).json()["status"] == "ok"
    assert (await http.get("/readyz")).status_code == 200
    metrics = (await http.get("/metrics")).text
    assert "csn_a2a_server_requests_total" in metrics
    assert (await http.get("/healthz")).headers["x-request-id"]


async def test_a_retryable_skill_error_says_so_in_the_task(http, echo_app):
    from shared.a2a.client import A2AClient
    from shared.a2a.server import Skill, SkillError

    async def dependency_down(inp, ctx):
        raise SkillError("the order system is down", retryable=True)

    echo_app.state.a2a.skills["flaky"] = Skill("flaky", "Flaky", "Fails.", dependency_down)
    client = A2AClient(http, "http://agent", "test-token-123", peer="echo")
    result = await client.call_skill("flaky", {})
    assert result.state == "TASK_STATE_FAILED" and result.retryable
    assert not (await client.call_skill("echo", {"text": "fail"})).retryable
