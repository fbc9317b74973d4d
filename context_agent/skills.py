"""The context agent's A2A skills: analyze_issue, lookup_policies, validate_solution."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from context_agent.extraction import (
    ExtractionRules,
    Hints,
    analyze_message,
    normalize_order_id,
    read_message,
)
from context_agent.orders import OrderSystem, OrderSystemUnavailable
from context_agent.policies import CaseFacts, PolicyIndex, case_facts
from shared import metrics
from shared.a2a.server import InputRequired, Skill, SkillContext, SkillError
from shared.domain import DesiredOutcome, Offer, Order, ProblemType
from shared.language.normalize import MAX_TEXT_CHARS
from shared.language.reader import Reader
from shared.limits import MAX_TITLE_CHARS
from shared.logs import get_logger

log = get_logger(__name__)
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _order_id(value: str | None) -> str | None:
    """Accept an order id typed loosely (spaces, `#`, O for 0); reject anything else."""
    if value is None:
        return None
    normalized = normalize_order_id(value)
    if normalized is None:
        raise ValueError("order_id must look like 123-1234567-1234567")
    return normalized


class AnalyzeInput(_Input):
    """analyze_issue's input."""

    customer_id: str = Field(pattern=CUSTOMER_ID_PATTERN)
    message: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    order_id: str | None = Field(default=None, max_length=60)
    problem_type: ProblemType | None = None  # the customer picked it from the choices
    desired_outcome: DesiredOutcome | None = None
    asked: bool = False  # the customer was asked about the reading once already

    @field_validator("order_id")
    @classmethod
    def _loose_order_id(cls, value: str | None) -> str | None:
        # An id the customer typed may be malformed; analysis fuzzy-matches it instead.
        return value or None


class LookupInput(_Input):
    """lookup_policies' input."""

    order_id: str = Field(max_length=60)
    problem_type: ProblemType
    desired_outcome: DesiredOutcome = DesiredOutcome.UNSPECIFIED
    customer_id: str | None = Field(default=None, pattern=CUSTOMER_ID_PATTERN)
    item: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    query: str = Field(default="", max_length=500)

    @field_validator("order_id")
    @classmethod
    def _normalize(cls, value: str) -> str | None:
        return _order_id(value)


class ValidateInput(_Input):
    """validate_solution's input."""

    order_id: str = Field(max_length=60)
    problem_type: ProblemType
    offer: Offer
    source: Literal["ask", "offer"] = "ask"
    customer_id: str | None = Field(default=None, pattern=CUSTOMER_ID_PATTERN)
    item: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)

    @field_validator("order_id")
    @classmethod
    def _normalize(cls, value: str) -> str | None:
        return _order_id(value)


class CheckOrderInput(_Input):
    """check_order's input."""

    order_id: str = Field(max_length=60)
    customer_id: str | None = Field(default=None, pattern=CUSTOMER_ID_PATTERN)

    @field_validator("order_id")
    @classmethod
    def _normalize(cls, value: str) -> str | None:
        return _order_id(value)


# What check_order reports of an order: its status and what was posted to it.
POSTED_FIELDS = ("refund_issued", "refund_date", "refund_amount", "refunds", "shipments")


# ---------------------------------------------------------------- collaborators


def _orders(ctx: SkillContext) -> OrderSystem:
    return ctx.app.state.orders  # type: ignore[no-any-return]


def _index(ctx: SkillContext) -> PolicyIndex:
    return ctx.app.state.policy_index  # type: ignore[no-any-return]


def _today(ctx: SkillContext) -> date:
    clock: Callable[[], date] = ctx.app.state.clock
    return clock()


def _parse_orders(raw: list[dict[str, Any]]) -> list[tuple[Order, dict[str, Any]]]:
    """Orders the order system returned; a malformed one is skipped with a log line."""
    parsed = []
    for record in raw:
        try:
            parsed.append((Order.model_validate(record), record))
        except ValidationError:
            log.warning("order system returned a malformed order; ignored")
    return parsed


async def _fetch_order(
    ctx: SkillContext, order_id: str, customer_id: str | None
) -> tuple[Order, dict[str, Any]]:
    """The order's facts from the order system; unknown or foreign orders are skill errors."""
    try:
        record = await _orders(ctx).order(order_id)
    except OrderSystemUnavailable as exc:
        raise SkillError(str(exc), retryable=True) from exc
    if record is None:
        raise SkillError(f"unknown order {order_id}")
    try:
        order = Order.model_validate(record)
    except ValidationError as exc:
        raise SkillError(f"the order system returned a malformed order {order_id}") from exc
    if customer_id and order.customer_id != customer_id:
        raise SkillError(f"order {order_id} does not belong to customer {customer_id}")
    return order, record


def _prime(record: dict[str, Any]) -> bool | None:
    """Membership as the order endpoints report it (`prime`), if they do."""
    value = record.get("prime")
    return value if isinstance(value, bool) else None


# ---------------------------------------------------------------- handlers


