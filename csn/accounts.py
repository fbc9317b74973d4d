"""The client side of accounts: `csn login`, the stored sign-in, and demo accounts.

A sign-in is kept per coordinator URL in a credentials file (mode 0600):
`$CSN_CREDENTIALS`, else `$XDG_CONFIG_HOME/csn/credentials.json` (`~/.config/...`).
Demo accounts (`csn up --demo`, `csn bench`, the integration tests) are made the way a
customer makes one: sign up with the email the retailer holds, sign in, and link the
retailer account with one of its order numbers and that email.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from shared.settings import dev_secret


class AccountSetupError(Exception):
    """A demo account could not be made or signed in."""


def credentials_file() -> Path:
    """Where `csn login` keeps its sign-ins."""
    explicit = os.environ.get("CSN_CREDENTIALS")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "csn" / "credentials.json"


def _key(coordinator_url: str) -> str:
    return coordinator_url.rstrip("/")


def load_sign_in(coordinator_url: str) -> dict[str, Any] | None:
    """The stored sign-in for this coordinator (`token`, `expires_at`, `email`), if any."""
    try:
        stored = json.loads(credentials_file().read_text())
    except (OSError, ValueError):
        return None
    found = stored.get(_key(coordinator_url)) if isinstance(stored, dict) else None
    return found if isinstance(found, dict) and isinstance(found.get("token"), str) else None


def save_sign_in(coordinator_url: str, sign_in: dict[str, Any]) -> Path:
    """Keep a sign-in for this coordinator (the file is readable by its owner only)."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        stored = json.loads(path.read_text())
        stored = stored if isinstance(stored, dict) else {}
    except (OSError, ValueError):
        stored = {}
    stored[_key(coordinator_url)] = sign_in
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(stored, handle, indent=2)
    os.chmod(path, 0o600)
    return path


def login(http: httpx.Client, email: str, password: str) -> dict[str, Any]:
    """Sign in: {token, expires_at, email}; AccountSetupError with the coordinator's reason."""
    response = http.post("/v1/auth/login", json={"email": email, "password": password})
    if response.status_code != 200:
        raise AccountSetupError(f"sign-in refused ({response.status_code}): {_detail(response)}")
    http.cookies.clear()  # the CLI signs in by bearer token
    body = response.json()
    return {"token": body["token"], "expires_at": body["expires_at"], "email": email}


def demo_password(var_dir: Path) -> str:
    """The demo accounts' password: generated once per checkout under var/secrets/."""
    return dev_secret(var_dir, "demo_password")


def demo_account(
    coordinator_url: str, cs_url: str, customer_id: str, password: str, admin_token: str = ""
) -> dict[str, Any]:
    """An account for one customer of the order system, linked to it, signed in.

    Signs up with the email the retailer holds (an existing account is signed in), then
    links the retailer account with the customer's first order and that email.
    """
    admin = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    with httpx.Client(timeout=15) as retailer:
        customer = quote(customer_id, safe="")
        profile = retailer.get(f"{cs_url.rstrip('/')}/v1/customers/{customer}", headers=admin)
        orders = retailer.get(f"{cs_url.rstrip('/')}/v1/customers/{customer}/orders")
    if profile.status_code != 200 or orders.status_code != 200:
        raise AccountSetupError(f"the order system does not know customer {customer_id}")
    email, found = profile.json()["email"], orders.json().get("orders") or []
    if not found:
        raise AccountSetupError(f"customer {customer_id} has no order to link with")
    with httpx.Client(base_url=coordinator_url.rstrip("/"), timeout=30) as http:
        body = {"email": email, "password": password, "name": profile.json().get("name")}
        created = http.post("/v1/accounts", json=body)
        if created.status_code not in (201, 409):
            raise AccountSetupError(f"sign-up refused ({created.status_code}): {_detail(created)}")
        sign_in = login(http, email, password)
        link = {"order_id": found[0]["order_id"], "email_on_file": email}
        headers = {"Authorization": f"Bearer {sign_in['token']}"}
        linked = http.post("/v1/accounts/me/links", json=link, headers=headers)
        if linked.status_code != 201:
            raise AccountSetupError(f"link refused ({linked.status_code}): {_detail(linked)}")
    return {**sign_in, "customer_id": customer_id}


def demo_accounts(
    coordinator_url: str, cs_url: str, password: str, admin_token: str = ""
) -> list[dict[str, Any]]:
    """One demo account per customer the order system lists (`GET /v1/customers`)."""
    response = httpx.get(f"{cs_url.rstrip('/')}/v1/customers", timeout=15)
    response.raise_for_status()
    customers = [str(c["customer_id"]) for c in response.json()["customers"]]
    return [demo_account(coordinator_url, cs_url, c, password, admin_token) for c in customers]


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))[:300]
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"
