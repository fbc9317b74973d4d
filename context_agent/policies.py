"""The policy knowledge base: schema, loader, ranking, conflicts, entitlement, offer validation.

Pure logic: the loader reads files, everything else works on values passed in.
A policy is *in scope* of a case when its scope (categories, sellers, problem types,
order status, membership, purchase season) covers the case; in-scope policies of one
topic compete (most specific wins, then the most recent effective date; a tie on both
is unresolved and needs a human). A winner is *applicable* when its machine-checkable
conditions hold for the case's facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from rank_bm25 import BM25Okapi

from shared.domain import (
    Category,
    DesiredOutcome,
    Offer,
    OfferType,
    Order,
    OrderStatus,
    ProblemType,
)

# The item categories of DESIGN.md's order data (shared with the mock CS service's data).
CATEGORIES = get_args(Category)
Seller = Literal["retailer", "third_party"]
POLICY_ID_PATTERN = r"^[A-Z]{2,5}(-[A-Z0-9]{2,5})?-\d{3}$"
MONTH_DAY_PATTERN = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
POLICY_SUFFIXES = (".md", ".yaml", ".yml")
AMOUNT_TOLERANCE = 0.005
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built


class PolicyFileError(ValueError):
    """A policy file that cannot be read or does not match the schema."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"policy file {Path(path).name}: {problem}")
        self.path = Path(path)
        self.problem = problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Season(_Strict):
    """A yearly range of purchase dates, month-day inclusive (may wrap the new year)."""

    start: str = Field(pattern=MONTH_DAY_PATTERN)
    end: str = Field(pattern=MONTH_DAY_PATTERN)

    def contains(self, day: date) -> bool:
        """Whether `day` falls in the season."""
        md = day.strftime("%m-%d")
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


class Scope(_Strict):
    """Which cases a policy speaks about; an empty list means "all"."""

    problem_types: list[ProblemType] = Field(min_length=1)
    categories: list[Category] = []
    sellers: list[Seller] = []
    order_status: list[OrderStatus] = []
    prime_only: bool = False
    purchase_season: Season | None = None