async def analyze_issue(inp: AnalyzeInput, ctx: SkillContext) -> dict[str, Any]:
    """Order id, problem type, desired outcome, amounts and the order's facts from free text."""
    try:
        raw = await _orders(ctx).customer_orders(inp.customer_id)
    except OrderSystemUnavailable as exc:
        raise SkillError(str(exc), retryable=True) from exc
    if raw is None:
        raise SkillError(f"unknown customer {inp.customer_id}")
    parsed = _parse_orders(raw)
    rules: ExtractionRules = ctx.app.state.rules
    reader: Reader = ctx.app.state.reader
    hints = Hints(inp.problem_type, inp.desired_outcome, inp.asked)
    reading, claude = None, ctx.app.state.claude
    orders = [o for o, _ in parsed]
    if claude is not None and not inp.asked:  # Claude checks the reading: a dispute asks
        ours = read_message(inp.message, reader, orders)
        reading = await claude.read_customer(inp.message, ours)
    analysis = analyze_message(
        inp.message,
        orders,
        rules,
        reader,
        _today(ctx),
        inp.order_id,
        hints,
        reading,
    )
    output: dict[str, Any] = {
        "customer_id": inp.customer_id,
        **analysis.model_dump(mode="json", exclude={"question"}),
    }
    if analysis.order_id is not None:
        output["order"] = next(r for o, r in parsed if o.order_id == analysis.order_id)
    if analysis.needs_clarification:
        question = analysis.question or "Which order is this about?"
        output["question"] = question
        raise InputRequired(output, question)
    return output


async def _facts(
    ctx: SkillContext,
    order_id: str,
    customer_id: str | None,
    problem: ProblemType,
    desired: DesiredOutcome,
    item: str | None,
) -> CaseFacts:
    """The case's facts from the order system and the clock."""
    order, record = await _fetch_order(ctx, order_id, customer_id)
    return case_facts(order, problem, desired, _today(ctx), prime=_prime(record), item=item)


async def lookup_policies(inp: LookupInput, ctx: SkillContext) -> dict[str, Any]:
    """Applicable policies ranked, conflicts resolved, and the entitlement."""
    facts = await _facts(
        ctx, inp.order_id, inp.customer_id, inp.problem_type, inp.desired_outcome, inp.item
    )
    started = time.perf_counter()
    result = _index(ctx).lookup(facts, limit=ctx.app.state.settings.policy_limit, query=inp.query)
    metrics.POLICY_LOOKUP_SECONDS.observe(time.perf_counter() - started)
    return {
        "order_id": inp.order_id,
        "problem_type": inp.problem_type,
        "desired_outcome": inp.desired_outcome,
        **result.model_dump(mode="json"),
    }


async def validate_solution(inp: ValidateInput, ctx: SkillContext) -> dict[str, Any]:
    """Does the offer comply with the applicable policies? Violations and the policy basis."""
    facts = await _facts(
        ctx, inp.order_id, inp.customer_id, inp.problem_type, DesiredOutcome.UNSPECIFIED, inp.item
    )
    result = _index(ctx).validate(facts, inp.offer, inp.source)
    return result.model_dump(mode="json")


async def check_order(inp: CheckOrderInput, ctx: SkillContext) -> dict[str, Any]:
    """The order as the order system shows it now (never cached): status, refunds, shipments."""
    try:
        record = await _orders(ctx).order(inp.order_id, fresh=True)
    except OrderSystemUnavailable as exc:
        raise SkillError(str(exc), retryable=True) from exc
    if record is None:
        raise SkillError(f"unknown order {inp.order_id}")
    if inp.customer_id and record.get("customer_id") != inp.customer_id:
        raise SkillError(f"order {inp.order_id} does not belong to customer {inp.customer_id}")
    facts = {key: record.get(key) for key in POSTED_FIELDS}
    for key in ("refunds", "shipments"):
        facts[key] = [r for r in facts[key] or [] if isinstance(r, dict)][:50]
    return {
        "order_id": inp.order_id,
        "status": record.get("status"),
        "order_date": record.get("order_date"),
        "total": record.get("total"),
        "payment_method": record.get("payment_method"),
        "items": [
            {"title": str(i.get("title", ""))[:200], "price": i.get("price")}
            for i in (record.get("items") or [])[:20]
            if isinstance(i, dict)
        ],
        **facts,
    }


SKILLS = (
    Skill(
        id="analyze_issue",
        name="Analyze a customer's issue",
        description=(
            "Reads a customer's message: order id (fuzzy-matched against the customer's "
            "orders when missing or wrong), problem type, desired outcome, amounts, dates, "
            "item; asks for clarification, with choices, when the order stays ambiguous or "
            "the reading of the problem or the wish is unsure."
        ),
        handler=analyze_issue,
        input_model=AnalyzeInput,
        tags=["analysis", "extraction", "orders"],
        examples=[
            '{"customer_id": "C-1001", "message": "My blender arrived broken, order '
            '112-4839201-5839201, I want a refund"}'
        ],
    ),
    Skill(
        id="lookup_policies",
        name="Look up the applicable policies",
        description=(
            "Ranks the retailer's policies for an order and problem by text relevance "
            "and applicability, resolves conflicts, and states the entitlement."
        ),
        handler=lookup_policies,
        input_model=LookupInput,
        tags=["policies", "entitlement", "retrieval"],
        examples=[
            '{"order_id": "112-4839201-5839201", "problem_type": "damaged_item", '
            '"desired_outcome": "full_refund"}'
        ],
    ),
    Skill(
        id="validate_solution",
        name="Validate an offer against policy",
        description=(
            "Checks an offer (type, amount, return and restocking terms) against the "
            "applicable policies; lists violations and the policy basis."
        ),
        handler=validate_solution,
        input_model=ValidateInput,
        tags=["policies", "validation"],
        examples=[
            '{"order_id": "112-4839201-5839201", "problem_type": "damaged_item", '
            '"offer": {"type": "partial_refund", "amount": 30, "currency": "USD"}}'
        ],
    ),
    Skill(
        id="check_order",
        name="Check an order in the order system",
        description=(
            "Reads an order fresh from the order system: its status and what was posted to "
            "it (refunds with amounts and dates, new shipments), to check a promise CS made."
        ),
        handler=check_order,
        input_model=CheckOrderInput,
        tags=["orders", "follow-through"],
        examples=['{"order_id": "112-4839201-5839201", "customer_id": "C-1001"}'],
    ),
)
