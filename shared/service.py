"""The one app factory every service is built by: health, readiness, metrics, A2A, limits, logs."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics
from shared.a2a.models import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
)
from shared.a2a.server import A2AServer, Skill
from shared.auth import bearer_security_scheme
from shared.logs import configure_logging, get_logger, log_context
from shared.settings import ServiceSettings

log = get_logger(__name__)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Readiness = Callable[[FastAPI], Awaitable[dict[str, bool]]]


def package_version() -> str:
    """The installed distribution's version."""
    try:
        return version("cs-negotiator")
    except PackageNotFoundError:
        return "0.0.0"


def build_card(
    settings: ServiceSettings, name: str, description: str, skills: Sequence[Skill]
) -> AgentCard:
    """The agent's public card, with its skills and the bearer scheme it requires."""
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    schemes, requirements = bearer_security_scheme()
    return AgentCard(
        name=name,
        description=description,
        version=package_version(),
        supported_interfaces=[AgentInterface(url=base.rstrip("/") + "/")],
        capabilities=AgentCapabilities(streaming=True),
        skills=[
            AgentSkill(
                id=s.id,
                name=s.name,
                description=s.description,
                tags=list(s.tags) or [s.id],
                examples=list(s.examples) or None,
            )
            for s in skills
        ],
        provider=AgentProvider(organization="CS Negotiator", url=base),
        documentation_url=base.rstrip("/") + "/docs",
        security_schemes=schemes,
        security_requirements=requirements,
    )


def create_service_app(
    settings: ServiceSettings,
    *,
    name: str,
    description: str,
    skills: Sequence[Skill] = (),
    lifespan: Lifespan | None = None,
    readiness: Readiness | None = None,
    routers: Sequence[APIRouter] = (),
    a2a: bool = True,
    large_bodies: LargeBodies | None = None,
) -> FastAPI:
    """Build a service: the shared platform endpoints plus its own routers and skills.

    `large_bodies`: the paths (a pattern) that take bigger bodies (photos), and how big.
    """
    configure_logging(name, settings.log_level, settings.log_json)

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        log.info("%s starting on port %d", name, settings.port)
        if lifespan is None:
            yield
        else:
            async with lifespan(app):
                yield
        log.info("%s stopped", name)

    app = FastAPI(title=name, description=description, version=package_version(), lifespan=run)
    app.state.settings = settings
    app.state.service_name = name
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        service=name,
        large_bodies=large_bodies,
    )
    app.include_router(_platform_router(name, readiness))
    for router in routers:
        app.include_router(router)
    if a2a:
        card = build_card(settings, name, description, skills)
        server = A2AServer(
            card, skills, settings.agent_token.get_secret_value(), name, settings.task_retention
        )
        app.state.a2a = server
        app.include_router(server.router())
    return app


def _platform_router(name: str, readiness: Readiness | None) -> APIRouter:
    router = APIRouter(tags=["platform"])

    @router.get("/healthz")
    async def healthz() -> dict[str, object]:
        """Alive: the process answers."""
        return {"status": "ok", "service": name, "pid": os.getpid()}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready: every dependency answers."""
        checks = await readiness(request.app) if readiness else {}
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not_ready", "service": name, "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class LargeBodies:
    """Paths that take bigger bodies than the service's limit, from a signed-in caller only
    (a request without credentials keeps the small limit)."""

    paths: re.Pattern[str]
    max_bytes: int

    def limit(self, scope: Scope, headers: dict[bytes, bytes], default: int) -> int:
        """The body limit of this request."""
        signed_in = b"authorization" in headers or b"cookie" in headers
        if signed_in and self.paths.fullmatch(scope.get("path", "")):
            return max(default, self.max_bytes)
        return default


class RequestLimitsMiddleware:
    """Request ids, body size limit and latency metrics, as plain ASGI (streams pass through)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        service: str,
        large_bodies: LargeBodies | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.service = service
        self.large_bodies = large_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = _clean_request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        limit = self.max_body_bytes
        if self.large_bodies is not None:
            limit = self.large_bodies.limit(scope, headers, limit)
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(send)
            return
        status = {"code": 500, "started": False}
        started = time.perf_counter()

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                status["seen"] = status.get("seen", 0) + len(message.get("body", b""))
                if status["seen"] > limit:
                    raise BodyTooLarge()
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, limited_receive, send_with_id)
            except BodyTooLarge:
                if not status["started"]:
                    await self._too_large(send)
                status["code"] = 413
            finally:
                self._observe(scope, int(status["code"]), started)

    async def _too_large(self, send: Send) -> None:
        body = b'{"detail":"request body too large"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, code: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        metrics.HTTP_REQUEST_SECONDS.labels(
            self.service, scope.get("method", "GET"), template, f"{code // 100}xx"
        ).observe(time.perf_counter() - started)


def _clean_request_id(value: str) -> str:
    """Accept a caller's request id only if it is short and plain; otherwise make one."""
    if 0 < len(value) <= 100 and all(c.isalnum() or c in "-_.:" for c in value):
        return value
    return uuid.uuid4().hex


def json_error(status: int, detail: str, **extra: Any) -> JSONResponse:
    """A uniform JSON error body for the REST APIs."""
    return JSONResponse({"detail": detail, **extra}, status_code=status)
