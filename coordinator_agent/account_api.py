"""Accounts over HTTP (DESIGN.md section 3b): sign-up, sign-in, sign-out, links, and access.

A caller proves who they are with the account's token, as `Authorization: Bearer <token>`
(API, CLI) or as the page's HttpOnly `csn_session` cookie. A cookie alone never authorises
a change: every POST signed in by cookie carries the token's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from coordinator_agent.accounts import (
    AccountStore,
    AccountTokenInvalid,
    BadCredentials,
    EmailTaken,
    OrderSystemUnavailable,
    RetailerDirectory,
    Throttled,
    WeakPassword,
    normalize_email,
)
from coordinator_agent.models import Credentials, LinkRequest, SignUp
from shared import limits

COOKIE = "csn_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="The account token from POST /v1/auth/login")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def accounts_of(request: Request) -> AccountStore:
    """The app's account store."""
    store: AccountStore = request.app.state.accounts
    return store


def unauthorized(detail: str) -> HTTPException:
    """A 401 that tells the client to sign in."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def too_many(error: Throttled) -> HTTPException:
    """A 429 with Retry-After."""
    return HTTPException(429, str(error), headers={"Retry-After": str(error.retry_after)})


def presented_token(request: Request, credentials: Bearer) -> tuple[str, bool] | None:
    """The token the caller presents and whether it came as the page's cookie."""
    if credentials is not None:
        return credentials.credentials, False
    cookie = request.cookies.get(COOKIE)
    return (cookie, True) if cookie else None


def signed_in_account(request: Request, token: str, via_cookie: bool) -> str | None:
    """The account a token signs in (None if it is not a live account token).

    A change made with the cookie must carry its CSRF token, else 403.
    """
    accounts = accounts_of(request)
    try:
        account_id = accounts.account_id_for(token)
    except AccountTokenInvalid:
        return None
    if via_cookie and request.method not in SAFE_METHODS:
        csrf = request.headers.get(CSRF_HEADER, "")
        if not accounts.csrf_valid(token, csrf):
            raise HTTPException(403, f"missing or wrong CSRF token ({CSRF_HEADER} header)")
    request.state.account_id = account_id
    return account_id


def account_access(request: Request, credentials: Bearer) -> str:
    """The signed-in account's id; 401 without a live account token."""
    presented = presented_token(request, credentials)
    if presented is None:
        raise unauthorized("sign in first (Authorization: Bearer <account token>)")
    account_id = signed_in_account(request, *presented)
    if account_id is None:
        raise unauthorized(str(AccountTokenInvalid()))
    return account_id


AccountId = Annotated[str, Depends(account_access)]


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


router = APIRouter(tags=["accounts"])


@router.post("/v1/accounts", status_code=201, responses={409: {}, 422: {}, 429: {}})
async def sign_up(body: SignUp, request: Request) -> dict[str, str]:
    """A new account: 409 if the email is taken, 422 for a weak password."""
    accounts = accounts_of(request)
    address = "signup-address:" + _client_address(request)
    try:
        accounts.check(address, limits.SIGNUPS_PER_ADDRESS, limits.LOGIN_WINDOW_S)
        accounts.record(address)
        account_id = await run_in_threadpool(accounts.create, body.email, body.password, body.name)
    except Throttled as error:
        raise too_many(error) from None
    except EmailTaken as error:
        raise HTTPException(409, str(error)) from None
    except WeakPassword as error:
        raise HTTPException(422, str(error)) from None
    return {"account_id": account_id}


@router.post("/v1/auth/login", responses={401: {}, 429: {}})
async def login(body: Credentials, request: Request, response: Response) -> dict[str, str]:
    """A token for the API and the CLI (also set as the page's HttpOnly cookie); throttled
    per email and per client address."""
    accounts = accounts_of(request)
    email = "login-email:" + normalize_email(body.email)
    address = "login-address:" + _client_address(request)
    try:
        accounts.check(email, limits.LOGIN_FAILURES_PER_EMAIL, limits.LOGIN_WINDOW_S)
        accounts.check(address, limits.LOGIN_FAILURES_PER_ADDRESS, limits.LOGIN_WINDOW_S)
        accounts.check("any-" + address, limits.LOGIN_ATTEMPTS_PER_ADDRESS, limits.LOGIN_WINDOW_S)
    except Throttled as error:
        raise too_many(error) from None
    accounts.record("any-" + address)
    try:
        token, expires_at = await run_in_threadpool(accounts.login, body.email, body.password)
    except BadCredentials as error:
        accounts.record(email, address)
        raise unauthorized(str(error)) from None
    response.set_cookie(
        COOKIE,
        token,
        max_age=limits.ACCOUNT_TOKEN_TTL_S,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
    )
    return {
        "token": token,
        "expires_at": _iso(expires_at),
        "csrf_token": accounts.csrf_token(token),
    }


