"""The mock CS service: the retailer's order system and CS desk over plain REST (port 9003)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from mock_cs_service.config import Settings
from mock_cs_service.desk import (
    ConfigUpdate,
    CustomerMessage,
    Desk,
    DeskConfig,
    DeskError,
    DeskReply,
    Fault,
    OpenContact,
)
from mock_cs_service.orders import DEFAULT_DATA, OrderBook
from mock_cs_service.policy_book import PolicyBook
from shared import metrics
from shared.auth import bearer_token_valid
from shared.clock import utc_today
from shared.domain import ProblemType
from shared.logs import get_logger
from shared.service import create_service_app, json_error

log = get_logger(__name__)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
MAX_KEY_LENGTH = 200


def build_desk(settings: Settings) -> Desk:
    """The desk with its order data, the published policies and the starting configuration."""
    orders = OrderBook.load(settings.mock_data or DEFAULT_DATA, utc_today)
    config = DeskConfig(
        persona=settings.mock_persona,
        channel=settings.mock_channel,
        wording=settings.mock_wording,
        seed=settings.mock_seed,
        latency_ms=settings.mock_latency_ms,
        error_rate=settings.mock_error_rate,
        timeout_rate=settings.mock_timeout_rate,
        timeout_s=settings.mock_timeout_s,
        followup=settings.mock_followup,
    )
    policies = PolicyBook.load(settings.policy_dir)
    return Desk(orders, policies, config, day_seconds=settings.day_seconds)


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise DeskError("the Idempotency-Key header is required")
    if len(key) > MAX_KEY_LENGTH:
        raise DeskError(f"the Idempotency-Key header must be at most {MAX_KEY_LENGTH} characters")
    return key


def _reply(operation: str, reply: DeskReply) -> JSONResponse:
    metrics.MOCK_CS_REQUESTS.labels(operation, "ok").inc()
    return JSONResponse(reply.body, status_code=reply.status)


def _refuse(operation: str, error: DeskError) -> JSONResponse:
    metrics.MOCK_CS_REQUESTS.labels(operation, str(error.status)).inc()
    return json_error(error.status, error.detail)


async def _suffer(desk: Desk, operation: str, fault: Fault) -> JSONResponse | None:
    """Play the configured latency and the drawn fault; a 503 comes before any work is done."""
    config = desk.config
    if config.latency_ms:
        await asyncio.sleep(config.latency_ms / 1000)
    if fault != Fault.NONE:
        metrics.MOCK_CS_FAULTS.labels(fault.value).inc()
    if fault == Fault.ERROR:
        metrics.MOCK_CS_REQUESTS.labels(operation, "503").inc()
        return JSONResponse(
            {"detail": "customer service is temporarily unavailable, please retry"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    if fault == Fault.TIMEOUT:
        await asyncio.sleep(config.timeout_s)
    return None


def admin_access(request: Request) -> None:
    """The admin API and customer profiles: `Bearer $CSN_MOCK_ADMIN_TOKEN`, or, while no
    token is set (development), callers on loopback only."""
    expected = request.app.state.settings.mock_admin_token.get_secret_value()
    if expected:
        if not bearer_token_valid(request.headers.get("authorization"), expected):
            raise HTTPException(
                401,
                "the admin token is required (Authorization: Bearer <CSN_MOCK_ADMIN_TOKEN>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return
    if not _is_loopback(request.client.host if request.client else ""):
        raise HTTPException(
            403, "without CSN_MOCK_ADMIN_TOKEN the admin API answers loopback callers only"
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def order_router() -> APIRouter:
    """The retailer's order system."""
    router = APIRouter(prefix="/v1", tags=["orders"])

    @router.get("/orders/{order_id}")
    async def get_order(order_id: str, request: Request) -> Any:
        """One order (no personal data; `prime` says whether its customer is a member), with
        the remedies posted to it: `refund_issued`, `refund_date`, `refund_amount`, `refunds`,
        `shipments`."""
        order = _desk(request).order_view(order_id)
        if order is None:
            return json_error(404, "no such order")
        return order

    @router.get("/customers")
    async def customers(request: Request) -> dict[str, Any]:
        """Every customer of the order system: ids and membership only, no personal data."""
        book = _desk(request).orders
        listed = [{"customer_id": c.customer_id, "prime": c.prime} for c in book.customers()]
        return {"customers": listed}

    @router.get("/customers/{customer_id}/orders")
    async def customer_orders(customer_id: str, request: Request) -> Any:
        """A customer's orders, newest first."""
        book = _desk(request).orders
        if book.customer(customer_id) is None:
            return json_error(404, "no such customer")
        orders = [book.public_order(o) for o in book.orders_of(customer_id)]
        return {"customer_id": customer_id, "prime": book.is_prime(customer_id), "orders": orders}

    @router.get("/customers/{customer_id}", dependencies=[Depends(admin_access)])
    async def customer_profile(customer_id: str, request: Request) -> Any:
        """A customer's profile, as the retailer's account system holds it."""
        customer = _desk(request).orders.customer(customer_id)
        if customer is None:
            return json_error(404, "no such customer")
        return customer.model_dump(mode="json")

    return router


