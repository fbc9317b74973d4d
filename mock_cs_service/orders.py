"""The retailer's order system: customers and orders loaded from a JSON file.

Dates in the file are absolute (`2026-10-02`) or relative to the current UTC day
(`-20d` is twenty days ago, `+3d` in three days, `0d` today), resolved on every read, so
the default cases stay realistic whatever day the service runs, and for as long as it runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.domain import Customer, Order
from shared.redaction import register_customer

DEFAULT_DATA = Path(__file__).parent / "data" / "orders.json"
_OFFSET = re.compile(r"^\s*([+-]?)(\d{1,5})\s*d\s*$")


class OrderDataError(ValueError):
    """The order data file is missing or malformed."""


def resolve_date(value: Any, today: date) -> Any:
    """Turn a relative offset such as `-20d` into an ISO date; leave anything else alone."""
    if not isinstance(value, str):
        return value
    match = _OFFSET.match(value)
    if not match:
        return value
    days = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    return (today + timedelta(days=days)).isoformat()


def resolve_dates(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Resolve every `*_date` field of one record."""
    return {
        key: resolve_date(value, today) if key.endswith("_date") else value
        for key, value in record.items()
    }


Today = date | Callable[[], date]


class OrderBook:
    """Customers and their orders, read-only after loading; relative dates resolved per read."""

    def __init__(
        self,
        customers: list[Customer],
        orders: list[Order],
        *,
        records: list[dict[str, Any]] | None = None,
        today: Today | None = None,
    ) -> None:
        self._customers = {c.customer_id: c for c in customers}
        self._orders = {o.order_id: o for o in orders}
        self._records = records  # as in the file, relative dates unresolved
        self._today: Callable[[], date] | None = (
            (lambda: today) if isinstance(today, date) else today
        )
        self._resolved_on: date | None = None
        unknown = sorted({o.customer_id for o in orders} - set(self._customers))
        if unknown:
            raise OrderDataError(f"orders refer to unknown customers: {', '.join(unknown)}")
        for customer in customers:  # this process holds them: keep them out of its logs
            register_customer(customer.model_dump())

    @classmethod
    def from_data(cls, data: Mapping[str, Any], today: Today) -> OrderBook:
        """Build the book from the parsed JSON shape of DESIGN.md section 5.

        `today` is a date or a clock: with a clock, relative dates follow the current day.
        """
        if not isinstance(data, Mapping):
            raise OrderDataError("order data must be a JSON object with customers and orders")
        day = today if isinstance(today, date) else today()
        try:
            customers = [Customer.model_validate(c) for c in data.get("customers", [])]
            records = [dict(o) for o in data.get("orders", [])]
            orders = [Order.model_validate(resolve_dates(o, day)) for o in records]
        except (ValidationError, AttributeError, TypeError, ValueError) as exc:
            raise OrderDataError(f"invalid order data: {exc}") from exc
        book = cls(customers, orders, records=records, today=today)
        book._resolved_on = day
        return book

    def _current(self) -> dict[str, Order]:
        """The orders with their relative dates resolved against today (once a day)."""
        if self._records is None or self._today is None:
            return self._orders
        day = self._today()
        if day != self._resolved_on:
            resolved = (Order.model_validate(resolve_dates(o, day)) for o in self._records)
            self._orders = {o.order_id: o for o in resolved}
            self._resolved_on = day
        return self._orders

    @classmethod
    def load(cls, path: Path, today: Today) -> OrderBook:
        """Read a data file; a missing or malformed file is an `OrderDataError` naming it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise OrderDataError(f"cannot read order data {path}: {exc}") from exc
        try:
            return cls.from_data(data, today)
        except OrderDataError as exc:
            raise OrderDataError(f"{path}: {exc}") from exc

    def order(self, order_id: str) -> Order | None:
        """One order by id."""
        return self._current().get(order_id)

    def customer(self, customer_id: str) -> Customer | None:
        """One customer's profile."""
        return self._customers.get(customer_id)

    def customers(self) -> list[Customer]:
        """Every customer, by id."""
        return [self._customers[key] for key in sorted(self._customers)]

    def orders_of(self, customer_id: str) -> list[Order]:
        """A customer's orders, newest first."""
        mine = [o for o in self._current().values() if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.order_date, reverse=True)

    def is_prime(self, customer_id: str) -> bool:
        """Whether the customer is a Prime member (the only profile fact orders carry)."""
        customer = self._customers.get(customer_id)
        return bool(customer and customer.prime)

    def public_order(self, order: Order) -> dict[str, Any]:
        """An order as the order endpoints return it: no personal data, plus `prime`."""
        return {**order.model_dump(mode="json"), "prime": self.is_prime(order.customer_id)}

    def __len__(self) -> int:
        return len(self._current())
