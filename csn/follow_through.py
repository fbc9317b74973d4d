"""`csn bench --follow-through`: did the fleet keep CS to its word? Judged from the desk's books.

Every figure comes from the mock's ledger (`GET /v1/admin/ledger`): when each remedy was
booked, what the desk promised (days), when it posted to the order system, and when and at
which rung it was chased. A promise is broken when it had not posted by its due date plus
the grace; it is detected in time when the first chase came within one check (one day)
after that; a kept promise is reopened when it was chased although it had posted in time.
The fleet's own records serve only to find each case's CS contact and its dispute packet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FIGURES = (
    "promises",
    "kept",
    "broken",
    "detected_in_time",
    "detected_late",
    "undetected",
    "recovered",
    "recovery_rate",
    "unrecovered",
    "dispute_packets",
    "reopened_kept",
    "money_recovered",
    "max_detection_delay_days",
)


@dataclass
class Judged:
    """One promise as the desk's books tell it."""

    persona: str
    contact_id: str
    amount: float
    kind: str
    broken: bool
    kept_reopened: bool
    detection_delay_days: float | None  # first chase after due + grace, in days
    recovered: bool
    session_id: str | None = None
    packet: bool | None = None  # unrecovered: could the customer download the packet?
    notes: list[str] = field(default_factory=list)


def judge_promise(
    entry: dict[str, Any], persona: str, day_s: float, grace_days: float, now: datetime
) -> Judged | None:
    """One ledger line with a fulfilment, judged; None when it promised nothing to check."""
    fulfilment = entry.get("fulfilment")
    if not fulfilment:
        return None
    booked = datetime.fromisoformat(entry["booked_at"])
    days = float(fulfilment["promised_days"]) + grace_days
    deadline = booked.timestamp() + days * day_s
    posted_at = fulfilment.get("posted_at")
    posted = datetime.fromisoformat(posted_at).timestamp() if posted_at else None
    chases = [datetime.fromisoformat(c["at"]).timestamp() for c in fulfilment.get("chases") or []]
    in_time = posted is not None and posted <= deadline
    delay = (chases[0] - deadline) / day_s if chases and not in_time else None
    return Judged(
        persona=persona,
        contact_id=str(entry["contact_id"]),
        amount=float(entry.get("amount") or 0.0) if fulfilment["kind"] == "refund" else 0.0,
        kind=str(fulfilment["kind"]),
        broken=not in_time and now.timestamp() > deadline,
        kept_reopened=in_time and bool(chases),
        detection_delay_days=delay,
        recovered=not in_time and posted is not None,
    )


def figures(judged: list[Judged]) -> dict[str, Any]:
    """The follow-through figures of a set of promises."""
    broken = [j for j in judged if j.broken]
    delays = [j.detection_delay_days for j in broken if j.detection_delay_days is not None]
    unrecovered = [j for j in broken if not j.recovered]
    recovered = [j for j in broken if j.recovered]
    return {
        "promises": len(judged),
        "kept": sum(not j.broken for j in judged),
        "broken": len(broken),
        "detected_in_time": sum(d <= 1.0 for d in delays),
        "detected_late": sum(d > 1.0 for d in delays),
        "undetected": len(broken) - len(delays),
        "recovered": len(recovered),
        "recovery_rate": round(len(recovered) / len(broken), 4) if broken else None,
        "unrecovered": len(unrecovered),
        "dispute_packets": sum(bool(j.packet) for j in unrecovered),
        "reopened_kept": sum(j.kept_reopened for j in judged),
        "money_recovered": round(sum(j.amount for j in recovered), 2),
        "max_detection_delay_days": round(max(delays), 3) if delays else None,
    }
