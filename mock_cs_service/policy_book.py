"""The desk's view of the retailer's published policies: which ids exist and where they apply.

The desk only needs to know whether a policy a customer cites is real and covers the
case. It reads the YAML front matter of the files in `policies/` tolerantly (the
context agent owns the schema and validates it strictly); a file it cannot read is
skipped with a warning, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from mock_cs_service.remedies import OrderFacts, Remedy
from shared.domain import OfferType
from shared.logs import get_logger

log = get_logger(__name__)
POLICY_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class PublishedPolicy:
    """One policy as the desk reads it: id, scope, conditions, and the outcomes it grants."""

    policy_id: str
    problem_types: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    sellers: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    prime_only: bool = False
    conditions: Mapping[str, Any] = field(default_factory=dict)
    season: Mapping[str, Any] = field(default_factory=dict)
    outcomes: tuple[Mapping[str, Any], ...] = ()
    grants: bool = True
    bonus: bool = False  # goodwill added to a remedy, not a remedy a case is owed

    @property
    def excludes(self) -> bool:
        """A policy whose only outcome is `none` (gift cards are not returnable): where it
        applies, no published policy grants anything."""
        kinds = {str(o.get("type")) for o in self.outcomes}
        return kinds == {"none"}

    def covers(self, problem_type: str, facts: OrderFacts) -> bool:
        """Whether this policy applies to the case: scope, then every condition it states."""
        order = facts.order
        if self.problem_types and problem_type not in self.problem_types:
            return False
        if self.categories and not (self.categories & facts.categories):
            return False
        if self.sellers and order.seller not in self.sellers:
            return False
        if self.statuses and str(order.status) not in self.statuses:
            return False
        if self.prime_only and not facts.prime:
            return False
        if self.season and not _in_season(self.season, order.order_date):
            return False
        return all(_condition_holds(k, v, facts) for k, v in self.conditions.items())

    def remedies(self, facts: OrderFacts) -> list[Remedy]:
        """The outcomes this policy grants, with their ceilings in money for this order."""
        if not self.grants:
            return []
        found = [_remedy(o, facts.order.total) for o in self.outcomes]
        return [r for r in found if r is not None]


_LIMITS: dict[str, Callable[[OrderFacts], float | int | None]] = {
    "days_since_delivery": lambda f: f.days_since_delivery,
    "days_since_order": lambda f: f.days_since_order,
    "days_late": lambda f: f.days_late,
    "order_value": lambda f: f.order.total,
    "item_value": lambda f: f.item_value,
}


def _condition_holds(key: str, expected: Any, facts: OrderFacts) -> bool:
    """One machine-checkable condition; unknown keys are not the desk's business."""
    if key == "order_status_in":
        return str(facts.order.status) in _words(expected)
    if key == "return_by":
        deadline = _month_day_after(expected, facts.order.order_date)
        return deadline is None or facts.today <= deadline
    name, _, bound = key.rpartition("_")
    if bound not in {"min", "max"} or name not in _LIMITS:
        return True
    actual = _LIMITS[name](facts)
    try:
        limit = float(expected)
    except (TypeError, ValueError):
        return True
    if actual is None:
        return False
    return actual >= limit if bound == "min" else actual <= limit


def _month_day(value: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _month_day_after(value: Any, start: date) -> date | None:
    """The first `MM-DD` on or after `start`."""
    md = _month_day(value)
    if md is None:
        return None
    try:
        candidate = date(start.year, *md)
        return candidate if candidate >= start else date(start.year + 1, *md)
    except ValueError:
        return None


def _in_season(season: Mapping[str, Any], ordered: date) -> bool:
    start, end = _month_day(season.get("start")), _month_day(season.get("end"))
    if start is None or end is None:
        return False
    point = (ordered.month, ordered.day)
    return start <= point <= end if start <= end else point >= start or point <= end


def _remedy(outcome: Mapping[str, Any], total: float) -> Remedy | None:
    """One outcome of a policy as a remedy for an order of `total`."""
    try:
        kind = OfferType(str(outcome.get("type")))
    except ValueError:
        return None
    if kind in {OfferType.NONE, OfferType.RETURN_LABEL}:
        return None
    ceiling: float | None = None
    if kind not in {OfferType.REPLACEMENT, OfferType.RESHIP}:
        caps = [total]
        if isinstance(outcome.get("max_share"), int | float):
            caps.append(total * float(outcome["max_share"]))
        if isinstance(outcome.get("max_amount"), int | float):
            caps.append(float(outcome["max_amount"]))
        ceiling = round(min(caps), 2)
    fee_share = outcome.get("restocking_fee_share")
    fee = round(total * float(fee_share), 2) if isinstance(fee_share, int | float) else None
    days = outcome.get("days_to_complete")
    return Remedy(
        kind,
        ceiling,
        return_required=bool(outcome.get("return_required", False)),
        restocking_fee=fee or None,
        refund_method=str(outcome["refund_method"]) if outcome.get("refund_method") else None,
        days_to_complete=days if isinstance(days, int) else None,
    )


def _words(value: Any) -> frozenset[str]:
    """A scope list (or a single string) as a set of lower-case words; 'all'/'any' mean any."""
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set):
        return frozenset()
    words = {str(item).strip().lower() for item in items if str(item).strip()}
    return frozenset() if words & {"all", "any", "*"} else frozenset(words)


