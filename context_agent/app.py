"""The context agent's app factory (port 9001)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

import httpx
from fastapi import FastAPI

from context_agent.config import Settings
from context_agent.extraction import RULES_FILE, load_rules
from context_agent.orders import OrderSystem
from context_agent.policies import PolicyIndex, load_policies
from context_agent.skills import SKILLS
from shared.a2a.client import peer_http_client
from shared.clock import utc_today
from shared.language.claude import make_claude_reader
from shared.language.reader import load_reader
from shared.logs import get_logger
from shared.service import create_service_app

log = get_logger(__name__)
DESCRIPTION = (
    "Turns a customer's words into facts about their order, and tells the fleet what the "
    "retailer's policies allow: ranked policies, conflicts, entitlement, offer validation."
)


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], date] = utc_today,
) -> FastAPI:
    """Build the app; policies and rules load (and fail loudly) here, before serving."""
    settings = settings or Settings()
    policies = load_policies(settings.policy_dir)
    index = PolicyIndex(policies)
    rules = load_rules(settings.rules_file or RULES_FILE)
    reader = load_reader()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with peer_http_client(transport) as http:
            app.state.orders = OrderSystem(
                http,
                settings.cs_url,
                timeout_s=settings.order_timeout_s,
                attempts=settings.order_max_attempts,
                retry_initial_s=settings.order_retry_initial_s,
                cache_ttl_s=settings.order_cache_ttl_s,
            )
            log.info("context agent serving %d policies", len(index))
            yield

    async def readiness(app: FastAPI) -> dict[str, bool]:
        return {
            "policies_loaded": len(app.state.policy_index) > 0,
            "order_system": await app.state.orders.ping(),
        }

    app = create_service_app(
        settings,
        name="context_agent",
        description=DESCRIPTION,
        skills=SKILLS,
        lifespan=lifespan,
        readiness=readiness,
    )
    app.state.policy_index = index
    app.state.rules = rules
    app.state.reader = reader
    key = settings.anthropic_api_key
    app.state.claude = make_claude_reader(
        key.get_secret_value() if key else None, settings.claude_model
    )
    app.state.clock = clock
    return app
