"""The documents of a broken promise: the formal complaint and the dispute packet.

Pure functions of the case and its history. The packet renders as Markdown and as PDF
(ReportLab). Words from CS are untrusted: escaped for Markdown and for ReportLab's markup.
No personal data beyond the retailer's customer id goes in (no names or addresses).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from coordinator_agent.case import cited_policies, cs_quotes
from coordinator_agent.models import SessionDocument
from coordinator_agent.promises import RUNG_NAMES, Rung, iso_date
from coordinator_agent.store import Event
from shared.limits import DISPUTE_FILING_DAYS

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")  # links, emphasis, HTML, code, tables

_EVENT_WORDS = {
    "monitoring": "CS agreed; promises recorded",
    "promise_kept": "promise kept",
    "promise_broken": "promise broken (nothing in the order system by the due date plus grace)",
    "follow_up": "CS contacted again",
    "follow_up_proposed": "next step proposed to the customer",
    "dispute_packet": "dispute packet prepared",
    "escalated": "handed to a person",
    "decision": "decision",
    "cs_exchange": "message exchanged with CS",
}


@dataclass(frozen=True)
class Packet:
    """The facts a dispute packet states, gathered once for both renderings."""

    title: str
    prepared: str
    deadline: str
    order: list[tuple[str, str]]
    agreement: list[tuple[str, str]]
    cs_quote: str
    promises: list[str]
    steps: list[str]
    quotes: list[str]
    policies: list[str]
    timeline: list[str]


def filing_deadline(doc: SessionDocument) -> str:
    """The last day to file a dispute: 120 days from the transaction (the order date)."""
    order = (doc.analysis or {}).get("order") or {}
    try:
        start = date.fromisoformat(str(order.get("order_date")))
    except ValueError:
        agreed = doc.follow.agreed_at if doc.follow else doc.created_at
        start = datetime.fromtimestamp(agreed, UTC).date()
    return (start + timedelta(days=DISPUTE_FILING_DAYS)).isoformat()


def complaint_letter(doc: SessionDocument, events: Sequence[Event], now: float) -> str:
    """A formal written complaint to the retailer: the order, the agreement, what broke."""
    follow = doc.follow
    assert follow is not None
    order = (doc.analysis or {}).get("order") or {}
    broken = [p.describe() for p in follow.promises if p.status in ("broken", "pending")]
    chased = [f"{iso_date(r['at'])}: {r['name']}" for r in follow.rungs]
    lines = [
        f"Formal complaint: order {doc.order_id}",
        f"Date: {iso_date(now)}",
        "To: the retailer's customer service and complaints department",
        "",
        f"On {iso_date(follow.agreed_at)} your customer service agreed, on this order "
        f"(placed {order.get('order_date', 'unknown')}, total {order.get('total', 'unknown')}), "
        f"to: {_terms(follow.terms)}.",
        f'Your agent confirmed it in these words: "{_plain(follow.cs_quote)}"',
        f"Your reference: {follow.contact_id}." if follow.contact_id else "",
        "That promise has not been kept: " + "; ".join(broken) + ".",
        ("We have chased it already: " + "; ".join(chased) + ".") if chased else "",
        "Please put it right within 7 days. If it is not, the customer will dispute the charge "
        f"with the card issuer or payment provider (deadline {filing_deadline(doc)}).",
    ]
    return "\n".join(lines)[:6000]


def gather(doc: SessionDocument, events: Sequence[Event], now: float) -> Packet:
    """The facts of the dispute packet, from the case and its history."""
    follow = doc.follow
    assert follow is not None
    order = (doc.analysis or {}).get("order") or {}
    items = ", ".join(
        f"{i.get('title', '')} ({i.get('price', '')})"
        for i in order.get("items") or []
        if isinstance(i, dict)
    )
    outcome = doc.outcome or {}
    policies = [
        f"{p.get('policy_id')}: {p.get('title') or ''} {p.get('citation') or ''}".strip()
        for p in cited_policies(doc)
        if p.get("policy_id")
    ]
    basis = [str(b) for b in outcome.get("policy_basis") or []]
    return Packet(
        title=f"Dispute packet: order {doc.order_id}",
        prepared=iso_date(now),
        deadline=filing_deadline(doc),
        order=[
            ("Order", str(doc.order_id)),
            ("Retailer customer id", doc.customer_id),
            ("Order date (transaction)", str(order.get("order_date", "unknown"))),
            ("Total charged", str(order.get("total", "unknown"))),
            ("Payment method", str(order.get("payment_method", "unknown"))),
            ("Seller", str(order.get("seller", "unknown"))),
            ("Items", items or "unknown"),
        ],
        agreement=[
            ("Agreed on", iso_date(follow.agreed_at)),
            ("Terms", _terms(follow.terms)),
        ],
        cs_quote=_plain(follow.cs_quote),
        promises=[f"{p.describe()}: {p.status}" for p in follow.promises],
        steps=[
            f"{iso_date(r['at'])}: {r['name']} (rung {r['rung']}); CS answered: "
            f'"{_plain(r.get("cs_text", ""))}"'
            for r in follow.rungs
        ],
        quotes=[_plain(q["text"]) for q in cs_quotes(doc)]
        + [_plain(r.get("cs_text", "")) for r in follow.rungs if r.get("cs_text")],
        policies=([f"Policy basis of the agreement: {', '.join(basis)}"] if basis else [])
        + policies,
        timeline=[
            f"{datetime.fromtimestamp(e.at, UTC).isoformat(timespec='minutes')}: "
            f"{_EVENT_WORDS.get(e.type, e.type.replace('_', ' '))}"
            for e in events
            if e.type in _EVENT_WORDS
        ],
    )


def dispute_markdown(doc: SessionDocument, events: Sequence[Event], now: float) -> str:
    """The dispute packet as Markdown (CS's words escaped)."""
    p = gather(doc, events, now)
    out = [f"# {_md(p.title)}", "", f"Prepared {p.prepared}.", ""]
    out += [f"**Deadline to file: {p.deadline}** ({DISPUTE_FILING_DAYS} days from the "
            "transaction).", ""]  # fmt: skip
    out += ["## Order", "", *(f"- {k}: {_md(v)}" for k, v in p.order), ""]
    out += ["## What customer service agreed", "", *(f"- {k}: {_md(v)}" for k, v in p.agreement)]
    out += ["", f"> {_md(p.cs_quote)}", "", "## Promises", "", *(f"- {_md(x)}" for x in p.promises)]
    out += ["", "## What was done to recover it", "", *(f"- {_md(x)}" for x in p.steps)]
    out += ["", "## What customer service said", "", *(f"> {_md(q)}\n" for q in p.quotes)]
    out += ["", "## Policy basis", "", *(f"- {_md(x)}" for x in p.policies)]
    out += ["", "## Timeline", "", *(f"- {_md(x)}" for x in p.timeline), ""]
    out += [
        "## How to file",
        "",
        "Send this packet to your card issuer or payment provider as a dispute of the charge "
        f"(merchant did not provide the agreed remedy) before {p.deadline}.",
        "",
    ]
    return "\n".join(out)


def dispute_pdf(doc: SessionDocument, events: Sequence[Event], now: float) -> bytes:
    """The dispute packet as PDF, rendered with ReportLab (CS's words escaped as markup)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    p = gather(doc, events, now)
    styles = getSampleStyleSheet()
    body, head, quote = styles["BodyText"], styles["Heading2"], styles["Italic"]
    story: list[Any] = [
        Paragraph(xml_escape(p.title), styles["Title"]),
        Paragraph(f"Prepared {xml_escape(p.prepared)}.", body),
        Paragraph(
            f"<b>Deadline to file: {xml_escape(p.deadline)}</b> "
            f"({DISPUTE_FILING_DAYS} days from the transaction).",
            body,
        ),
    ]

    def section(title: str, lines: Sequence[str], style: Any = body) -> None:
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph(xml_escape(title), head))
        story.extend(Paragraph(xml_escape(line), style) for line in lines)

    section("Order", [f"{k}: {v}" for k, v in p.order])
    section("What customer service agreed", [f"{k}: {v}" for k, v in p.agreement])
    story.append(Paragraph(xml_escape(f'"{p.cs_quote}"'), quote))
    section("Promises", p.promises)
    section("What was done to recover it", p.steps)
    section("What customer service said", [f'"{q}"' for q in p.quotes], quote)
    section("Policy basis", p.policies)
    section("Timeline", p.timeline)
    section(
        "How to file",
        [
            "Send this packet to your card issuer or payment provider as a dispute of the "
            f"charge (merchant did not provide the agreed remedy) before {p.deadline}."
        ],
    )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=p.title, author="CS Negotiator", leftMargin=18 * mm,
        rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
    ).build(story)  # fmt: skip
    return buffer.getvalue()


def rung_name(rung: int) -> str:
    """A rung's name in words."""
    return RUNG_NAMES[Rung(rung)]


def _terms(terms: dict[str, Any]) -> str:
    kind = str(terms.get("type", "remedy")).replace("_", " ")
    amount = terms.get("amount")
    money = f" of {float(amount):.2f} {terms.get('currency', 'USD')}" if amount else ""
    method = (
        f" to {str(terms['refund_method']).replace('_', ' ')}" if terms.get("refund_method") else ""
    )
    ret = ", return required" if terms.get("return_required") else ""
    return f"{kind}{money}{method}{ret}"


def _plain(text: object) -> str:
    """Untrusted text on one line, printable, capped."""
    raw = text if isinstance(text, str) else ""
    flat = " ".join("".join(c if c.isprintable() else " " for c in raw).split())
    return flat[:1000]


def _md(text: str) -> str:
    """Text safe inside Markdown: its control characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)
