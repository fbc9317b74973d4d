"""Pure views of a case: the customer's session document, the escalation context, attempts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from coordinator_agent.models import Attempt, Negotiation, SessionDocument
from coordinator_agent.store import Event
from shared.domain import ORDER_ID_PATTERN, SessionState
from shared.limits import MAX_ORDER_ITEMS, MAX_TITLE_CHARS
from shared.redaction import redact

_ORDER_ID = re.compile(rf"\b{ORDER_ID_PATTERN}\b")
_AWAITING = {
    SessionState.AWAITING_CLARIFICATION: "clarification",
    SessionState.AWAITING_CUSTOMER_INPUT: "customer_input",
    SessionState.AWAITING_STRATEGY_APPROVAL: "strategy",
    SessionState.AWAITING_OUTCOME_APPROVAL: "outcome",
    SessionState.AWAITING_FOLLOW_UP_APPROVAL: "follow_up",
}


_ASKING = {
    SessionState.AWAITING_CLARIFICATION,
    SessionState.AWAITING_CUSTOMER_INPUT,
    SessionState.AWAITING_FOLLOW_UP_APPROVAL,
}


DESCRIPTION_CHARS = 400


def describe_for_cs(doc: SessionDocument) -> dict[str, Any]:
    """What CS may be told about the case: the customer's words summarised and redacted (no
    contact details), the order's dates and the item."""
    words = " ".join(redact(doc.message).split())
    if len(words) > DESCRIPTION_CHARS:
        cut = words[:DESCRIPTION_CHARS]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        words = cut[: end + 1] if end > DESCRIPTION_CHARS // 2 else cut.rsplit(" ", 1)[0] + " ..."
    analysis = doc.analysis or {}
    order = analysis.get("order") or {}
    return {
        "description": words,
        "order_date": _date(order.get("order_date")),
        "delivered_date": _date(order.get("delivered_date")),
        "item": analysis.get("item"),
        "items": product_titles(order),
    }


