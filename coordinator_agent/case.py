"""Pure views of a case: the customer's session document, the escalation context, attempts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from coordinator_agent.models import Attempt, Negotiation, SessionDocument
from coordinator_agent.store import Event
from shared.domain import ORDER_ID_PATTERN, SessionState
from shared.redaction import redact

_ORDER_ID = re.compile(rf"\b{ORDER_ID_PATTERN}\b")
_AWAITING = {
    SessionState.AWAITING_CLARIFICATION: "clarification",
    SessionState.AWAITING_CUSTOMER_INPUT: "customer_input",
    SessionState.AWAITING_STRATEGY_APPROVAL: "strategy",
    SessionState.AWAITING_OUTCOME_APPROVAL: "outcome",
}


_ASKING = {SessionState.AWAITING_CLARIFICATION, SessionState.AWAITING_CUSTOMER_INPUT}


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
    }


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
            "contact_id": (doc.negotiation.state or {}).get("contact_id"),
            "rounds": all_rounds(doc),
            "cs_exchanges": total_exchanges(doc),
        },
        "attempts": [a.model_dump() for a in doc.attempts],
        "rating": rating,
    }


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