def _pick(meta: Mapping[str, Any], *keys: str) -> Any:
    """The first of `keys` found at the top level or under `scope`/`applies_to`."""
    nested = [meta.get("scope"), meta.get("applies_to")]
    for source in [meta, *[n for n in nested if isinstance(n, Mapping)]]:
        for key in keys:
            if key in source:
                return source[key]
    return None


def policy_from_meta(meta: Mapping[str, Any]) -> PublishedPolicy | None:
    """Read one policy's front matter; None when it has no id."""
    policy_id = meta.get("policy_id") or meta.get("id")
    if not isinstance(policy_id, str | int) or not str(policy_id).strip():
        return None
    conditions = meta.get("conditions")
    season = _pick(meta, "purchase_season")
    outcomes = meta.get("outcomes")
    return PublishedPolicy(
        policy_id=str(policy_id).strip(),
        problem_types=_words(_pick(meta, "problem_types", "problems", "problem_type")),
        categories=_words(_pick(meta, "categories", "category")),
        sellers=_words(_pick(meta, "sellers", "seller", "seller_types")),
        statuses=_words(_pick(meta, "order_status", "order_statuses")),
        prime_only=bool(_pick(meta, "prime_only")),
        conditions=conditions if isinstance(conditions, Mapping) else {},
        season=season if isinstance(season, Mapping) else {},
        outcomes=tuple(o for o in outcomes if isinstance(o, Mapping))
        if isinstance(outcomes, list)
        else (),
        # Informational policies and limits (restocking fees) grant nothing by themselves.
        grants=str(meta.get("effect", "grant")).lower() not in {"info", "limit", "deny"},
        bonus=str(meta.get("effect", "")).lower() == "bonus",
    )


def parse_policy_text(text: str) -> dict[str, Any] | None:
    """The front matter of a markdown policy, or the whole document of a YAML one."""
    match = _FRONT_MATTER.match(text)
    data = yaml.safe_load(match.group(1) if match else text)
    return data if isinstance(data, dict) else None


class PolicyBook:
    """Known policies by id: which apply to a case, what they grant, which a text cites."""

    def __init__(self, policies: Sequence[PublishedPolicy]) -> None:
        self._policies = {p.policy_id.lower(): p for p in policies}
        ids = sorted((re.escape(p.policy_id) for p in policies), key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<![\w-])(" + "|".join(ids) + r")(?![\w-])", re.IGNORECASE)
            if ids
            else None
        )

    @classmethod
    def load(cls, directory: Path) -> PolicyBook:
        """Read every policy file under `directory`; unreadable files are skipped and logged."""
        if not directory.is_dir():
            log.warning("policy directory not found; citations cannot be verified")
            return cls([])
        policies: list[PublishedPolicy] = []
        for path in sorted(p for p in directory.rglob("*") if p.suffix in POLICY_SUFFIXES):
            try:
                meta = parse_policy_text(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                log.warning("skipping unreadable policy file %s", path.name)
                continue
            policy = policy_from_meta(meta) if meta else None
            if policy is not None:
                policies.append(policy)
        log.info("desk knows %d policies", len(policies))
        return cls(policies)

    def __len__(self) -> int:
        return len(self._policies)

    def get(self, policy_id: str) -> PublishedPolicy | None:
        """A policy by id, case-insensitively."""
        return self._policies.get(policy_id.strip().lower())

    def applies(self, policy_id: str, problem_type: str, facts: OrderFacts) -> bool:
        """Whether `policy_id` is a real policy that covers this case."""
        policy = self.get(policy_id)
        return policy is not None and policy.covers(problem_type, facts)

    def remedies_for(
        self, problem_type: str, facts: OrderFacts, *, bonuses: bool = True
    ) -> list[Remedy]:
        """Everything the applicable policies grant for this case (nothing where one of them
        excludes it); goodwill bonuses left out when `bonuses` is false."""
        applicable = [p for p in self._policies.values() if p.covers(problem_type, facts)]
        if any(p.excludes for p in applicable):
            return []
        return [
            remedy
            for policy in applicable
            if bonuses or not policy.bonus
            for remedy in policy.remedies(facts)
        ]

    def cited_in(self, text: str) -> list[str]:
        """The known policy ids mentioned in `text`, in order of appearance."""
        if self._pattern is None:
            return []
        found = [self._policies[m.group(1).lower()].policy_id for m in self._pattern.finditer(text)]
        return list(dict.fromkeys(found))