def product_titles(order: dict[str, Any]) -> list[str]:
    """The order's product titles, by which CS names the item (read in its words as "the
    item"; never sent to CS)."""
    items = order.get("items")
    titles = (
        [i.get("title") for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    )
    fitting = [t for t in titles if isinstance(t, str) and 0 < len(t) <= MAX_TITLE_CHARS]
    return fitting[:MAX_ORDER_ITEMS]


def _date(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 20 else None


def find_order_id(text: str) -> str | None:
    """The first order id in the retailer's format found in `text`."""
    match = _ORDER_ID.search(text)
    return match.group(0) if match else None


def all_rounds(doc: SessionDocument) -> list[dict[str, Any]]:
    """Every CS round of every attempt, oldest first."""
    earlier = [r for attempt in doc.attempts for r in attempt.rounds]
    return [*earlier, *doc.negotiation.rounds]


def total_exchanges(doc: SessionDocument) -> int:
    """CS exchanges over every attempt."""
    return sum(a.cs_exchanges for a in doc.attempts) + doc.negotiation.cs_exchanges


def session_view(doc: SessionDocument, rating: dict[str, Any] | None = None) -> dict[str, Any]:
    """The session document as the customer API serves it."""
    state = SessionState(doc.state)
    return {
        "session_id": doc.id,
        "state": state.value,
        "awaiting": _AWAITING.get(state),
        "question": doc.question if state in _ASKING else None,
        "choices": doc.choices if state == SessionState.AWAITING_CLARIFICATION else [],
        "order_id": doc.order_id,
        "auto_approve": doc.auto_approve,
        "created_at": doc.created_at,
        "analysis": doc.analysis,
        "policies": doc.policies,
        "strategy": doc.strategy,
        "proposal": doc.proposal,
        "outcome": doc.outcome,
        "escalation": doc.escalation,
        "reason": doc.reason,
        "negotiation": {
            "attempt": doc.attempt,
            "contact_id": _contact_id(doc),
            "rounds": all_rounds(doc),
            "cs_exchanges": total_exchanges(doc),
        },
        "attempts": [a.model_dump() for a in doc.attempts],
        "follow_through": follow_view(doc),
        "rating": rating,
        # evidence: what each photo is (never its bytes), and whether CS is waiting for them
        "photos": [
            {**p.model_dump(exclude={"added_at"}), "added_at": iso(p.added_at)} for p in doc.photos
        ],
        "photos_wanted": photos_wanted(doc),
    }


def photos_wanted(doc: SessionDocument) -> bool:
    """Whether the case waits for the customer's photos: CS asked and the case has none (the
    photos it has go to CS without asking anyone)."""
    waiting = doc.state == SessionState.AWAITING_CUSTOMER_INPUT
    return waiting and doc.negotiation.send_photos and not doc.photos


def follow_view(doc: SessionDocument) -> dict[str, Any] | None:
    """After CS agreed: the promises with their dates, the checks and the rungs climbed."""
    follow = doc.follow
    if follow is None:
        return None
    return {
        "agreed_at": iso(follow.agreed_at),
        "terms": follow.terms,
        "cs_quote": follow.cs_quote,
        "promises": [
            {
                "id": p.id,
                "kind": p.kind,
                "type": p.type,
                "amount": p.amount,
                "currency": p.currency,
                "days": p.days,
                "days_source": p.days_source,
                "due_at": iso(p.due_at),
                "grace_until": iso(p.grace_until),
                "status": p.status,
                "posted": p.posted,
                "text": p.describe(),
            }
            for p in follow.promises
        ],
        "next_check_at": iso(follow.next_check_at) if follow.next_check_at else None,
        "checks": follow.checks,
        "rung": follow.rung,
        "rungs": [{**r, "at": iso(r["at"])} for r in follow.rungs],
        "complaint_letter": follow.complaint_letter,
        "recovered_amount": round(follow.recovered_amount, 2),
        "dispute_packet": f"/v1/sessions/{doc.id}/dispute-packet" if follow.dispute_at else None,
    }


def iso(at: float) -> str:
    """A timestamp as UTC ISO 8601, to the second."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _contact_id(doc: SessionDocument) -> str | None:
    contact_id = (doc.negotiation.state or {}).get("contact_id")
    return contact_id if isinstance(contact_id, str) else None


def close_attempt(doc: SessionDocument, because: str) -> None:
    """Keep the current attempt in the history and start a fresh one."""
    doc.attempts.append(
        Attempt(
            attempt=doc.attempt,
            goal=doc.goal or (doc.analysis or {}).get("desired_outcome"),
            strategy=doc.strategy,
            rounds=doc.negotiation.rounds,
            cs_exchanges=doc.negotiation.cs_exchanges,
            proposal=doc.proposal,
            ended_because=because,
            contact_id=_contact_id(doc),
        )
    )
    doc.attempt += 1
    doc.negotiation = Negotiation()
    doc.strategy = None
    doc.proposal = None


def cited_policies(doc: SessionDocument) -> list[dict[str, Any]]:
    """The applicable policies of the case, and those the strategy argued with."""
    policies = (doc.policies or {}).get("policies") or []
    applicable = [
        {k: p.get(k) for k in ("policy_id", "title", "citation", "reason")}
        for p in policies
        if isinstance(p, dict) and p.get("applicable")
    ]
    arguments = (doc.strategy or {}).get("arguments") or []
    return applicable + [a for a in arguments if isinstance(a, dict)]


def cs_quotes(doc: SessionDocument) -> list[dict[str, Any]]:
    """What CS said, round by round, with the offer it made."""
    return [
        {
            "attempt": r.get("attempt"),
            "round": r.get("round"),
            "text": r.get("cs_text"),
            "offer": r.get("cs_offer"),
        }
        for r in all_rounds(doc)
        if r.get("cs_text")
    ]


def escalation_context(
    doc: SessionDocument, timeline: Sequence[Event], reason_code: str, reason: str
) -> dict[str, Any]:
    """Everything a human needs to take the case over, captured when it is escalated."""
    analysis = doc.analysis or {}
    return {
        "session_id": doc.id,
        "customer_id": doc.customer_id,
        "reason_code": reason_code,
        "reason": reason,
        "state_before": SessionState(doc.state).value,
        "issue": doc.message,
        "messages": [m.model_dump() for m in doc.messages],
        "order_id": doc.order_id,
        "order": analysis.get("order"),
        "problem_type": analysis.get("problem_type"),
        "desired_outcome": doc.goal or analysis.get("desired_outcome"),
        "entitlement": (doc.policies or {}).get("entitlement"),
        "conflicts": (doc.policies or {}).get("conflicts"),
        "cited_policies": cited_policies(doc),
        "strategy_summary": (doc.strategy or {}).get("summary"),
        "cs_quotes": cs_quotes(doc),
        "proposal": doc.proposal,
        "outcome": doc.outcome,
        "attempts": len(doc.attempts) + 1,
        "timeline": [
            {"seq": e.seq, "at": e.at, "type": e.type, "state": e.state, "actor": e.actor}
            for e in timeline
        ],
    }
