"""Customer accounts: sign-up, sign-in tokens, retailer links, the cases they own, throttles.

The rows live in the session store's database (tables in store.py) and are sealed with its
cipher: emails, names, password hashes and customer ids are encrypted, and looked up by
keyed hash. Passwords are hashed with argon2id (argon2-cffi's RFC 9106 defaults).
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from coordinator_agent.store import (
    Cipher,
    account_links,
    account_sessions,
    account_tokens,
    accounts,
    sessions,
    throttle_events,
)
from shared import limits
from shared.retry import transient_retry

COMMON_PASSWORDS = frozenset(
    {"password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop",
     "0123456789", "iloveyou12", "letmein123", "passw0rd12", "abcdefghij", "1q2w3e4r5t"}
)  # fmt: skip
_hasher = PasswordHasher()  # argon2id, time cost 3, 64 MiB, parallelism 4 (RFC 9106 low-memory)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))  # unknown emails cost the same as known


class AccountError(Exception):
    """Base class of the account errors; `default` is the message a client sees."""

    default = "account error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class EmailTaken(AccountError):
    default = "an account with this email already exists"


class WeakPassword(AccountError):
    default = "the password is too weak"


class BadCredentials(AccountError):
    default = "wrong email or password"


class AccountTokenInvalid(AccountError):
    default = "invalid or expired sign-in; sign in again"


class Throttled(AccountError):
    """Too many attempts; `retry_after` seconds until the next one counts."""

    default = "too many attempts; try again later"

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after) + 1)


@dataclass(frozen=True)
class Account:
    """A signed-in customer: who they are and the retailer customer ids they proved."""

    id: str
    email: str
    name: str | None
    links: list[str]
    created_at: float


def normalize_email(email: str) -> str:
    """One spelling of an address for lookups: trimmed and lower-cased."""
    return email.strip().lower()


def check_password(password: str, email: str) -> None:
    """WeakPassword unless the password is long, varied and not the obvious."""
    lowered = password.lower()
    local = normalize_email(email).split("@")[0]
    if len(password) < limits.MIN_PASSWORD_CHARS:
        raise WeakPassword(f"the password needs at least {limits.MIN_PASSWORD_CHARS} characters")
    if len(set(password)) < 5 or lowered in COMMON_PASSWORDS:
        raise WeakPassword("the password is too easy to guess")
    if len(local) >= 3 and local in lowered:
        raise WeakPassword("the password may not contain the email address")


class AccountStore:
    """Accounts, their sign-in tokens, retailer links and cases, in the coordinator's store."""

    def __init__(
        self,
        engine: Engine,
        cipher: Cipher,
        *,
        clock: Callable[[], float] = time.time,
        sessions_per_account: int | None = None,
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock
        self._sessions_per_account = sessions_per_account  # None: the table's limit

    # -- accounts and sign-in -------------------------------------------------------------

    def create(self, email: str, password: str, name: str | None = None) -> str:
        """A new account; EmailTaken or WeakPassword. The password is kept as argon2id."""
        email = normalize_email(email)
        check_password(password, email)
        if self._row_by_email(email) is not None:
            raise EmailTaken()
        account_id = uuid.uuid4().hex
        values = {
            "id": account_id,
            "email_hash": self._email_hash(email),
            "email": self._cipher.seal(email),
            "name": self._cipher.seal(name) if name else None,
            "password": self._cipher.seal(_hasher.hash(password)),
            "created_at": self._clock(),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(accounts).values(**values))
        except IntegrityError:  # the same email signed up concurrently
            raise EmailTaken() from None
        return account_id

    def login(self, email: str, password: str) -> tuple[str, float]:
        """A new sign-in token and its expiry; BadCredentials otherwise (same cost either way)."""
        row = self._row_by_email(normalize_email(email))
        stored = self._cipher.open(row.password) if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            raise BadCredentials() from None
        if row is None:  # pragma: no cover - the dummy hash never verifies
            raise BadCredentials()
        return self.issue_token(row.id)

    def issue_token(self, account_id: str) -> tuple[str, float]:
        """A fresh token for the account (only its hash is kept) and when it expires."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        expires_at = now + limits.ACCOUNT_TOKEN_TTL_S
        with self._engine.begin() as conn:
            conn.execute(delete(account_tokens).where(account_tokens.c.expires_at < now))
            conn.execute(
                insert(account_tokens).values(
                    token_hash=self._token_hash(token),
                    account_id=account_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return token, expires_at

    def account_id_for(self, token: str) -> str:
        """The account a live token signs in; AccountTokenInvalid when unknown or expired."""
        if not token or len(token) > 200:
            raise AccountTokenInvalid()
        hashes = self._cipher.macs("account-token:" + token)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(account_tokens).where(account_tokens.c.token_hash.in_(hashes))
            ).first()
        if row is None or row.expires_at <= self._clock():
            raise AccountTokenInvalid()
        return str(row.account_id)

    def logout(self, token: str) -> None:
        """Revoke one sign-in token."""
        hashes = self._cipher.macs("account-token:" + token)
        with self._engine.begin() as conn:
            conn.execute(delete(account_tokens).where(account_tokens.c.token_hash.in_(hashes)))

    def account(self, account_id: str) -> Account:
        """The account with its links; AccountTokenInvalid if it no longer exists."""
        with self._engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        if row is None:
            raise AccountTokenInvalid()
        name = self._cipher.open(row.name) if row.name else None
        email = self._cipher.open(row.email)
        return Account(row.id, email, name, self.links(account_id), row.created_at)

    def csrf_token(self, token: str) -> str:
        """The CSRF token that goes with a sign-in token (the page sends it in a header)."""
        return self._cipher.mac("csrf:" + token)

    def csrf_valid(self, token: str, csrf: str) -> bool:
        """Whether `csrf` is the CSRF token of `token` (constant time)."""
        found = False
        for expected in self._cipher.macs("csrf:" + token):
            found |= hmac.compare_digest(expected, csrf)
        return found

    # -- retailer links -------------------------------------------------------------------

    def links(self, account_id: str) -> list[str]:
        """The retailer customer ids the account proved, oldest first."""
        query = (
            select(account_links.c.customer_id)
            .where(account_links.c.account_id == account_id)
            .order_by(account_links.c.created_at)
        )
        with self._engine.connect() as conn:
            return [self._cipher.open(sealed) for sealed in conn.execute(query).scalars()]

    def link(self, account_id: str, customer_id: str) -> None:
        """Record a proved link (linking the same customer again changes nothing)."""
        if customer_id in self.links(account_id):
            return
        values = {
            "account_id": account_id,
            "customer_hash": self._cipher.mac("customer:" + customer_id),
            "customer_id": self._cipher.seal(customer_id),
            "created_at": self._clock(),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(account_links).values(**values))
        except IntegrityError:  # linked concurrently
            return

    # -- cases ----------------------------------------------------------------------------

    def owns(self, account_id: str, session_id: str) -> bool:
        """Whether the session was opened by this account."""
        query = select(account_sessions.c.account_id).where(
            account_sessions.c.session_id == session_id
        )
        with self._engine.connect() as conn:
            owner = conn.execute(query).scalar()
        return owner is not None and hmac.compare_digest(str(owner), account_id)

    def cases(self, account_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The account's cases, newest first: id, state and times."""
        query = (
            select(account_sessions.c.session_id, sessions.c.state, sessions.c.updated_at,
                   account_sessions.c.created_at)
            .join(sessions, sessions.c.id == account_sessions.c.session_id)
            .where(account_sessions.c.account_id == account_id)
            .order_by(account_sessions.c.created_at.desc())
            .limit(limit)
        )  # fmt: skip
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {"session_id": r.session_id, "state": r.state, "created_at": r.created_at,
             "updated_at": r.updated_at}
            for r in rows
        ]  # fmt: skip

    def check_session_rate(self, account_id: str) -> None:
        """Throttled when the account opened too many cases in the last window."""
        since = self._clock() - limits.SESSION_WINDOW_S
        query = select(func.count(), func.min(account_sessions.c.created_at)).where(
            and_(account_sessions.c.account_id == account_id, account_sessions.c.created_at > since)
        )
        with self._engine.connect() as conn:
            count, oldest = conn.execute(query).one()
        if count >= (self._sessions_per_account or limits.SESSIONS_PER_ACCOUNT):
            raise Throttled(oldest - since, "too many new cases; try again in a minute")

    # -- throttles ------------------------------------------------------------------------

    def check(self, key: str, limit: int, window_s: float) -> None:
        """Throttled when `key` was recorded `limit` times within the last `window_s`."""
        since = self._clock() - window_s
        key_hash = self._cipher.mac("throttle:" + key)
        query = select(func.count(), func.min(throttle_events.c.at)).where(
            and_(throttle_events.c.key_hash == key_hash, throttle_events.c.at > since)
        )
        with self._engine.connect() as conn:
            count, oldest = conn.execute(query).one()
        if count >= limit:
            raise Throttled(oldest - since)

    def record(self, *keys: str) -> None:
        """Count one attempt against each key (old counts are pruned as we go)."""
        now = self._clock()
        oldest_kept = now - max(limits.LOGIN_WINDOW_S, limits.LINK_WINDOW_S)
        rows = [{"key_hash": self._cipher.mac("throttle:" + k), "at": now} for k in keys]
        with self._engine.begin() as conn:
            conn.execute(delete(throttle_events).where(throttle_events.c.at < oldest_kept))
            conn.execute(insert(throttle_events), rows)

    # -- internals ------------------------------------------------------------------------

    def _row_by_email(self, email: str) -> Any:
        hashes = self._cipher.macs("email:" + email)
        with self._engine.connect() as conn:
            return conn.execute(select(accounts).where(accounts.c.email_hash.in_(hashes))).first()

    def _email_hash(self, email: str) -> str:
        return self._cipher.mac("email:" + email)

    def _token_hash(self, token: str) -> str:
        return self._cipher.mac("account-token:" + token)


