"""Log lines: one JSON object each, with the case's ids, and no personal data."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from pydantic import BaseModel

from shared import logs
from shared.a2a.client import A2ACallError, A2AClient
from shared.a2a.server import Skill, SkillContext
from shared.logs import configure_logging, get_logger, log_context, redact
from shared.redaction import SENSITIVE, SensitiveValues, register_customer, register_sensitive
from shared.service import create_service_app
from shared.settings import ServiceSettings

TOKEN = "ops-log-test-token"

EMAILS = [
    "alex.morgan@example.com",
    "Priya.Raman+orders@mail.example.co.uk",
    "x_y-z@sub.example.org",
]
PHONES = [
    "+1 206 555 0141",
    "(415) 555-0134",
    "415-555-0134",
    "415.555.0134",
    "4155550134",
    "+44 20 7946 0958",
    "020 7946 0958",
    "+49 30 12345678",
    "+33 1 42 68 53 00",
    "07700 900123",
]
CARDS = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "3782 822463 10005"]
ADDRESSES = [
    "1420 Pine Street, Seattle, WA 98101",
    "88 Oak Avenue",
    "221B Baker Street",
    "1600 Pennsylvania Ave NW",
    "742 Evergreen Terrace",
    "12 rue de la Paix",
    "Hauptstraße 5",
]
SAFE = [
    "order 112-4839201-5839201 is late",
    "session 3f2b9c1e-8a4d-4b1a-9c2e-1f2a3b4c5d6e",
    "request 0123456789abcdef0123456789abcdef",
    "refund 129.99 USD in 5 days",
    "round 3 of 20 took 1234 ms",
    "on 2026-10-02T12:00:00",
    "listening on 0.0.0.0:9001",
    "customer C-1001 sku B0-BLEND-01 status 200",
]


@pytest.fixture(autouse=True)
def fresh_registry():
    SENSITIVE.clear()
    yield
    SENSITIVE.clear()


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_masked(email):
    assert redact(f"reply to {email} today") == "reply to [email] today"


@pytest.mark.parametrize("phone", PHONES)
def test_phones_are_masked_in_many_formats(phone):
    assert redact(f"call {phone} now") == "call [phone] now"


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_masked_with_spaces_or_dashes(card):
    assert redact(f"paid with {card}.") == "paid with [card]."


@pytest.mark.parametrize("address", ADDRESSES)
def test_street_addresses_are_masked(address):
    masked = redact(f"ship to {address}")
    assert masked == "ship to [address]", masked


@pytest.mark.parametrize("text", SAFE)
def test_ids_amounts_dates_and_durations_survive(text):
    assert redact(text) == text


def test_names_are_masked_once_registered_whole_and_by_part():
    assert redact("Alex Morgan wrote") == "Alex Morgan wrote"  # a name has no shape
    register_customer({"name": "Alex Morgan", "email": "a.m@example.com", "address": "9 Elm Row"})
    assert redact("Alex Morgan wrote") == "[redacted] wrote"
    assert redact("ALEX   morgan, and Morgan alone") == "[redacted], and [redacted] alone"
    assert redact("Alexander and Morganite") == "Alexander and Morganite"  # whole words only


def test_registry_ignores_short_values_and_forgets_the_oldest():
    values = SensitiveValues(limit=2)
    values.add("Al", "", None, "Ann Lee", "Bo Chen", "Cy Diaz")
    assert values.mask("Al, Ann Lee, Bo Chen, Cy Diaz") == "Al, Ann Lee, [redacted], [redacted]"


def test_registered_values_with_regex_characters_are_literal():
    register_sensitive("J. (Jay) O'Brien")
    assert redact("from J. (Jay) O'Brien") == "from [redacted]"
    assert redact("from J.  (Jay) O'Brien!") == "from [redacted]!"
    assert redact("from JX (Jay) O'Brien") == "from JX (Jay) O'Brien"


@pytest.fixture
def captured():
    """Route the root logger's JSON handler into a buffer; restore the logging setup after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, dict(logs._SERVICE))
    buffer = io.StringIO()

    def attach(service: str | None = None) -> io.StringIO:
        if service:
            configure_logging(service)
        root.handlers[0].setStream(buffer)
        return buffer

    yield attach
    root.handlers, root.level = saved[0], saved[1]
    logs._SERVICE.update(saved[2])


