"""The coordinator's app factory: the customer API, the session store and the workflow."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from coordinator_agent.account_api import router as account_router
from coordinator_agent.accounts import AccountStore, RetailerDirectory
from coordinator_agent.api import ops_router, router
from coordinator_agent.config import Settings
from coordinator_agent.feed import ChangeFeed
from coordinator_agent.leases import CaseLeases, LeaseStore, LocalLeases, SharedLeases, lease_owner
from coordinator_agent.relay import ChangeRelay
from coordinator_agent.store import (
    STORE_THREADS,
    Cipher,
    SessionStore,
    StoreThreads,
    database_url,
    make_engine,
)
from coordinator_agent.web_app import router as web_router
from coordinator_agent.workflow import Limits, Workflow
from shared import limits
from shared.a2a.client import A2AClient, peer_http_client
from shared.domain import TERMINAL_STATES
from shared.logs import get_logger
from shared.service import LargeBodies, create_service_app

log = get_logger(__name__)
PHOTO_PATHS = re.compile(r"/v1/sessions(/[0-9A-Za-z_-]{1,64}/photos)?")

DESCRIPTION = (
    "Owns every case from the customer's first words to the archive: the customer REST API, "
    "the session store, the workflow over A2A, and the human queue of escalations."
)


def cipher(settings: Settings) -> Cipher:
    """The store's cipher: the encryption keys (first encrypts) and the HMAC key."""
    return Cipher(settings.encryption_key.get_secret_value(), settings.hmac_key.get_secret_value())


def build_store(
    settings: Settings, feed: ChangeFeed | None = None, relay: ChangeRelay | None = None
) -> SessionStore:
    """The session store for the configured database and key; its committed changes wake
    this instance's streams (`feed`) and, through `relay`, the other instances'."""
    on_change = feed.changed if feed else None
    if feed is not None and relay is not None:
        wake, announce = feed.changed, relay.changed

        def on_change(session_id: str) -> None:
            wake(session_id)
            announce(session_id)

    store = SessionStore(
        make_engine(settings.database_url),
        cipher(settings),
        terminal_states=TERMINAL_STATES,
        on_change=on_change,
        on_events=feed.written if feed else None,
    )
    store.migrate()
    return store


def build_workflow(
    settings: Settings,
    store: SessionStore,
    context_http: httpx.AsyncClient,
    negotiation_http: httpx.AsyncClient,
    threads: StoreThreads | None = None,
    leases: CaseLeases | None = None,
) -> Workflow:
    """The workflow, with A2A clients for the context and negotiation agents."""
    token = settings.agent_token.get_secret_value()
    attempts = settings.a2a_max_attempts
    context = A2AClient(
        context_http, settings.context_url, token, peer="context_agent",
        attempts=attempts, timeout_s=settings.a2a_timeout_s,
    )  # fmt: skip
    # A negotiate round may wait for CS and the validator through all their attempts.
    negotiate_timeout = limits.negotiate_timeout_s(
        settings.cs_timeout_s, settings.cs_max_attempts,
        settings.a2a_timeout_s, settings.a2a_max_attempts,
    )  # fmt: skip
    negotiation = A2AClient(
        negotiation_http, settings.negotiation_url, token, peer="negotiation_agent",
        attempts=attempts, timeout_s=negotiate_timeout,
    )  # fmt: skip
    bounds = Limits(
        max_rounds=settings.max_rounds,
        negotiation_deadline_s=settings.negotiation_deadline_s,
        working_state_timeout_s=settings.working_state_timeout_s,
        agent_outage_grace_s=settings.agent_outage_grace_s,
        remind_after_s=settings.remind_after_s,
        wait_timeout_s=settings.wait_timeout_s,
        cs_retry_schedule_s=settings.cs_retry_schedule_s,
        farewell_retry_s=settings.farewell_retry_s,
        day_s=settings.day_seconds,
        promise_grace_days=settings.promise_grace_days,
        promise_recheck_days=settings.promise_recheck_days,
    )
    return Workflow(store, context, negotiation, limits=bounds, threads=threads, leases=leases)


