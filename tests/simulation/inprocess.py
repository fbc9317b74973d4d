"""The four services in one event loop, wired to each other by `httpx.ASGITransport`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI

from context_agent.app import create_app as create_context
from context_agent.config import Settings as ContextSettings
from coordinator_agent.app import create_app as create_coordinator
from coordinator_agent.config import Settings as CoordinatorSettings
from mock_cs_service.app import create_app as create_mock_cs
from mock_cs_service.config import Settings as MockCSSettings
from negotiation_agent.app import create_app as create_negotiation
from negotiation_agent.config import Settings as NegotiationSettings

REPO = Path(__file__).resolve().parents[2]
TOKEN = "simulation-agent-token"
HOSTS = {
    "coordinator_agent": "coordinator.sim",
    "context_agent": "context.sim",
    "negotiation_agent": "negotiation.sim",
    "mock_cs_service": "cs.sim",
}
WAITING = {
    "awaiting_clarification",
    "awaiting_customer_input",
    "awaiting_strategy_approval",
    "awaiting_outcome_approval",
}
# where a case stops for a test: monitoring goes on for days (CS keeping its word)
TERMINAL = {"resolved", "monitoring", "escalated", "failed", "cs_unavailable", "cancelled"}


@dataclass(frozen=True)
class Sent:
    """One request that crossed the in-process network."""

    host: str
    method: str
    path: str
    status: int


@dataclass
class Routes(httpx.AsyncBaseTransport):
    """Sends each host to its app, in process, and records every request it carries."""

    apps: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        response = await transport.handle_async_request(request)
        self.sent.append(
            Sent(request.url.host, request.method, request.url.path, response.status_code)
        )
        return response

    def to(
        self, service: str, method: str | None = None, prefix: str = "", status: int | None = None
    ) -> list[Sent]:
        """The requests answered so far by one service, by method, path prefix and status."""
        return [
            s
            for s in self.sent
            if s.host == HOSTS[service]
            and (method is None or s.method == method)
            and s.path.startswith(prefix)
            and (status is None or s.status == status)
        ]


def url(service: str) -> str:
    """The in-process address of a service."""
    return f"http://{HOSTS[service]}"


def common_settings(var_dir: Path) -> dict[str, Any]:
    """What every service's settings share: token, addresses, directories, quiet logs."""
    return {
        "var_dir": var_dir,
        "agent_token": TOKEN,
        "ops_token": "simulation-ops-token",
        "encryption_key": Fernet.generate_key().decode(),
        "policy_dir": REPO / "policies",
        "log_level": "WARNING",
        "coordinator_url": url("coordinator_agent"),
        "context_url": url("context_agent"),
        "negotiation_url": url("negotiation_agent"),
        "cs_url": url("mock_cs_service"),
        "a2a_max_attempts": 2,
        "cs_max_attempts": 3,
        "_env_file": None,
    }


@dataclass
class InProcessFleet:
    """The running apps, the transport between them and a customer's client to the coordinator."""

    apps: dict[str, FastAPI]
    routes: Routes
    client: httpx.AsyncClient
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # customer -> headers

    async def account(self, customer_id: str) -> dict[str, str]:
        """A signed-in account linked to the customer, as a customer makes one (once each)."""
        if customer_id in self.accounts:
            return self.accounts[customer_id]
        email = f"{customer_id.lower()}@accounts.sim"
        credentials = {"email": email, "password": "simulated passphrase"}
        assert (await self.client.post("/v1/accounts", json=credentials)).status_code == 201
        login = await self.client.post("/v1/auth/login", json=credentials)
        self.client.cookies.clear()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        cs = url("mock_cs_service")
        profile = await self.client.get(f"{cs}/v1/customers/{customer_id}")
        if profile.status_code == 404:  # unknown to the order system: linked by hand
            me = (await self.client.get("/v1/accounts/me", headers=headers)).json()
            self.apps["coordinator_agent"].state.accounts.link(me["account_id"], customer_id)
        else:
            orders = (await self.client.get(f"{cs}/v1/customers/{customer_id}/orders")).json()
            proof = {
                "order_id": orders["orders"][0]["order_id"],
                "email_on_file": profile.json()["email"],
            }
            linked = await self.client.post("/v1/accounts/me/links", json=proof, headers=headers)
            assert linked.status_code == 201, linked.text
        self.accounts[customer_id] = headers
        return headers

    async def configure_cs(self, **config: Any) -> dict[str, Any]:
        """Set the mock CS's persona, seed and faults."""
        response = await self.client.put(url("mock_cs_service") + "/v1/admin/config", json=config)
        assert response.status_code == 200, response.text
        return response.json()

    async def submit(self, customer_id: str, message: str, **extra: Any) -> Case:
        """Open a case as the customer; the answer's token is the case's bearer token."""
        body = {"customer_id": customer_id, "message": message, **extra}
        headers = await self.account(customer_id)
        response = await self.client.post("/v1/sessions", json=body, headers=headers)
        assert response.status_code == 202, response.text
        created = response.json()
        return Case(self.client, created["session_id"], created["token"])

    async def transcript(self, contact_id: str) -> dict[str, Any]:
        """The mock CS's record of one conversation."""
        response = await self.client.get(f"{url('mock_cs_service')}/v1/contacts/{contact_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def validate(self, doc: dict[str, Any], offer: dict[str, Any], source: str) -> dict:
        """Ask the context agent whether `offer` is within policy for this case."""
        analysis = doc["analysis"] or {}
        data = {
            "order_id": analysis["order_id"],
            "problem_type": analysis["problem_type"],
            "offer": offer,
            "source": source,
        }
        message = {
            "messageId": f"check-{doc['session_id']}-{time.monotonic_ns()}",
            "role": "ROLE_USER",
            "parts": [{"data": {"skill": "validate_solution", "input": data}}],
        }
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}
        headers = {"Authorization": f"Bearer {TOKEN}", "A2A-Version": "1.0"}
        response = await self.client.post(url("context_agent") + "/", json=rpc, headers=headers)
        task = response.json()["result"]["task"]
        assert task["status"]["state"] == "TASK_STATE_COMPLETED", task["status"]
        return task["artifacts"][0]["parts"][0]["data"]


