"""Helpers and fixtures: the coordinator app with its agents faked at the HTTP edge (A2A JSON-RPC)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from coordinator_agent.app import create_app
from coordinator_agent.config import Settings
from mock_cs_service.app import create_app as create_mock_cs
from negotiation_agent.skills import CheckedStrategy

ORDER_ID = "112-4839201-5839201"
OTHER_ORDER = "112-1111111-2222222"
CONTEXT_URL = "http://context.test"
NEGOTIATION_URL = "http://negotiation.test"
CS_URL = "http://cs.test"  # the real mock CS app, in process: the retailer's order system
CUSTOMER_EMAIL = "alex.morgan@example.com"  # C-1001's email on file in the shipped data
PASSWORD = "correct horse battery"
Script = Callable[[dict[str, Any]], tuple[str, dict[str, Any], str]]


def completed(output: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    return "TASK_STATE_COMPLETED", output, "done"


VAGUE = "something is not right"  # words the fake reader cannot place: it offers choices
PROBLEM_CHOICES = [
    {"id": "problem:damaged_item", "label": "It arrived damaged", "problem_type": "damaged_item"},
    {"id": "problem:defective_item", "label": "It does not work", "problem_type": "defective_item"},
    {"id": "problem:other", "label": "Something else", "problem_type": "other"},
]
UNSURE_WISH = "please make it right somehow"  # a wish the fake reader cannot place
OUTCOME_CHOICES = [
    {"id": "outcome:replacement", "label": "A replacement", "desired_outcome": "replacement"},
    {"id": "outcome:full_refund", "label": "All my money back", "desired_outcome": "full_refund"},
    {
        "id": "outcome:unspecified",
        "label": "Whatever the policies allow",
        "desired_outcome": "unspecified",
    },
]
ORDER_CHOICES = [
    {"id": f"order:{ORDER_ID}", "label": f"{ORDER_ID}: Blender", "order_id": ORDER_ID},
    {"id": f"order:{OTHER_ORDER}", "label": f"{OTHER_ORDER}: Kettle", "order_id": OTHER_ORDER},
]


def analyze_issue(inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """Like the context agent: asks for the order (order choices) when it finds none, and for
    the problem (reading choices) when the words are vague, then for the wish, until the
    customer picked or was asked once; a picked reading wins over the words."""
    if inp["customer_id"] == "C-404":
        return "TASK_STATE_FAILED", {"error": "unknown customer"}, "unknown customer"
    order_id = inp.get("order_id") or (ORDER_ID if ORDER_ID in inp["message"] else None)
    wanted = "replacement" if "replacement" in inp["message"] else "full_refund"
    vague = VAGUE in inp["message"] and not inp.get("problem_type")
    out: dict[str, Any] = {
        "customer_id": inp["customer_id"],
        "order_id": order_id,
        "problem_type": inp.get("problem_type") or ("other" if vague else "damaged_item"),
        "desired_outcome": inp.get("desired_outcome") or wanted,
        "confidence": 0.9 if order_id else 0.4,
        "needs_clarification": False,
        "choices": [],
        "candidates": [] if order_id else [ORDER_ID, OTHER_ORDER],
        "amounts": [],
        "item": "blender" if order_id == ORDER_ID else None,
        "order": _order(order_id) if order_id else None,
    }
    if order_id is None:
        out["choices"] = ORDER_CHOICES
        out["question"] = "Which order: the blender or the kettle?"
    elif vague and not inp.get("asked"):
        out["choices"] = PROBLEM_CHOICES
        out["question"] = "Which of these best describes the problem?"
    elif UNSURE_WISH in inp["message"] and not inp.get("desired_outcome") and not inp.get("asked"):
        out["choices"] = OUTCOME_CHOICES
        out["question"] = "What would you like the retailer to do about it?"
    if out["choices"]:
        out["needs_clarification"] = True
        return "TASK_STATE_INPUT_REQUIRED", out, out["question"]
    return completed(out)


def _order(order_id: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "total": 129.99,
        "order_date": "2026-11-20",
        "delivered_date": "2026-11-24",
        "items": [{"sku": "B0", "title": "Countertop Blender, 1.5 L"}, {"sku": "X1", "title": 7}],
    }


def lookup_policies(inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    return completed(
        {
            "policies": [
                {
                    "policy_id": "RET-DAMAGED-01",
                    "title": "Damaged on arrival",
                    "score": 0.9,
                    "applicable": True,
                    "reason": "delivered damaged within 30 days",
                    "citation": "Items damaged on arrival are refunded in full.",
                    "outcomes": ["full_refund", "replacement"],
                }
            ],
            "conflicts": [],
            "entitlement": {
                "entitled": True,
                "currency": "USD",
                "order_total": 129.99,
                "item_value": 129.99,
                "outcomes": [],
                "best": {"type": inp["desired_outcome"], "amount": 129.99, "currency": "USD"},
                "needs_human": False,
                "reason": "damaged item policy",
            },
        }
    )


def plan_strategy(inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    goal = inp.get("goal") or inp["analysis"]["desired_outcome"]
    ask = {"type": goal, "amount": 129.99, "currency": "USD"}
    rounds = [{"round": n, "ask": ask, "min_value": 129.99 - 5 * n} for n in range(1, 7)]
    strategy = {
        "goal": ask,
        "opening_ask": ask,
        "floor": {"amount": 100.0, "acceptable_types": [goal]},
        "concession_plan": {"tactic": "boulware", "beta": 0.2, "rounds": rounds},
        "arguments": [{"policy_id": "RET-DAMAGED-01", "citation": "refunded in full"}],
        "max_rounds": 6,
        "deadline_s": 1800,
        "entitlement_value": 129.99,
        "item_value": 129.99,
        "validated": True,
        "summary": f"ask for {goal}",
    }
    CheckedStrategy.model_validate(strategy)  # what the real negotiation agent accepts
    return completed(strategy)


class FakeDesk:
    """The fake negotiation agent's rounds and the CS desk behind it, behaving like the real
    pair: keys `{session}:{attempt}:{round}` (the farewell `...:close`), a key reused with
    another message refused by CS (409, which ends the negotiation), a closed contact that
    takes no more messages, and answers replayed from CS's idempotency cache.

    With `asks_for` set, CS asks for something only the customer has (e.g. photos) until a
    round carries the customer's answer; like the real agent, the call then ends `needs_input`
    with a question and the state remembers what CS is waiting for.
    """

    def __init__(self, rounds_to_agree: int = 2, asks_for: str | None = None) -> None:
        self.rounds_to_agree = rounds_to_agree
        self.asks_for = asks_for
        self.keys: list[str] = []  # every key the agent sent to CS, in order (replays too)
        self.first_answers: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, str] = {}  # key -> the message first sent with it
        self.conflicts: list[str] = []  # keys CS refused: reused with another message
        self.closed: set[str] = set()  # contacts CS closed
        self.walked_away: list[str] = []
        self.heard: dict[str, str] = {}  # idempotency key -> the customer's answer it carried
        self.photos: dict[str, list[bytes]] = {}  # idempotency key -> the photos it carried
        self.cases: list[dict[str, Any]] = []  # what each call told CS about the case

    def negotiate(self, inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        CheckedStrategy.model_validate(inp["strategy"])  # the real agent refuses a bad plan
        state = inp["state"] or {
            "contact_id": "CT-1",
            "round": 0,
            "exchanges": 0,
            "history": [],
            "waiting_for": [],
        }
        number = state["round"] + 1
        walking = inp["action"] == "walk_away"
        key = f"{inp['session_id']}:{inp['attempt']}:{'close' if walking else number}"
        message = f"{inp['action']} {number}"
        self.keys.append(key)
        self.cases.append(inp.get("case") or {})
        if key in self.first_answers and self.messages[key] == message:
            return completed(self.first_answers[key])  # the mock CS's idempotency cache
        contact = f"{inp['session_id']}:{inp['attempt']}"
        if key in self.messages or contact in self.closed:  # CS answers 409
            if key in self.messages:
                self.conflicts.append(key)
            outcome = {"status": "no_agreement", "reason": "CS closed the conversation"}
            return completed({"state": {**state, "status": "no_agreement"}, "round": None,
                              "done": True, "outcome": {**outcome, "policy_basis": []}})  # fmt: skip
        self.messages[key] = message
        if inp.get("customer_input") and state.get("waiting_for"):
            self.heard[key] = inp["customer_input"]
        if inp.get(FILES):
            self.photos[key] = [base64.b64decode(f["raw"]) for f in inp[FILES]]
        answer = self._answer(inp, state, number)
        if answer["state"].get("status") in ("closed", "accepted"):
            self.closed.add(contact)
        self.first_answers[key] = answer
        return completed(answer)

    def _answer(self, inp: dict[str, Any], state: dict[str, Any], number: int) -> dict[str, Any]:
        goal = inp["strategy"]["goal"]
        new_state = {
            **state,
            "round": number,
            "exchanges": state["exchanges"] + 1,
            "waiting_for": [],
        }
        sent = f"message {number}"
        if inp.get("customer_input") and state.get("waiting_for"):
            sent += f" (the customer adds: {inp['customer_input']})"
            new_state["given"] = True
        if inp.get(FILES) and "photos" in state.get("waiting_for", []):
            sent += f" ({len(inp[FILES])} photos attached)"
            new_state["given"] = True
        if inp["action"] == "walk_away":
            self.walked_away.append(f"{inp['session_id']}:{inp['attempt']}:close")
            outcome = {"status": "no_agreement", "reason": "walked away", "policy_basis": []}
            closed = {**new_state, "status": "closed"}
            return _round(closed, number, "Sorry to see you go.", None, "walk_away", outcome, sent)
        if inp["action"] == "accept":
            text = "Confirmed, your refund is on its way."
            outcome = {
                "status": "accepted",
                "offer": goal,
                "reason": "confirmed",
                "policy_basis": [],
                "cs_quote": text,
            }
            accepted = {**new_state, "status": "accepted"}
            return _round(accepted, number, text, goal, "accept", outcome, sent)
        if self.asks_for and not new_state.get("given"):
            new_state["waiting_for"] = [self.asks_for]
            question = f"Customer service asks for {self.asks_for}. Please send them."
            outcome = {
                "status": "needs_input",
                "reason": question,
                "asks": [self.asks_for],
                "question": question,
                "policy_basis": [],
            }
            text = f"Please send {self.asks_for} of the item."
            asked = _round(new_state, number, text, None, "needs_input", outcome, sent)
            return {**asked, "needs_photos": self.asks_for == "photos"}  # as the real agent
        if number < self.rounds_to_agree:
            offer = {"type": "store_credit", "amount": 40.0, "currency": "USD"}
            return _round(
                new_state, number, "We can offer $40 credit.", offer, "counter", None, sent
            )
        text = "OK, full refund."
        outcome = {
            "status": "agreement",
            "offer": goal,
            "reason": "CS met our goal",
            "policy_basis": ["RET-DAMAGED-01"],
            "cs_quote": text,
        }
        agreed = {**new_state, "status": "agreement"}
        return _round(agreed, number, text, goal, "agreement", outcome, sent)


def _round(state, number, text, offer, decision, outcome, sent=None) -> dict[str, Any]:
    return {
        "state": state,
        "round": {
            "round": number,
            "sent": sent or f"message {number}",
            "cs_text": text,
            "cs_offer": offer,
            "decision": decision,
            "reason": "",
        },
        "done": outcome is not None,
        "outcome": outcome,
    }


FILES = "__files__"  # where a fake skill finds the call's file parts (not a real input field)


class FakeAgent:
    """An agent at the HTTP edge: A2A SendMessage in, a task with the scripted output out.

    Like the real A2A server, the skill runs shielded from the caller: a caller that gives
    up (or is cancelled) does not stop a round that already reached CS.
    """

    def __init__(self, skills: dict[str, Script], delay_s: float = 0.0) -> None:
        self.skills = skills
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.down = False
        self.refused = 0
        self.delay_s = delay_s
        self.running: set[asyncio.Task[Any]] = set()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content)
        message = body["params"]["message"]
        call = next(p["data"] for p in message["parts"] if "data" in p)
        files = [p for p in message["parts"] if "raw" in p]  # A2A file parts
        if files:
            call = {**call, "input": {**call["input"], FILES: files}}
        run = asyncio.ensure_future(self._run(call))
        self.running.add(run)
        run.add_done_callback(self.running.discard)
        state, output, text = await asyncio.shield(run)
        task = {
            "id": str(uuid.uuid4()),
            "contextId": str(uuid.uuid4()),
            "status": {
                "state": state,
                "message": {"messageId": "m", "role": "ROLE_AGENT", "parts": [{"text": text}]},
            },
            "artifacts": [{"artifactId": "a", "parts": [{"data": output}]}],
        }
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "id": body["id"], "result": {"task": task}}
        )

    async def _run(self, call: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.calls.append((call["skill"], call["input"]))
        return self.skills[call["skill"]](call["input"])

    def skills_called(self) -> list[str]:
        return [skill for skill, _ in self.calls]


class FakeOrderSystem:
    """The retailer's order system behind the fake context agent's check_order, and the CS
    desk behind the fake follow_up: refunds post when the test says, or when CS is chased up
    to the rung `fixes_at` (None: never)."""

    def __init__(self) -> None:
        self.refunds: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        self.fixes_at: int | None = 1
        self.chases: list[dict[str, Any]] = []  # every follow_up input, in order
        self.checks = 0
        self.down = False

    def post_refund(self, amount: float = 129.99) -> None:
        today = time.strftime("%Y-%m-%d", time.gmtime())
        self.refunds.append({"amount": amount, "currency": "USD", "date": today})

    def check_order(self, inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        self.checks += 1
        if self.down:
            return "TASK_STATE_FAILED", {"error": "order system down", "retryable": True}, "down"
        return completed(
            {
                "order_id": inp["order_id"],
                "status": "delivered",
                "refund_issued": bool(self.refunds),
                "refunds": list(self.refunds),
                "shipments": list(self.shipments),
            }
        )

    def follow_up(self, inp: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        self.chases.append(inp)
        fixed = self.fixes_at is not None and inp["rung"] >= self.fixes_at
        if fixed:
            self.post_refund()
        text = "I've issued it now." if fixed else "It is still being processed."
        return completed(
            {
                "status": "sent",
                "rung": inp["rung"],
                "contact_id": f"CT-F{inp['rung']}",
                "sent": f"rung {inp['rung']} citing {inp['agreement']['cs_quote']}",
                "cs_text": text,
            }
        )


class Fleet:
    """The two faked agents behind one transport."""

    def __init__(self) -> None:
        self.desk = FakeDesk()
        self.orders = FakeOrderSystem()
        self.context = FakeAgent(
            {
                "analyze_issue": analyze_issue,
                "lookup_policies": lookup_policies,
                "check_order": self.orders.check_order,
            }
        )
        self.negotiation = FakeAgent(
            {
                "plan_strategy": plan_strategy,
                "negotiate": self.desk.negotiate,
                "follow_up": self.orders.follow_up,
            }
        )

    def transport(self) -> httpx.MockTransport:
        retailer = httpx.ASGITransport(app=create_mock_cs())

        async def route(request: httpx.Request) -> httpx.Response:
            if request.url.host == "cs.test":
                return await retailer.handle_async_request(request)
            agent = self.context if request.url.host == "context.test" else self.negotiation
            return await agent.handle(request)

        return httpx.MockTransport(route)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'coordinator.db'}",
        "encryption_key": Fernet.generate_key().decode(),
        "ops_token": "ops-secret-token",
        "agent_token": "agent-secret-token",
        "context_url": CONTEXT_URL,
        "negotiation_url": NEGOTIATION_URL,
        "cs_url": CS_URL,
        "log_level": "WARNING",
        "sse_poll_s": 0.05,
        "agent_outage_grace_s": 0.0,  # tests of an outage that lasts say so themselves
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def fleet() -> Fleet:
    return Fleet()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@asynccontextmanager
async def running(settings: Settings, fleet: Fleet) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings, agent_transport=fleet.transport())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://coordinator") as client:
            yield app, client


@pytest.fixture
async def coordinator(
    settings: Settings, fleet: Fleet
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with running(settings, fleet) as pair:
        yield pair


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_up(
    client: httpx.AsyncClient,
    email: str,
    *,
    link: tuple[str, str] | None = (ORDER_ID, CUSTOMER_EMAIL),
) -> dict[str, str]:
    """A new account, signed in (and linked to C-1001 unless `link` is None): its headers."""
    created = await client.post("/v1/accounts", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.cookies.clear()  # API callers use the bearer token
    headers = auth(login.json()["token"])
    if link is not None:
        body = {"order_id": link[0], "email_on_file": link[1]}
        linked = await client.post("/v1/accounts/me/links", json=body, headers=headers)
        assert linked.status_code == 201, linked.text
    return headers


async def account(client: httpx.AsyncClient) -> dict[str, str]:
    """The test's account (C-1001 linked), made on first use: its bearer headers."""
    headers = getattr(client, "csn_account", None)
    if headers is None:
        headers = await sign_up(client, f"customer-{uuid.uuid4().hex[:8]}@example.com")
        client.csn_account = headers  # type: ignore[attr-defined]
    return headers


async def submit(client: httpx.AsyncClient, **body: Any) -> tuple[str, str]:
    payload = {"customer_id": "C-1001", "message": f"My blender {ORDER_ID} arrived broken"}
    payload.update(body)
    response = await client.post("/v1/sessions", json=payload, headers=await account(client))
    assert response.status_code == 202, response.text
    data = response.json()
    return data["session_id"], data["token"]


async def wait_for(
    client: httpx.AsyncClient, session_id: str, token: str, states: set[str], timeout: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/v1/sessions/{session_id}", headers=auth(token))
        assert response.status_code == 200, response.text
        doc = response.json()
        if doc["state"] in states:
            return doc
        if time.monotonic() > deadline:
            raise AssertionError(f"state {doc['state']} never became one of {states}")
        await asyncio.sleep(0.02)