def shared_database(settings: Settings) -> bool:
    """Whether the database may be shared by several coordinators (anything but SQLite)."""
    return database_url(settings.database_url).get_backend_name() != "sqlite"


async def maintain(workflow: Workflow, store: SessionStore, settings: Settings) -> None:
    """The periodic jobs: watchdog and gauges often, the 90-day purge now and then."""
    since_purge = settings.purge_interval_s  # purge once at start
    while True:
        try:
            await workflow.watchdog_once()
            await workflow.offload(workflow.refresh_gauges)
            await workflow.offload(store.checkpoint)
            if since_purge >= settings.purge_interval_s:
                retention_s = settings.retention_days * 86400
                purged = await workflow.offload(store.purge_archived, retention_s)
                if purged:
                    log.info("purged %d archived sessions", purged)
                since_purge = 0.0
        except Exception:  # the jobs must outlive one bad pass
            log.exception("maintenance pass failed")
        await asyncio.sleep(settings.watchdog_interval_s)
        since_purge += settings.watchdog_interval_s


def create_app(
    settings: Settings | None = None, *, agent_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the coordinator; `agent_transport` lets tests fake the agents at the HTTP edge."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sys.setswitchinterval(settings.gil_switch_interval_s)
        feed = ChangeFeed()
        # Several coordinators may share a PostgreSQL database: the cases are leased, and the
        # changes each makes are relayed to the others' live streams.
        relay = ChangeRelay(settings.database_url, feed) if shared_database(settings) else None
        store = build_store(settings, feed, relay)
        threads = StoreThreads(STORE_THREADS if store.shared else 1)
        leases: CaseLeases = LocalLeases()
        if relay is not None:
            relay.start()
            feed.relayed = True
            leases = SharedLeases(LeaseStore(store.engine, lease_owner()), threads)
        # One pool per peer: httpcore's pool bookkeeping grows with the square of its
        # connections, and every case in flight may hold one.
        pool = settings.agent_max_connections
        async with (
            peer_http_client(agent_transport, pool) as context_http,
            peer_http_client(agent_transport, pool) as negotiation_http,
            peer_http_client(agent_transport) as retailer_http,
        ):
            workflow = build_workflow(
                settings, store, context_http, negotiation_http, threads, leases
            )
            app.state.store, app.state.workflow, app.state.feed = store, workflow, feed
            app.state.accounts = AccountStore(
                store.engine, store.cipher, sessions_per_account=settings.sessions_per_account
            )
            app.state.retailer = RetailerDirectory(
                retailer_http, settings.cs_url, settings.mock_admin_token.get_secret_value()
            )
            app.state.live_streams = {}
            workflow.resume_all()
            workflow.deliver_outbox_soon()  # farewells a previous process still owed CS
            jobs = asyncio.create_task(maintain(workflow, store, settings))
            lease_job = asyncio.create_task(workflow.keep_leases())
            try:
                yield
            finally:
                for job in (jobs, lease_job):
                    job.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await job
                await workflow.stop()
                threads.close()
                if relay is not None:
                    relay.close()
                store.dispose()

    return create_service_app(
        settings,
        name="coordinator_agent",
        description=DESCRIPTION,
        lifespan=lifespan,
        readiness=readiness,
        routers=[account_router, router, ops_router, web_router],
        # a new case with its photos, and photos added to a case
        large_bodies=LargeBodies(PHOTO_PATHS, settings.max_photo_body_bytes),
    )


async def readiness(app: FastAPI) -> dict[str, bool]:
    """The store answers, and so do the two agents the workflow needs."""
    checks = {"store": await app.state.workflow.offload(app.state.store.ping)}
    settings: Settings = app.state.settings
    async with httpx.AsyncClient(timeout=2.0) as http:
        for name, url in (
            ("context_agent", settings.context_url),
            ("negotiation_agent", settings.negotiation_url),
        ):
            try:
                checks[name] = (await http.get(url.rstrip("/") + "/healthz")).status_code == 200
            except httpx.HTTPError:
                checks[name] = False
    return checks
