"""The negotiation agent's app factory (port 9002)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from tenacity import wait_exponential_jitter, wait_none
from tenacity.wait import wait_base

from negotiation_agent.config import Settings
from negotiation_agent.dialogue import CSDesk
from negotiation_agent.drafting import make_drafter
from negotiation_agent.skills import SKILLS, PolicyValidator
from shared.a2a.client import A2AClient, peer_http_client
from shared.language.reader import load_reader
from shared.service import create_service_app

DESCRIPTION = (
    "Plans a negotiation from the customer's entitlement and negotiates with the retailer's "
    "customer service, one idempotent round at a time."
)


def cs_wait(settings: Settings) -> wait_base:
    """Backoff between CS attempts: exponential with jitter, or none when set to 0."""
    if settings.cs_retry_initial_s <= 0:
        return wait_none()
    initial = settings.cs_retry_initial_s
    return wait_exponential_jitter(initial=initial, max=10 * initial, jitter=initial)


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the app; `transport` lets tests and the benchmark route HTTP in-process."""
    settings = settings or Settings()

    reader = load_reader()  # loads (or builds) before serving

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One pool per peer: httpcore's pool bookkeeping grows with the square of its size.
        async with peer_http_client(transport) as cs_http, peer_http_client(transport) as http:
            app.state.desk = CSDesk(
                cs_http,
                settings.cs_url,
                timeout_s=settings.cs_timeout_s,
                max_attempts=settings.cs_max_attempts,
                wait=cs_wait(settings),
            )
            context = A2AClient(
                http,
                settings.context_url,
                settings.agent_token.get_secret_value(),
                peer="context_agent",
                attempts=settings.a2a_max_attempts,
                timeout_s=settings.a2a_timeout_s,
            )
            app.state.context_client = context
            app.state.validator = PolicyValidator(context)
            app.state.reader = reader
            key = settings.anthropic_api_key
            app.state.drafter = make_drafter(
                key.get_secret_value() if key else None, settings.claude_model
            )
            yield

    async def readiness(app: FastAPI) -> dict[str, bool]:
        return {
            "context_agent": await _card_answers(app.state.context_client),
            "cs_desk": await app.state.desk.ping(),
        }

    return create_service_app(
        settings,
        name="negotiation_agent",
        description=DESCRIPTION,
        skills=SKILLS,
        lifespan=lifespan,
        readiness=readiness,
    )


async def _card_answers(client: A2AClient) -> bool:
    try:
        await client.card()
    except (httpx.HTTPError, ValueError):
        return False
    return True