class Conditions(_Strict):
    """Machine-checkable eligibility conditions, all of which must hold."""

    days_since_delivery_min: int | None = Field(default=None, ge=0)
    days_since_delivery_max: int | None = Field(default=None, ge=0)
    days_since_order_min: int | None = Field(default=None, ge=0)
    days_since_order_max: int | None = Field(default=None, ge=0)
    days_late_min: int | None = Field(default=None, ge=0)
    order_value_min: float | None = Field(default=None, ge=0)
    order_value_max: float | None = Field(default=None, ge=0)
    item_value_min: float | None = Field(default=None, ge=0)
    item_value_max: float | None = Field(default=None, ge=0)
    order_status_in: list[OrderStatus] = []
    payment_methods: list[str] = []
    return_by: str | None = Field(default=None, pattern=MONTH_DAY_PATTERN)
    # Evidence in the order system's records (charges, refunds), not the customer's word.
    overcharge_recorded: bool | None = None
    refund_outstanding: bool | None = None

    @model_validator(mode="after")
    def _ranges_ordered(self) -> Conditions:
        for low, high in (
            ("days_since_delivery_min", "days_since_delivery_max"),
            ("days_since_order_min", "days_since_order_max"),
            ("order_value_min", "order_value_max"),
            ("item_value_min", "item_value_max"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is greater than {high} ({hi})")
        return self


class OutcomeRule(_Strict):
    """One remedy a policy allows, with its limits."""

    type: OfferType
    max_share: float = Field(default=1.0, ge=0, le=1)
    max_amount: float | None = Field(default=None, ge=0)
    return_required: bool = False
    restocking_fee_share: float = Field(default=0.0, ge=0, le=1)
    refund_method: str | None = Field(default=None, max_length=40)
    days_to_complete: int | None = Field(default=None, ge=0, le=365)

    def amount_limit(self, item_value: float) -> float:
        """The largest amount this rule allows for an item of this value."""
        limit = self.max_share * item_value
        if self.max_amount is not None:
            limit = min(limit, self.max_amount)
        return round(limit, 2)


class Policy(_Strict):
    """One retailer policy, as written in one file of `policies/`."""

    policy_id: str = Field(pattern=POLICY_ID_PATTERN)
    title: str = Field(min_length=3, max_length=120)
    effective_date: date
    topic: str = Field(pattern=r"^[a-z][a-z0-9_]{2,40}$")
    effect: Literal["grant", "bonus", "limit", "info"] = "grant"
    scope: Scope
    conditions: Conditions = Conditions()
    outcomes: list[OutcomeRule] = []
    specificity: int | None = Field(default=None, ge=0, le=20)
    keywords: list[str] = []
    citation: str = Field(min_length=20, max_length=600)
    body: str = ""
    source: str = ""

    @field_validator("citation", "title")
    @classmethod
    def _single_line(cls, value: str) -> str:
        return " ".join(value.split())

    @model_validator(mode="after")
    def _outcomes_fit_effect(self) -> Policy:
        if self.effect != "info" and not self.outcomes:
            raise ValueError(f"a '{self.effect}' policy needs at least one outcome")
        return self

    @property
    def rank_specificity(self) -> int:
        """Explicit specificity, else how narrowly the scope is drawn."""
        if self.specificity is not None:
            return self.specificity
        s = self.scope
        return (
            2 * bool(s.categories)
            + 2 * (s.purchase_season is not None)
            + bool(s.sellers)
            + bool(s.order_status)
            + s.prime_only
        )

    def text(self) -> str:
        """Everything a text search should see."""
        s = self.scope
        parts = [
            self.title,
            self.topic.replace("_", " "),
            self.citation,
            self.body,
            " ".join(self.keywords),
            " ".join(s.categories),
            " ".join(s.sellers),
            " ".join(p.replace("_", " ") for p in s.problem_types),
        ]
        return " ".join(parts)


# ---------------------------------------------------------------- loading


def parse_policy_text(text: str, path: Path | str) -> Policy:
    """Parse one policy file's text (YAML front matter + markdown body, or pure YAML)."""
    body = ""
    if text.lstrip().startswith("---"):
        parts = re.split(r"^---[ \t]*$", text.lstrip(), maxsplit=2, flags=re.MULTILINE)
        if len(parts) < 3:
            raise PolicyFileError(path, "front matter opened with '---' but never closed")
        header, body = parts[1], parts[2].strip()
    else:
        header = text
    try:
        data = yaml.load(header, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise PolicyFileError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyFileError(path, "front matter must be a mapping of fields")
    data.setdefault("body", body)
    data["source"] = Path(path).name
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyFileError(path, _describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    """A short, readable list of schema errors."""
    lines = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def load_policies(directory: Path | str) -> list[Policy]:
    """Load and validate every policy file of a directory; any broken file is an error."""
    root = Path(directory)
    if not root.is_dir():
        raise PolicyFileError(root, "policy directory does not exist")
    files = sorted(p for p in root.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file())
    files = [p for p in files if p.name.lower() != "readme.md"]
    if not files:
        raise PolicyFileError(root, "no policy files found")
    policies: list[Policy] = []
    seen: dict[str, Path] = {}
    for path in files:
        policy = parse_policy_text(path.read_text(encoding="utf-8"), path)
        if policy.policy_id in seen:
            raise PolicyFileError(
                path,
                f"duplicate policy_id {policy.policy_id} (also in {seen[policy.policy_id].name})",
            )
        seen[policy.policy_id] = path
        policies.append(policy)
    return policies


# ---------------------------------------------------------------- case facts


@dataclass(frozen=True)
class CaseFacts:
    """What the policies are checked against: one order, one problem, one day."""

    problem_type: ProblemType
    desired_outcome: DesiredOutcome
    today: date
    category: str
    seller: str
    status: OrderStatus
    order_date: date
    order_total: float
    item_value: float
    currency: str = "USD"
    delivered_date: date | None = None
    promised_delivery_date: date | None = None
    prime: bool | None = None
    payment_method: str = "card"
    item_title: str = ""
    overcharge: float | None = None  # charged beyond the total, when the order has charge records
    refund_issued: bool | None = None

    @property
    def amount_basis(self) -> float:
        """The money in dispute: the overcharge for a billing error, else the item's value."""
        if self.problem_type == ProblemType.BILLING_ERROR and self.overcharge:
            return self.overcharge
        return self.item_value

    @property
    def days_since_delivery(self) -> int | None:
        """Whole days since delivery, or None when not delivered."""
        return None if self.delivered_date is None else (self.today - self.delivered_date).days

    @property
    def days_since_order(self) -> int:
        """Whole days since the order was placed."""
        return (self.today - self.order_date).days

    @property
    def days_late(self) -> int | None:
        """Days past the promised date (delivered late, or still not delivered)."""
        if self.promised_delivery_date is None:
            return None
        end = self.delivered_date or self.today
        return (end - self.promised_delivery_date).days


def case_facts(
    order: Order,
    problem_type: ProblemType | str,
    desired_outcome: DesiredOutcome | str,
    today: date,
    *,
    prime: bool | None = None,
    item: str | None = None,
) -> CaseFacts:
    """Facts of a case; the item is the one named by sku/title, else the costliest line."""
    lines = sorted(order.items, key=lambda i: i.price * i.quantity, reverse=True)
    chosen = lines[0] if lines else None
    if item and lines:
        wanted = item.casefold()
        for line in lines:
            if (
                wanted in (line.sku.casefold(), line.title.casefold())
                or wanted in line.title.casefold()
            ):
                chosen = line
                break
    item_value = round(chosen.price * chosen.quantity, 2) if chosen else order.total
    extra = order.model_extra or {}
    return CaseFacts(
        problem_type=ProblemType(problem_type),
        desired_outcome=DesiredOutcome(desired_outcome),
        today=today,
        category=chosen.category if chosen else "",
        seller=order.seller,
        status=OrderStatus(order.status),
        order_date=order.order_date,
        order_total=order.total,
        item_value=item_value,
        currency=str(extra.get("currency", "USD")),
        delivered_date=order.delivered_date,
        promised_delivery_date=order.promised_delivery_date,
        prime=prime,
        payment_method=order.payment_method,
        item_title=chosen.title if chosen else "",
        overcharge=recorded_overcharge(order.total, extra.get("charges")),
        refund_issued=extra.get("refund_issued")
        if isinstance(extra.get("refund_issued"), bool)
        else None,
    )


def recorded_overcharge(total: float, charges: object) -> float | None:
    """Money charged beyond the order total, or None when the order carries no charge records."""
    if not isinstance(charges, list):
        return None
    try:
        charged = sum(float(c) for c in charges)
    except (TypeError, ValueError):
        return None
    return round(max(0.0, charged - total), 2)


# ---------------------------------------------------------------- scope and conditions


def out_of_scope_reason(policy: Policy, facts: CaseFacts) -> str | None:
    """Why the policy does not speak about this case, or None when it does."""
    s = policy.scope
    if facts.problem_type not in s.problem_types:
        return f"covers {', '.join(s.problem_types)}, not {facts.problem_type}"
    if s.categories and facts.category not in s.categories:
        return f"covers categories {', '.join(s.categories)}, not {facts.category or 'unknown'}"
    if s.sellers and facts.seller not in s.sellers:
        return f"covers {', '.join(s.sellers)} sellers, not {facts.seller}"
    if s.order_status and facts.status not in s.order_status:
        return f"covers orders {'/'.join(s.order_status)}, this one is {facts.status}"
    if s.prime_only and facts.prime is not True:
        return "covers Prime members only" + (
            "" if facts.prime is False else " (membership unknown)"
        )
    if s.purchase_season and not s.purchase_season.contains(facts.order_date):
        season = s.purchase_season
        return (
            f"covers purchases {season.start}..{season.end}, ordered {facts.order_date.isoformat()}"
        )
    return None


def _window(name: str, value: int | None, low: int | None, high: int | None) -> str | None:
    """Failure text of a day-count window, or None when it holds."""
    if low is None and high is None:
        return None
    if value is None:
        return f"{name} unknown (order not delivered)" if "deliver" in name else f"{name} unknown"
    if low is not None and value < low:
        return f"{name} is {value}, policy starts at {low}"
    if high is not None and value > high:
        return f"{name} is {value}, window ends at {high}"
    return None


def _limit(name: str, value: float, low: float | None, high: float | None) -> str | None:
    """Failure text of a value range, or None when it holds."""
    if low is not None and value < low - AMOUNT_TOLERANCE:
        return f"{name} {value:.2f} is below {low:.2f}"
    if high is not None and value > high + AMOUNT_TOLERANCE:
        return f"{name} {value:.2f} is above {high:.2f}"
    return None


def return_deadline(order_date: date, month_day: str) -> date:
    """The first `month_day` on or after the order date (e.g. Jan 31 after a December order)."""
    month, day = (int(x) for x in month_day.split("-"))
    candidate = date(order_date.year, month, day)
    return candidate if candidate >= order_date else date(order_date.year + 1, month, day)


def condition_failures(policy: Policy, facts: CaseFacts) -> list[str]:
    """Every condition of the policy that fails for this case (empty: all hold)."""
    c = policy.conditions
    failures = [
        _window(
            "days since delivery",
            facts.days_since_delivery,
            c.days_since_delivery_min,
            c.days_since_delivery_max,
        ),
        _window(
            "days since order",
            facts.days_since_order,
            c.days_since_order_min,
            c.days_since_order_max,
        ),
        _window("days late", facts.days_late, c.days_late_min, None),
        _limit("order value", facts.order_total, c.order_value_min, c.order_value_max),
        _limit("item value", facts.item_value, c.item_value_min, c.item_value_max),
    ]
    if c.order_status_in and facts.status not in c.order_status_in:
        failures.append(f"order status is {facts.status}, needs {'/'.join(c.order_status_in)}")
    if c.payment_methods and facts.payment_method not in c.payment_methods:
        failures.append(f"paid by {facts.payment_method}, needs {'/'.join(c.payment_methods)}")
    if c.return_by:
        deadline = return_deadline(facts.order_date, c.return_by)
        if facts.today > deadline:
            failures.append(f"return deadline {deadline.isoformat()} has passed")
    if c.overcharge_recorded and not facts.overcharge:
        failures.append("the order's records show no charge above the order total")
    if c.refund_outstanding and facts.refund_issued:
        failures.append("the order's records show the refund was already issued")
    return [f for f in failures if f]


def conditions_summary(policy: Policy, facts: CaseFacts) -> str:
    """A short statement of the facts that made the policy apply."""
    c = policy.conditions
    bits = []
    if c.days_since_delivery_max is not None and facts.days_since_delivery is not None:
        bits.append(
            f"delivered {facts.days_since_delivery} days ago (window {c.days_since_delivery_max})"
        )
    if c.days_since_order_max is not None:
        bits.append(f"ordered {facts.days_since_order} days ago (limit {c.days_since_order_max})")
    if c.days_late_min is not None:
        bits.append(f"{facts.days_late} days late")
    if c.return_by:
        bits.append(f"returnable until {return_deadline(facts.order_date, c.return_by)}")
    if c.item_value_max is not None:
        bits.append(f"item value {facts.item_value:.2f} <= {c.item_value_max:.2f}")
    return "conditions met" + (": " + "; ".join(bits) if bits else "")


# ---------------------------------------------------------------- conflicts


class Conflict(BaseModel):
    """Policies of one topic that all speak about the case."""

    topic: str
    policy_ids: list[str]
    winner: str | None
    rule: Literal["specificity", "recency", "unresolved"]


def resolve_conflicts(in_scope: Sequence[Policy]) -> tuple[list[Conflict], dict[str, str]]:
    """Group by topic; most specific wins, then most recent; returns conflicts and losers' reasons."""
    by_topic: dict[str, list[Policy]] = {}
    for policy in in_scope:
        by_topic.setdefault(policy.topic, []).append(policy)
    conflicts: list[Conflict] = []
    superseded: dict[str, str] = {}
    for topic, group in by_topic.items():
        if len(group) < 2:
            continue
        conflict, losers = _resolve_topic(topic, group)
        conflicts.append(conflict)
        superseded.update(losers)
    return conflicts, superseded


def _resolve_topic(topic: str, group: list[Policy]) -> tuple[Conflict, dict[str, str]]:
    """Resolve one topic's competing policies."""
    ranked = sorted(group, key=lambda p: (p.rank_specificity, p.effective_date), reverse=True)
    top, runner_up = ranked[0], ranked[1]
    ids = [p.policy_id for p in ranked]
    if top.rank_specificity > runner_up.rank_specificity:
        rule: Literal["specificity", "recency", "unresolved"] = "specificity"
    elif top.effective_date > runner_up.effective_date:
        rule = "recency"
    else:
        tied = [
            p.policy_id
            for p in ranked
            if (p.rank_specificity, p.effective_date) == (top.rank_specificity, top.effective_date)
        ]
        losers = {
            p.policy_id: f"superseded by {', '.join(tied)} (less specific or older)"
            for p in ranked
            if p.policy_id not in tied
        }
        return Conflict(topic=topic, policy_ids=ids, winner=None, rule="unresolved"), losers
    losers = {p.policy_id: f"superseded by {top.policy_id} ({rule})" for p in ranked[1:]}
    return Conflict(topic=topic, policy_ids=ids, winner=top.policy_id, rule=rule), losers


# ---------------------------------------------------------------- entitlement

# For each desired outcome, the offer types that serve it, best first.
OUTCOME_PREFERENCE: Mapping[str, tuple[OfferType, ...]] = {
    DesiredOutcome.FULL_REFUND: (
        OfferType.FULL_REFUND,
        OfferType.PARTIAL_REFUND,
        OfferType.STORE_CREDIT,
        OfferType.REPLACEMENT,
        OfferType.RESHIP,
    ),
    DesiredOutcome.PARTIAL_REFUND: (
        OfferType.PARTIAL_REFUND,
        OfferType.FULL_REFUND,
        OfferType.STORE_CREDIT,
    ),
    DesiredOutcome.REPLACEMENT: (
        OfferType.REPLACEMENT,
        OfferType.RESHIP,
        OfferType.FULL_REFUND,
        OfferType.STORE_CREDIT,
    ),
    DesiredOutcome.STORE_CREDIT: (
        OfferType.STORE_CREDIT,
        OfferType.FULL_REFUND,
        OfferType.PARTIAL_REFUND,
    ),
    DesiredOutcome.UNSPECIFIED: (
        OfferType.FULL_REFUND,
        OfferType.REPLACEMENT,
        OfferType.RESHIP,
        OfferType.PARTIAL_REFUND,
        OfferType.STORE_CREDIT,
    ),
}


class EntitledOutcome(BaseModel):
    """The best terms the applicable policies allow for one offer type."""

    type: OfferType
    max_amount: float | None
    return_required: bool
    restocking_fee: float | None
    refund_method: str | None
    days_to_complete: int | None
    policy_ids: list[str]

    def as_offer(self, currency: str) -> Offer:
        """This outcome as an offer at its limit."""
        return Offer(
            type=self.type,
            amount=self.max_amount,
            currency=currency,
            return_required=self.return_required,
            restocking_fee=self.restocking_fee,
            refund_method=self.refund_method,
            days_to_complete=self.days_to_complete,
        )


class Entitlement(BaseModel):
    """What the customer can claim under the applicable policies."""

    entitled: bool
    currency: str
    order_total: float
    item_value: float
    outcomes: list[EntitledOutcome]
    best: Offer | None
    needs_human: bool
    reason: str


def _outcome_from_rule(rule: OutcomeRule, facts: CaseFacts, policy_id: str) -> EntitledOutcome:
    """The concrete terms of one rule for this case."""
    fee = round(rule.restocking_fee_share * facts.item_value, 2) or None
    amount = None if rule.type == OfferType.NONE else rule.amount_limit(facts.amount_basis)
    return EntitledOutcome(
        type=rule.type,
        max_amount=amount,
        return_required=rule.return_required,
        restocking_fee=fee,
        refund_method=rule.refund_method,
        days_to_complete=rule.days_to_complete,
        policy_ids=[policy_id],
    )


def _customer_value(o: EntitledOutcome) -> tuple[float, int, float]:
    """Sort key: more money, no return, lower fee is better for the customer."""
    return (o.max_amount or 0.0, not o.return_required, -(o.restocking_fee or 0.0))


def _apply_limit(
    outcome: EntitledOutcome, rule: OutcomeRule, facts: CaseFacts, policy_id: str
) -> EntitledOutcome:
    """Tighten an outcome with a limiting policy's terms."""
    cap = rule.amount_limit(facts.amount_basis)
    fee = round(rule.restocking_fee_share * facts.item_value, 2)
    return outcome.model_copy(
        update={
            "max_amount": None if outcome.max_amount is None else min(outcome.max_amount, cap),
            "return_required": outcome.return_required or rule.return_required,
            "restocking_fee": max(outcome.restocking_fee or 0.0, fee) or None,
            "refund_method": outcome.refund_method or rule.refund_method,
            "days_to_complete": max(outcome.days_to_complete or 0, rule.days_to_complete or 0)
            or None,
            "policy_ids": [*outcome.policy_ids, policy_id],
        }
    )


def entitled_outcomes(applicable: Sequence[Policy], facts: CaseFacts) -> list[EntitledOutcome]:
    """Merge grants per offer type (best for the customer), add bonuses, then apply limits."""
    best: dict[OfferType, EntitledOutcome] = {}
    for policy in (p for p in applicable if p.effect == "grant"):
        for rule in policy.outcomes:
            candidate = _outcome_from_rule(rule, facts, policy.policy_id)
            current = best.get(rule.type)
            if current is None or _customer_value(candidate) > _customer_value(current):
                best[rule.type] = candidate
    if any(t != OfferType.NONE for t in best):
        # A bonus (goodwill) comes on top of a remedy, never instead of one.
        for policy in (p for p in applicable if p.effect == "bonus"):
            for rule in policy.outcomes:
                candidate = _outcome_from_rule(rule, facts, policy.policy_id)
                current = best.get(rule.type)
                if current is None or _customer_value(candidate) > _customer_value(current):
                    best[rule.type] = candidate
    for policy in (p for p in applicable if p.effect == "limit"):
        for rule in policy.outcomes:
            if rule.type in best:
                best[rule.type] = _apply_limit(best[rule.type], rule, facts, policy.policy_id)
    if len(best) > 1:
        best.pop(OfferType.NONE, None)
    return list(best.values())


def build_entitlement(
    applicable: Sequence[Policy], facts: CaseFacts, unresolved: Sequence[Conflict]
) -> Entitlement:
    """The entitlement: outcomes best first for the desired outcome, and the best offer."""
    outcomes = entitled_outcomes(applicable, facts)
    preference = OUTCOME_PREFERENCE[facts.desired_outcome]
    order = {t: i for i, t in enumerate(preference)}
    outcomes.sort(key=lambda o: (order.get(o.type, len(order)), -(o.max_amount or 0.0)))
    remedies = [o for o in outcomes if o.type != OfferType.NONE]
    best = remedies[0].as_offer(facts.currency) if remedies else None
    needs_human = bool(unresolved)
    return Entitlement(
        entitled=bool(remedies),
        currency=facts.currency,
        order_total=facts.order_total,
        item_value=facts.item_value,
        outcomes=outcomes,
        best=best,
        needs_human=needs_human,
        reason=_entitlement_reason(remedies, best, unresolved, applicable),
    )


def _entitlement_reason(
    remedies: Sequence[EntitledOutcome],
    best: Offer | None,
    unresolved: Sequence[Conflict],
    applicable: Sequence[Policy],
) -> str:
    """One sentence on why the entitlement is what it is."""
    if unresolved:
        ids = "; ".join(", ".join(c.policy_ids) for c in unresolved)
        return f"policies conflict and no rule settles it ({ids}): a human must decide"
    if best is None:
        denying = [p.policy_id for p in applicable if p.effect == "grant"]
        if denying:
            return f"the applicable policies allow no remedy ({', '.join(denying)})"
        return "no applicable policy grants a remedy for this case"
    basis = ", ".join(remedies[0].policy_ids)
    amount = f" up to {best.amount:.2f}" if best.amount is not None else ""
    return f"{best.type}{amount} allowed by {basis}"


# ---------------------------------------------------------------- ranking

STOPWORDS = frozenset(
    "a an and are as at be by for from has have i if in is it its my of on or our the their "
    "this to was we were with you your not no".split()
)
# Words a case's problem and goal add to the text query.
QUERY_TERMS: Mapping[str, str] = {
    "damaged_item": "damaged broken arrived damage shipping cracked",
    "defective_item": "defective faulty not working stopped warranty malfunction",
    "wrong_item": "wrong item different sent incorrect",
    "missing_parts": "missing parts accessories incomplete item package",
    "not_delivered": "not delivered never arrived lost package missing delivery",
    "late_delivery": "late delivery delayed guarantee promised date",
    "not_as_described": "not as described different description listing",
    "billing_error": "billing charge duplicate overcharged price error",
    "refund_not_received": "refund not received return processed timing",
    "unwanted_item": "return window unwanted changed mind returnable",
    "other": "escalation goodwill",
    "full_refund": "full refund money back",
    "partial_refund": "partial refund keep discount",
    "replacement": "replacement exchange new one",
    "store_credit": "store credit gift card balance",
    "unspecified": "",
}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stop words dropped, plural/verb endings trimmed."""
    tokens = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        tokens.append(word)
    return tokens


class RankedPolicy(BaseModel):
    """One policy's place in a lookup."""

    policy_id: str
    title: str
    topic: str
    score: float
    applicable: bool
    reason: str
    citation: str
    effective_date: date
    outcomes: list[str]
    outcome_terms: list[dict[str, object]]


class LookupResult(BaseModel):
    """The answer of `lookup_policies`."""

    policies: list[RankedPolicy]
    conflicts: list[Conflict]
    entitlement: Entitlement


class ValidationResult(BaseModel):
    """The answer of `validate_solution`."""

    valid: bool
    violations: list[str]
    policy_basis: list[str]


@dataclass
class _Assessment:
    """Applicability of every policy for one case."""

    reasons: dict[str, str] = field(default_factory=dict)
    applicable: list[Policy] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


class PolicyIndex:
    """Ranks the policies that apply to one case, and checks offers against them."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        if not policies:
            raise ValueError("a policy index needs at least one policy")
        self._policies = list(policies)
        self._by_id = {p.policy_id: p for p in self._policies}
        self._position = {p.policy_id: i for i, p in enumerate(self._policies)}
        self._bm25 = BM25Okapi([tokenize(p.text()) for p in self._policies])
        self._doc_norm = self._bm25.k1 * (
            1 - self._bm25.b + self._bm25.b * np.asarray(self._bm25.doc_len) / self._bm25.avgdl
        )
        self._term_weights: dict[str, np.ndarray] = {}
        self._by_problem: dict[str, list[Policy]] = {}
        for policy in self._policies:
            for problem in policy.scope.problem_types:
                self._by_problem.setdefault(problem, []).append(policy)
        self._on_problem = {
            problem: np.array(
                [problem in p.scope.problem_types for p in self._policies], dtype=float
            )
            for problem in ProblemType
        }

    def __len__(self) -> int:
        return len(self._policies)

    def get(self, policy_id: str) -> Policy | None:
        """The policy with this id, if any."""
        return self._by_id.get(policy_id)

    def assess(self, facts: CaseFacts) -> _Assessment:
        """Scope, conflicts and conditions of every policy about this problem type."""
        result = _Assessment()
        in_scope = []
        for policy in self._by_problem.get(facts.problem_type, []):
            reason = out_of_scope_reason(policy, facts)
            if reason is None:
                in_scope.append(policy)
            else:
                result.reasons[policy.policy_id] = f"not applicable: {reason}"
        result.conflicts, superseded = resolve_conflicts(in_scope)
        for policy in in_scope:
            if policy.policy_id in superseded:
                result.reasons[policy.policy_id] = f"not applicable: {superseded[policy.policy_id]}"
                continue
            failures = condition_failures(policy, facts)
            if failures:
                result.reasons[policy.policy_id] = "not applicable: " + "; ".join(failures)
            else:
                result.applicable.append(policy)
                result.reasons[policy.policy_id] = conditions_summary(policy, facts)
        return result

    def lookup(self, facts: CaseFacts, limit: int = 10, query: str = "") -> LookupResult:
        """Relevance by text, then applicability by the case's facts; conflicts; entitlement."""
        assessment = self.assess(facts)
        applicable_ids = {p.policy_id for p in assessment.applicable}
        scores = 0.4 * self.text_scores(facts, query) + 0.35 * self._on_problem[facts.problem_type]
        for policy_id in applicable_ids:
            scores[self._position[policy_id]] += 0.25
        top = np.flatnonzero(scores > 0)
        if len(top) > limit:
            top = top[np.argpartition(-scores[top], limit - 1)[:limit]]
        chosen = sorted(top, key=lambda i: (-scores[i], self._policies[i].policy_id))
        policies = [
            self._ranked(self._policies[i], float(scores[i]), assessment, applicable_ids, facts)
            for i in chosen
        ]
        unresolved = [c for c in assessment.conflicts if c.rule == "unresolved"]
        entitlement = build_entitlement(assessment.applicable, facts, unresolved)
        return LookupResult(
            policies=policies, conflicts=assessment.conflicts, entitlement=entitlement
        )

    def text_scores(self, facts: CaseFacts, query: str = "") -> np.ndarray:
        """BM25 scores of the case's query over every policy, scaled to 0..1."""
        words = " ".join(
            [
                facts.problem_type,
                QUERY_TERMS.get(facts.problem_type, ""),
                QUERY_TERMS.get(facts.desired_outcome, ""),
                facts.category,
                facts.seller.replace("_", " "),
                query,
            ]
        )
        raw = self.bm25_scores(tokenize(words))
        top = float(raw.max()) if len(raw) else 0.0
        return raw / top if top > 0 else np.zeros(len(self._policies))

    def bm25_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Okapi BM25 of the tokens, as rank-bm25 computes it, from cached per-term weights."""
        total = np.zeros(len(self._policies))
        for token in tokens:
            total += self._term_weight(token)
        return total

    def _term_weight(self, term: str) -> np.ndarray:
        """One term's BM25 contribution to every policy (computed once per term)."""
        cached = self._term_weights.get(term)
        if cached is None:
            if len(self._term_weights) > 50_000:  # bound the cache against odd queries
                self._term_weights.clear()
            freq = np.array([doc.get(term, 0) for doc in self._bm25.doc_freqs], dtype=float)
            idf = self._bm25.idf.get(term, 0.0)
            cached = idf * freq * (self._bm25.k1 + 1) / (freq + self._doc_norm)
            self._term_weights[term] = cached
        return cached

    def _ranked(
        self,
        policy: Policy,
        score: float,
        assessment: _Assessment,
        applicable_ids: set[str],
        facts: CaseFacts,
    ) -> RankedPolicy:
        """The output row of one ranked policy."""
        reason = assessment.reasons.get(policy.policy_id) or (
            f"not applicable: covers {', '.join(policy.scope.problem_types)}, "
            f"not {facts.problem_type}"
        )
        return RankedPolicy(
            policy_id=policy.policy_id,
            title=policy.title,
            topic=policy.topic,
            score=round(score, 4),
            applicable=policy.policy_id in applicable_ids,
            reason=reason,
            citation=policy.citation,
            effective_date=policy.effective_date,
            outcomes=list(dict.fromkeys(str(o.type) for o in policy.outcomes)),
            outcome_terms=[o.model_dump(mode="json") for o in policy.outcomes],
        )

    def validate(
        self, facts: CaseFacts, offer: Offer, source: OfferSource = "ask"
    ) -> ValidationResult:
        """Does the offer comply with some applicable policy? Violations and the basis."""
        assessment = self.assess(facts)
        unresolved = [c for c in assessment.conflicts if c.rule == "unresolved"]
        outcomes = entitled_outcomes(assessment.applicable, facts)
        return check_offer(offer, outcomes, unresolved, source, paid=facts.order_total)


# Who proposes the offer being checked: our ask, or CS's offer we consider accepting.
OfferSource = Literal["ask", "offer"]

# An offer of one type may stand on a policy granting an equivalent one.
EQUIVALENT_TYPES: Mapping[OfferType, tuple[OfferType, ...]] = {
    OfferType.RESHIP: (OfferType.REPLACEMENT,),
    OfferType.REPLACEMENT: (OfferType.RESHIP,),
}


def check_offer(
    offer: Offer,
    outcomes: Iterable[EntitledOutcome],
    unresolved: Sequence[Conflict] = (),
    source: OfferSource = "ask",
    paid: float | None = None,
) -> ValidationResult:
    """Check one offer against the entitled outcomes of its type (`paid`: the order's total)."""
    outcomes = list(outcomes)
    same_type = [o for o in outcomes if o.type == offer.type] or [
        o for o in outcomes if o.type in EQUIVALENT_TYPES.get(OfferType(offer.type), ())
    ]
    if not same_type:
        allowed = sorted({o.type for o in outcomes if o.type != OfferType.NONE})
        return ValidationResult(
            valid=False,
            policy_basis=[],
            violations=[
                f"no applicable policy allows a {offer.type}"
                + (f" (allowed: {', '.join(allowed)})" if allowed else " (no remedy is allowed)")
            ],
        )
    attempts = [(_violations(offer, o, source, paid), o) for o in same_type]
    attempts.sort(key=lambda pair: len(pair[0]))
    violations, basis = attempts[0]
    if unresolved:
        violations = [
            *violations,
            "policies conflict on "
            + ", ".join(c.topic for c in unresolved)
            + ": a human must confirm",
        ]
    return ValidationResult(
        valid=not violations, violations=violations, policy_basis=list(basis.policy_ids)
    )


def _violations(
    offer: Offer, allowed: EntitledOutcome, source: OfferSource, paid: float | None = None
) -> list[str]:
    """Where an offer goes beyond one entitled outcome's terms.

    Waiving a required return, or giving more than our reading of the policies, up to what
    the customer paid, is the retailer's prerogative: CS may offer it, we may not ask for
    it. Above what was paid, and a fee above the policy's, fail whoever proposes them.
    """
    basis = ", ".join(allowed.policy_ids)
    found = []
    limit = allowed.max_amount
    if limit is not None and source == "offer" and paid is not None:
        limit = max(limit, paid)
    if offer.amount is not None and limit is not None and offer.amount > limit + AMOUNT_TOLERANCE:
        found.append(f"amount {offer.amount:.2f} exceeds the {limit:.2f} allowed by {basis}")
    if allowed.return_required and not offer.return_required and source == "ask":
        found.append(f"{basis} requires the item to be returned")
    if (offer.restocking_fee or 0.0) > (allowed.restocking_fee or 0.0) + AMOUNT_TOLERANCE:
        found.append(
            f"restocking fee {offer.restocking_fee:.2f} exceeds the "
            f"{allowed.restocking_fee or 0.0:.2f} allowed by {basis}"
        )
    return found