def lines(buffer: io.StringIO) -> list[dict]:
    """Every line of the buffer, each parsed as exactly one JSON object."""
    parsed = []
    for line in buffer.getvalue().splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


def test_every_line_is_one_json_object_with_the_bound_ids(captured):
    buffer = captured("context_agent")
    log = get_logger("tests.ops")
    log.info("outside any case")
    with log_context(request_id="req-1"), log_context(session_id="S-1", task_id="T-1"):
        log.warning("inside\na case", extra={"fields": {"round": 2}})
    first, second = lines(buffer)
    assert first["service"] == "context_agent" and first["msg"] == "outside any case"
    assert not {"request_id", "session_id", "task_id"} & set(first)
    assert second["msg"] == "inside\na case" and second["level"] == "warning"
    assert (second["request_id"], second["session_id"], second["task_id"]) == (
        "req-1",
        "S-1",
        "T-1",
    )
    assert second["round"] == 2


def test_messages_arguments_fields_and_tracebacks_are_redacted(captured):
    buffer = captured("coordinator_agent")
    register_customer({"name": "Priya Raman"})
    log = get_logger("tests.ops")
    log.info("customer %s at %s", "Priya Raman", "priya@example.net")
    log.info(
        "fields",
        extra={
            "fields": {"contact": {"phone": "+1 512 555 0177"}, "cards": ["4111 1111 1111 1111"]}
        },
    )
    try:
        raise ValueError("bad card 4111-1111-1111-1111 for 88 Oak Avenue")
    except ValueError:
        log.exception("failed")
    text = buffer.getvalue()
    for secret in ("Priya", "Raman", "priya@", "555 0177", "4111", "Oak Avenue"):
        assert secret not in text
    one, two, three = lines(buffer)
    assert one["msg"] == "customer [redacted] at [email]"
    assert two["contact"] == {"phone": "[phone]"} and two["cards"] == ["[card]"]
    assert "[card]" in three["error"] and "[address]" in three["error"]


def test_a_field_cannot_overwrite_the_line_s_own_keys(captured):
    buffer = captured("negotiation_agent")
    get_logger("tests.ops").info("hello", extra={"fields": {"service": "spoofed", "msg": "x"}})
    (line,) = lines(buffer)
    assert (line["service"], line["msg"]) == ("negotiation_agent", "hello")


class Probe(BaseModel):
    note: str


async def probe(inp: Probe, ctx: SkillContext) -> dict:
    get_logger("tests.ops.skill").info("probe ran: %s", inp.note)
    return {"ok": True}


async def test_a_skill_s_log_lines_carry_the_caller_s_request_and_session(tmp_path, captured):
    settings = ServiceSettings(port=9999, var_dir=tmp_path, agent_token=TOKEN)
    skill = Skill("probe", "Probe", "Logs a line.", probe, Probe)
    app = create_service_app(settings, name="probe_agent", description="probe", skills=[skill])
    buffer = captured()
    message = {
        "messageId": "m-1",
        "role": "ROLE_USER",
        "parts": [{"data": {"skill": "probe", "input": {"note": "call 415-555-0134"}}}],
        "metadata": {"session_id": "S-42", "request_id": "req-42"},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}
    headers = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0", "X-Request-ID": "req-42"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        response = await client.post("/", json=body, headers=headers)
    assert response.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    task_id = response.json()["result"]["task"]["id"]
    (line,) = [line for line in lines(buffer) if line["logger"] == "tests.ops.skill"]
    assert line["msg"] == "probe ran: call [phone]"
    assert line["service"] == "probe_agent"
    assert (line["request_id"], line["session_id"], line["task_id"]) == ("req-42", "S-42", task_id)


async def test_the_client_propagates_the_request_and_session_ids():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no"}}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = A2AClient(http, "http://peer", TOKEN, peer="peer")
        with log_context(request_id="req-7", session_id="S-7"), pytest.raises(A2ACallError):
            await client.call_skill("anything", {})
    (request,) = seen
    assert request.headers["X-Request-ID"] == "req-7"
    metadata = json.loads(request.content)["params"]["message"]["metadata"]
    assert (metadata["request_id"], metadata["session_id"]) == ("req-7", "S-7")