def desk_router() -> APIRouter:
    """The CS desk: contacts and messages, idempotent by key."""
    router = APIRouter(prefix="/v1/contacts", tags=["cs desk"])

    @router.post("", status_code=201)
    async def open_contact(
        body: OpenContact, request: Request, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Start a conversation about one of the customer's orders."""
        desk = _desk(request)
        try:
            key = _check_key(idempotency_key)
            failed = await _suffer(desk, "open", desk.fault_for_open(body))
            if failed is not None:
                return failed
            reply = desk.open_contact(key, body)
        except DeskError as error:
            return _refuse("open", error)
        log.info("contact answered", extra={"fields": {"contact_id": reply.body["contact_id"]}})
        return _reply("open", reply)

    @router.post("/{contact_id}/messages")
    async def post_message(
        contact_id: str,
        body: CustomerMessage,
        request: Request,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        """Send the agent a message; the reply carries its words and, maybe, an offer."""
        desk = _desk(request)
        try:
            key = _check_key(idempotency_key)
            failed = await _suffer(desk, "message", desk.fault_for_message(contact_id))
            if failed is not None:
                return failed
            reply = desk.post_message(contact_id, key, body)
        except DeskError as error:
            return _refuse("message", error)
        return _reply("message", reply)

    @router.get("/{contact_id}")
    async def transcript(contact_id: str, request: Request) -> Any:
        """The conversation so far."""
        try:
            return _desk(request).transcript(contact_id)
        except DeskError as error:
            return json_error(error.status, error.detail)

    return router


def admin_router() -> APIRouter:
    """The simulator's controls, behind the admin token (or loopback while it is unset)."""
    router = APIRouter(
        prefix="/v1/admin", tags=["simulation"], dependencies=[Depends(admin_access)]
    )

    @router.get("/config")
    async def get_config(request: Request) -> dict[str, Any]:
        """The current simulation settings."""
        return _desk(request).config.model_dump(mode="json")

    @router.put("/config")
    async def put_config(update: ConfigUpdate, request: Request) -> Any:
        """Change persona, channel, wording, seed, latency and fault rates; fields left out stay."""
        try:
            config = _desk(request).configure(update)
        except ValidationError as exc:
            problems = "; ".join(e["msg"] for e in exc.errors())
            return json_error(422, f"invalid configuration: {problems}")
        log.info("simulation configured", extra={"fields": config.model_dump(mode="json")})
        return config.model_dump(mode="json")

    @router.get("/ledger")
    async def ledger(request: Request) -> dict[str, Any]:
        """What the desk actually granted: one agreement per accepted offer, in order; and
        how many idempotency keys came again with another request (a key sent twice)."""
        desk = _desk(request)
        return {"agreements": desk.agreements(), "key_conflicts": desk.key_conflicts()}

    @router.get("/terms")
    async def terms(order_id: str, problem_type: ProblemType, request: Request) -> Any:
        """What the retailer grants for an order and a problem, by its own rules and policies:
        how a benchmark judges a grant without the negotiator's reading of policy."""
        found = _desk(request).terms_for(order_id, problem_type)
        if found is None:
            return json_error(404, "no such order")
        return found

    @router.post("/reset")
    async def reset(request: Request) -> dict[str, str]:
        """Forget all contacts, idempotency keys and agreements."""
        _desk(request).reset()
        return {"status": "reset"}

    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the mock CS service."""
    settings = settings or Settings()
    desk = build_desk(settings)

    async def readiness(app: FastAPI) -> dict[str, bool]:
        return {"orders": len(app.state.desk.orders) > 0}

    app = create_service_app(
        settings,
        name="mock_cs_service",
        description="A stand-in for the retailer's order system and customer-service desk.",
        readiness=readiness,
        routers=[order_router(), desk_router(), admin_router()],
        a2a=False,
    )
    app.state.desk = desk
    return app