class OrderSystemUnavailable(Exception):
    """The retailer's order system did not answer."""


class RetailerDirectory:
    """The retailer's order system and customer profiles, to prove a customer is who they say."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: str = "", timeout_s: float = 5.0
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout_s

    async def owner_of(self, order_id: str) -> str | None:
        """The customer id that placed the order, or None when there is no such order."""
        order = await self._get(f"/v1/orders/{quote(order_id, safe='')}")
        owner = order.get("customer_id") if isinstance(order, dict) else None
        return owner if isinstance(owner, str) else None

    async def email_on_file(self, customer_id: str) -> str | None:
        """The email the retailer holds for the customer, or None when unknown."""
        profile = await self._get(f"/v1/customers/{quote(customer_id, safe='')}")
        email = profile.get("email") if isinstance(profile, dict) else None
        return email if isinstance(email, str) else None

    async def orders_of(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's orders (empty when unknown)."""
        body = await self._get(f"/v1/customers/{quote(customer_id, safe='')}/orders")
        orders = body.get("orders") if isinstance(body, dict) else None
        return [o for o in orders if isinstance(o, dict)] if isinstance(orders, list) else []

    async def _get(self, path: str) -> Any:
        try:
            async for attempt in transient_retry(3, initial=0.1):
                with attempt:
                    response = await self._http.get(
                        self._base + path, headers=self._headers, timeout=self._timeout
                    )
                    if response.status_code == 404:
                        return None
                    response.raise_for_status()
                    return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OrderSystemUnavailable(type(error).__name__) from error
        return None  # pragma: no cover
