"""The order system as the context agent sees it: two GET calls to the mock CS service."""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from shared.retry import transient_retry


class OrderSystemUnavailable(Exception):
    """The order system did not answer (after retries) or answered nonsense."""


class OrderSystem:
    """Reads orders and a customer's order list over HTTP; 404 means unknown."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        attempts: int = 3,
        retry_initial_s: float = 0.1,
        cache_ttl_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._attempts = attempts
        self._initial = retry_initial_s
        self._cache = AnswerCache(cache_ttl_s, clock)

    async def order(self, order_id: str, *, fresh: bool = False) -> dict[str, Any] | None:
        """One order as the order system returns it, or None when it does not exist.

        `fresh` skips the cache: a check of what was posted to the order must see it now."""
        path = f"/v1/orders/{quote(order_id, safe='')}"
        body = await (self._fetch(path) if fresh else self._get(path))
        if body is not None and not isinstance(body, dict):
            raise OrderSystemUnavailable("the order system returned an order that is not an object")
        return body

    async def customer_orders(self, customer_id: str) -> list[dict[str, Any]] | None:
        """A customer's orders, or None when the customer is unknown."""
        body = await self._get(f"/v1/customers/{quote(customer_id, safe='')}/orders")
        if body is None:
            return None
        orders = body.get("orders") if isinstance(body, dict) else body
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            raise OrderSystemUnavailable("the order system returned a malformed order list")
        return orders

    async def ping(self) -> bool:
        """Whether the order system answers at all."""
        try:
            response = await self._http.get(self._base + "/healthz", timeout=self._timeout)
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    async def _get(self, path: str) -> Any:
        """GET with retry of transient failures; None on 404; recent answers from the cache."""
        hit, body = self._cache.get(path)
        if hit:
            return body
        body = await self._fetch(path)
        self._cache.put(path, body)
        return body

    async def _fetch(self, path: str) -> Any:
        try:
            async for attempt in transient_retry(self._attempts, initial=self._initial or 0.001):
                with attempt:
                    response = await self._http.get(self._base + path, timeout=self._timeout)
                    if response.status_code == 404:
                        return None
                    response.raise_for_status()
                    return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OrderSystemUnavailable(
                f"the order system is unavailable ({type(exc).__name__})"
            ) from exc
        raise OrderSystemUnavailable("the order system is unavailable")  # pragma: no cover


class AnswerCache:
    """The order system's recent answers, for a few seconds.

    One case asks about the same order a dozen times within seconds (analysis, lookup,
    one validation per ask); a short time-to-live keeps that from becoming a dozen
    calls, while a change in the order system is seen within `ttl_s`.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float], size: int = 4096) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._size = size
        self._answers: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, answer) while a fresh answer is kept, else (False, None)."""
        kept = self._answers.get(key)
        if kept is None or kept[0] < self._clock():
            return False, None
        return True, copy.deepcopy(kept[1])  # callers may change what they get

    def put(self, key: str, answer: Any) -> None:
        """Keep an answer for `ttl_s` (nothing when the TTL is 0); the oldest go first."""
        if self._ttl <= 0:
            return
        self._answers[key] = (self._clock() + self._ttl, copy.deepcopy(answer))
        self._answers.move_to_end(key)
        while len(self._answers) > self._size:
            self._answers.popitem(last=False)