@router.post("/v1/auth/logout", status_code=204, responses={401: {}, 403: {}})
async def logout(request: Request, credentials: Bearer, account_id: AccountId) -> Response:
    """Sign out: the token (and the page's cookie) stop working."""
    presented = presented_token(request, credentials)
    if presented is not None:
        accounts_of(request).logout(presented[0])
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/v1/accounts/me", responses={401: {}})
async def me(request: Request, credentials: Bearer, account_id: AccountId) -> dict[str, Any]:
    """The account and its linked retailer customer ids (and the page's CSRF token)."""
    accounts = accounts_of(request)
    account = accounts.account(account_id)
    presented = presented_token(request, credentials)
    return {
        "account_id": account.id,
        "email": account.email,
        "name": account.name,
        "links": account.links,
        "created_at": _iso(account.created_at),
        "csrf_token": accounts.csrf_token(presented[0]) if presented else None,
    }


@router.post(
    "/v1/accounts/me/links",
    status_code=201,
    responses={401: {}, 403: {}, 404: {}, 429: {}, 503: {}},
)
async def link(body: LinkRequest, request: Request, account_id: AccountId) -> dict[str, str]:
    """Link the retailer customer who placed `order_id`, if `email_on_file` is theirs."""
    accounts = accounts_of(request)
    failures, attempts = "link-failure:" + account_id, "link:" + account_id
    try:
        accounts.check(failures, limits.LINK_FAILURES_PER_ACCOUNT, limits.LINK_WINDOW_S)
        accounts.check(attempts, limits.LINK_ATTEMPTS_PER_ACCOUNT, limits.LINK_WINDOW_S)
    except Throttled as error:
        raise too_many(error) from None
    accounts.record(attempts)
    directory: RetailerDirectory = request.app.state.retailer
    try:
        customer_id = await directory.owner_of(body.order_id)
        on_file = await directory.email_on_file(customer_id) if customer_id else None
    except OrderSystemUnavailable:
        raise HTTPException(503, "the retailer's order system is unavailable; try again") from None
    if customer_id is None:
        accounts.record(failures)
        raise HTTPException(404, "the retailer has no order with this number")
    if on_file is None or normalize_email(on_file) != normalize_email(body.email_on_file):
        accounts.record(failures)
        raise HTTPException(403, "this email is not the one on file for that order")
    accounts.link(account_id, customer_id)
    return {"customer_id": customer_id}


@router.get("/v1/accounts/me/orders", responses={401: {}, 503: {}})
async def my_orders(request: Request, account_id: AccountId) -> dict[str, Any]:
    """The orders of the account's linked retailer customers, for the new-case form."""
    directory: RetailerDirectory = request.app.state.retailer
    found: list[dict[str, Any]] = []
    try:
        for customer_id in accounts_of(request).links(account_id):
            for order in await directory.orders_of(customer_id):
                found.append(_order_summary(customer_id, order))
    except OrderSystemUnavailable:
        raise HTTPException(503, "the retailer's order system is unavailable; try again") from None
    return {"orders": found}


def _order_summary(customer_id: str, order: dict[str, Any]) -> dict[str, Any]:
    items = order.get("items") if isinstance(order.get("items"), list) else []
    titles = [str(i.get("title", "")) for i in items if isinstance(i, dict)]
    return {
        "order_id": order.get("order_id"),
        "customer_id": customer_id,
        "order_date": order.get("order_date"),
        "status": order.get("status"),
        "total": order.get("total"),
        "items": titles,
    }