@dataclass
class Case:
    """One customer's handle on one session."""

    client: httpx.AsyncClient
    session_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def doc(self) -> dict[str, Any]:
        response = await self.client.get(f"/v1/sessions/{self.session_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def wait(
        self, done: Callable[[dict[str, Any]], bool], budget_s: float = 20.0
    ) -> dict[str, Any]:
        """Poll until `done(doc)`, failing when the time budget runs out."""
        deadline = time.monotonic() + budget_s
        while True:
            doc = await self.doc()
            if done(doc):
                return doc
            assert time.monotonic() < deadline, f"stuck in {doc['state']}: {doc.get('reason')}"
            await asyncio.sleep(0.01)

    async def settle(
        self, budget_s: float = 20.0, after: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Wait for a state that waits on the customer or ends the case (and is newer than `after`)."""

        def settled(doc: dict[str, Any]) -> bool:
            moved = after is None or doc["updated_at"] != after["updated_at"]
            return moved and doc["state"] in WAITING | TERMINAL

        return await self.wait(settled, budget_s)

    async def events(self) -> list[dict[str, Any]]:
        """The case's history, oldest first."""
        path = f"/v1/sessions/{self.session_id}/events"
        response = await self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    async def message(self, **body: Any) -> httpx.Response:
        """Send a message: `text=...` and/or `choice=...`."""
        path = f"/v1/sessions/{self.session_id}/messages"
        return await self.client.post(path, json=body, headers=self.headers)

    async def decide(self, decision: str = "approve", **extra: Any) -> httpx.Response:
        body = {"decision": decision, **extra}
        return await self.client.post(
            f"/v1/sessions/{self.session_id}/decisions", json=body, headers=self.headers
        )


@asynccontextmanager
async def in_process_fleet(var_dir: Path, **coordinator: Any) -> AsyncIterator[InProcessFleet]:
    """Build the four apps, start their lifespans, and yield the fleet; stop them all after."""
    routes = Routes()
    shared = common_settings(var_dir)
    database = {"database_url": f"sqlite:///{var_dir / 'coordinator.db'}"}
    fast = {"watchdog_interval_s": 0.5, "sse_poll_s": 0.05, **coordinator}
    apps = {
        "mock_cs_service": create_mock_cs(MockCSSettings(**shared)),
        "context_agent": create_context(ContextSettings(**shared), transport=routes),
        "negotiation_agent": create_negotiation(
            NegotiationSettings(**shared, cs_retry_initial_s=0), transport=routes
        ),
        "coordinator_agent": create_coordinator(
            CoordinatorSettings(**shared, **database, **fast), agent_transport=routes
        ),
    }
    for service, app in apps.items():
        routes.apps[HOSTS[service]] = httpx.ASGITransport(app=app)
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=routes, base_url=url("coordinator_agent"), timeout=30)
        )
        yield InProcessFleet(apps, routes, client)
