"""One clock for the fleet: dates are UTC dates, whichever machine or time zone runs a service."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    """Today's date in UTC (never the local `date.today()`: services must agree on day edges)."""
    return datetime.now(UTC).date()
