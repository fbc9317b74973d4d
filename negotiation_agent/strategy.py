"""Negotiation strategy: offer valuation, scoring and the Boulware concession plan (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import limits
from shared.domain import DesiredOutcome, Offer, OfferType
from shared.valuation import STORE_CREDIT_DISCOUNT, offer_value, return_burden

HARD_MAX_ROUNDS = limits.MAX_ROUNDS
HARD_DEADLINE_S = int(limits.NEGOTIATION_DEADLINE_S)
MAX_ARGUMENTS = 4
MIN_ASK_STEP_SHARE = 0.02  # the ask moves off the goal only once the concession is worth 2%

_REMEDIES = (
    OfferType.FULL_REFUND,
    OfferType.PARTIAL_REFUND,
    OfferType.REPLACEMENT,
    OfferType.RESHIP,
    OfferType.STORE_CREDIT,
)
# Offers that give the customer what they asked for (the goal's family) ...
_FAMILY: dict[str, tuple[OfferType, ...]] = {
    OfferType.FULL_REFUND: (OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND),
    OfferType.PARTIAL_REFUND: (OfferType.PARTIAL_REFUND, OfferType.FULL_REFUND),
    OfferType.STORE_CREDIT: (
        OfferType.STORE_CREDIT,
        OfferType.FULL_REFUND,
        OfferType.PARTIAL_REFUND,
    ),
    OfferType.REPLACEMENT: (OfferType.REPLACEMENT, OfferType.RESHIP),
    OfferType.RESHIP: (OfferType.RESHIP, OfferType.REPLACEMENT),
}
# ... and the types a concession of the goal is expressed in, when policy allows them.
_CONCESSION_TYPE: dict[str, OfferType] = {
    OfferType.FULL_REFUND: OfferType.PARTIAL_REFUND,
    OfferType.PARTIAL_REFUND: OfferType.PARTIAL_REFUND,
    OfferType.STORE_CREDIT: OfferType.STORE_CREDIT,
}
_GOAL_TYPE: dict[str, OfferType] = {
    DesiredOutcome.FULL_REFUND: OfferType.FULL_REFUND,
    DesiredOutcome.PARTIAL_REFUND: OfferType.PARTIAL_REFUND,
    DesiredOutcome.REPLACEMENT: OfferType.REPLACEMENT,
    DesiredOutcome.STORE_CREDIT: OfferType.STORE_CREDIT,
}


class PlanError(ValueError):
    """The case gives nothing to negotiate for."""


# ---------------------------------------------------------------- inputs (from the context agent)


class EntitledOutcome(BaseModel):
    """One remedy the applicable policies allow."""

    model_config = ConfigDict(extra="ignore", use_enum_values=True)

    type: OfferType
    max_amount: float | None = Field(default=None, ge=0, le=1_000_000)
    return_required: bool = False
    restocking_fee: float | None = Field(default=None, ge=0, le=1_000_000)
    refund_method: str | None = Field(default=None, max_length=40)
    days_to_complete: int | None = Field(default=None, ge=0, le=365)
    policy_ids: list[str] = Field(default_factory=list, max_length=50)


class Entitlement(BaseModel):
    """The best the policies allow for this case (lookup_policies' `entitlement`)."""

    model_config = ConfigDict(extra="ignore")

    entitled: bool
    currency: str = Field(default="USD", min_length=3, max_length=3)
    order_total: float = Field(default=0.0, ge=0, le=1_000_000)
    item_value: float | None = Field(default=None, ge=0, le=1_000_000)
    outcomes: list[EntitledOutcome] = Field(default_factory=list, max_length=50)
    best: Offer | None = None
    needs_human: bool = False
    reason: str = Field(default="", max_length=2000)


class PolicyRef(BaseModel):
    """A ranked policy from lookup_policies."""

    model_config = ConfigDict(extra="ignore")

    policy_id: str = Field(max_length=100)
    title: str = Field(default="", max_length=300)
    score: float = 0.0
    applicable: bool = False
    citation: str = Field(default="", max_length=2000)
    outcomes: list[str] = Field(default_factory=list, max_length=50)


class Lookup(BaseModel):
    """lookup_policies' output, the fields the strategy reads."""

    model_config = ConfigDict(extra="ignore")

    policies: list[PolicyRef] = Field(default_factory=list, max_length=200)
    entitlement: Entitlement


# ---------------------------------------------------------------- outputs (the strategy)


class Floor(BaseModel):
    """The customer's minimum acceptable: a value and the offer types that may reach it."""

    amount: float
    acceptable_types: list[OfferType]


class ConcessionRound(BaseModel):
    """What we ask in one round, and the least value we accept in it."""

    round: int
    ask: Offer
    min_value: float


class ConcessionPlan(BaseModel):
    """A time-dependent concession plan: ask(t) = goal - (goal - floor) * (t/T)^(1/beta)."""

    tactic: Literal["boulware"] = "boulware"
    beta: float
    rounds: list[ConcessionRound]


class Argument(BaseModel):
    """A policy we cite, with the words we cite."""

    policy_id: str
    citation: str


class Strategy(BaseModel):
    """The plan for one negotiation (plan_strategy's output)."""

    model_config = ConfigDict(extra="ignore")

    goal: Offer
    opening_ask: Offer
    floor: Floor
    concession_plan: ConcessionPlan
    arguments: list[Argument] = Field(default_factory=list, max_length=MAX_ARGUMENTS)
    max_rounds: int = Field(ge=1, le=HARD_MAX_ROUNDS)
    deadline_s: int = Field(ge=1, le=HARD_DEADLINE_S)
    entitlement_value: float = Field(ge=0)
    item_value: float = Field(ge=0)
    # the customer named no remedy: any remedy worth this round's ask gives them what they asked
    open_goal: bool = False
    # the customer asked for store credit and we ask for the refund policy allows (see
    # `credit_or_refund`): credit is their kind of remedy, worth what the one valuation says
    credit_asked: bool = False
    validated: bool = False
    summary: str = ""

    def family(self) -> tuple[OfferType, ...]:
        """The offer types that give the customer what they asked for."""
        if self.open_goal:
            return _REMEDIES
        if self.credit_asked:
            return _FAMILY[OfferType.STORE_CREDIT]
        return goal_family(self.goal)

    def round_plan(self, round_no: int) -> ConcessionRound:
        """The plan's entry for a round (the last one past the end)."""
        index = min(max(round_no, 1), len(self.concession_plan.rounds)) - 1
        return self.concession_plan.rounds[index]


class OfferScore(BaseModel):
    """How an offer measures against the strategy in a given round."""

    value: float
    share: float
    in_goal_family: bool
    acceptable_type: bool
    meets_ask: bool
    meets_floor: bool
    as_asked: bool


def goal_family(goal: Offer) -> tuple[OfferType, ...]:
    """The offer types that give the customer what they asked for."""
    return _FAMILY.get(OfferType(goal.type), (OfferType(goal.type),))


def is_as_asked(offer: Offer, strategy: Strategy) -> bool:
    """True when the offer is the goal's kind and worth at least the goal."""
    in_family = OfferType(offer.type) in strategy.family()
    return (
        in_family and offer_value(offer, strategy.item_value) >= strategy.entitlement_value - 0.01
    )


def score_offer(offer: Offer, strategy: Strategy, round_no: int) -> OfferScore:
    """Score a counteroffer against the goal, this round's ask and the floor."""
    value = offer_value(offer, strategy.item_value)
    kind = OfferType(offer.type)
    in_family = kind in strategy.family()
    acceptable = kind.value in {str(t) for t in strategy.floor.acceptable_types}
    plan = strategy.round_plan(round_no)
    share = value / strategy.entitlement_value if strategy.entitlement_value else 0.0
    return OfferScore(
        value=value,
        share=round(share, 4),
        in_goal_family=in_family,
        acceptable_type=acceptable,
        meets_ask=in_family and value >= plan.min_value - 0.005,
        meets_floor=acceptable and value >= strategy.floor.amount - 0.005,
        as_asked=is_as_asked(offer, strategy),
    )


# ---------------------------------------------------------------- the plan


def boulware_share(t: float, beta: float) -> float:
    """The share of the goal-to-floor gap conceded at time t in [0, 1]; beta < 1 concedes late."""
    t = min(max(t, 0.0), 1.0)
    return float(t ** (1.0 / beta))


def concession_value(goal_value: float, floor_value: float, t: float, beta: float) -> float:
    """ask(t) = goal - (goal - floor) * t^(1/beta), on the customer's value scale."""
    return round(goal_value - (goal_value - floor_value) * boulware_share(t, beta), 2)


def offer_from_outcome(outcome: EntitledOutcome, entitlement: Entitlement) -> Offer:
    """The offer an entitled outcome stands for, at its best for the customer."""
    amount = outcome.max_amount
    if amount is None and OfferType(outcome.type) is OfferType.FULL_REFUND:
        amount = entitlement.order_total or entitlement.item_value
    return Offer(
        type=outcome.type,
        amount=amount,
        currency=entitlement.currency,
        return_required=outcome.return_required,
        restocking_fee=outcome.restocking_fee,
        refund_method=outcome.refund_method,
        days_to_complete=outcome.days_to_complete,
    )


def goal_type_for(desired: str | None, entitlement: Entitlement) -> OfferType | None:
    """The offer type the customer wants, or None when they left it to us."""
    if desired and desired in _GOAL_TYPE:
        return _GOAL_TYPE[desired]
    if entitlement.best is not None:
        return OfferType(entitlement.best.type)
    return None


def remedies(entitlement: Entitlement) -> list[EntitledOutcome]:
    """The entitled outcomes that are a remedy (not 'none', not a bare return label)."""
    return [o for o in entitlement.outcomes if OfferType(o.type) in _REMEDIES]


def choose_goal(entitlement: Entitlement, desired: str | None) -> tuple[Offer, EntitledOutcome]:
    """The best outcome the entitlement allows for the customer's goal, never more."""
    options = remedies(entitlement)
    if not entitlement.entitled or not options:
        raise PlanError(entitlement.reason or "no policy allows a remedy for this case")
    item_value = item_value_of(entitlement)
    wanted = goal_type_for(desired, entitlement)
    family = _FAMILY.get(wanted, (wanted,)) if wanted is not None else tuple(_REMEDIES)
    matching = [o for o in options if OfferType(o.type) in family] or options
    if wanted is OfferType.STORE_CREDIT:
        wanted = credit_or_refund(matching, entitlement)
    best = max(
        matching,
        key=lambda o: (
            OfferType(o.type) == wanted,
            offer_value(offer_from_outcome(o, entitlement), item_value),
        ),
    )
    return offer_from_outcome(best, entitlement), best


def credit_or_refund(options: list[EntitledOutcome], entitlement: Entitlement) -> OfferType:
    """Store credit, unless policy allows credit only below a full refund (a goodwill credit):
    then the full refund, which serves a customer who asked for credit as well."""

    def most(kind: OfferType) -> float:
        amounts = [
            offer_from_outcome(o, entitlement).amount or 0.0 for o in options if o.type == kind
        ]
        return max(amounts, default=0.0)

    if most(OfferType.FULL_REFUND) > most(OfferType.STORE_CREDIT) + 0.005:
        return OfferType.FULL_REFUND
    return OfferType.STORE_CREDIT


def item_value_of(entitlement: Entitlement) -> float:
    """The value of what the customer bought (the item, else the order total)."""
    return float(entitlement.item_value or entitlement.order_total or 0.0)


def floor_value(goal_value: float, floor_amount: float | None, floor_share: float) -> float:
    """The customer's floor: their own amount capped at the goal, else a share of the goal."""
    if floor_amount is not None:
        return round(min(max(floor_amount, 0.0), goal_value), 2)
    return round(goal_value * floor_share, 2)


def acceptable_types(goal: Offer, entitlement: Entitlement) -> list[OfferType]:
    """The goal's family, then the other entitled remedies (accepted only near the deadline)."""
    ordered = list(goal_family(goal))
    for outcome in remedies(entitlement):
        kind = OfferType(outcome.type)
        if kind not in ordered:
            ordered.append(kind)
    return ordered


def concession_ask(
    goal: Offer, target_value: float, entitlement: Entitlement, item_value: float
) -> Offer:
    """The ask that is worth `target_value`, in a type policy allows; the goal when none fits."""
    goal_value = offer_value(goal, item_value)
    if target_value >= goal_value * (1 - MIN_ASK_STEP_SHARE) - 0.005:
        return goal  # a concession of cents only signals weakness: hold the goal
    kind = _CONCESSION_TYPE.get(OfferType(goal.type))
    terms = next((o for o in remedies(entitlement) if OfferType(o.type) == kind), None)
    if kind is None or terms is None:
        return goal
    ask = offer_from_outcome(terms, entitlement)
    amount = amount_for_value(ask, target_value, item_value)
    if terms.max_amount is not None and amount > terms.max_amount + 0.005:
        return goal  # policy caps this type below the target: keep asking for the goal
    return ask.model_copy(update={"amount": amount})


def amount_for_value(offer: Offer, value: float, item_value: float) -> float:
    """The face amount of a money offer that is worth `value` to the customer."""
    burden = return_burden(item_value) if offer.return_required else 0.0
    gross = value + (offer.restocking_fee or 0.0) + burden
    if OfferType(offer.type) is OfferType.STORE_CREDIT:
        gross = gross / STORE_CREDIT_DISCOUNT
    return round(gross, 2)


def concession_rounds(
    goal: Offer,
    floor: float,
    entitlement: Entitlement,
    *,
    beta: float,
    max_rounds: int,
) -> list[ConcessionRound]:
    """One ask per round: the goal first, conceding towards the floor along the Boulware curve."""
    item_value = item_value_of(entitlement)
    goal_value = offer_value(goal, item_value)
    rounds = []
    for index in range(max_rounds):
        t = index / (max_rounds - 1) if max_rounds > 1 else 1.0
        target = concession_value(goal_value, floor, t, beta)
        ask = concession_ask(goal, target, entitlement, item_value)
        min_value = max(target, floor) if index else goal_value
        rounds.append(ConcessionRound(round=index + 1, ask=ask, min_value=round(min_value, 2)))
    return rounds


def choose_arguments(
    policies: Sequence[PolicyRef], goal_outcome: EntitledOutcome
) -> list[Argument]:
    """The policies to cite: those behind the goal first, then other applicable ones by score."""
    applicable = [p for p in policies if p.applicable]
    backing = set(goal_outcome.policy_ids)
    ranked = sorted(applicable, key=lambda p: (p.policy_id not in backing, -p.score))
    chosen = [Argument(policy_id=p.policy_id, citation=p.citation or p.title) for p in ranked]
    known = {a.policy_id for a in chosen}
    chosen += [
        Argument(policy_id=pid, citation="") for pid in goal_outcome.policy_ids if pid not in known
    ]
    return chosen[:MAX_ARGUMENTS]


def build_strategy(
    lookup: Lookup,
    *,
    desired: str | None,
    floor_amount: float | None,
    beta: float,
    max_rounds: int,
    deadline_s: int,
    floor_share: float,
) -> Strategy:
    """The whole plan, before its asks are validated against policy."""
    entitlement = lookup.entitlement
    if entitlement.needs_human:
        raise PlanError("the policies conflict and need a human decision")
    goal, goal_outcome = choose_goal(entitlement, desired)
    item_value = item_value_of(entitlement)
    goal_value = offer_value(goal, item_value)
    floor = floor_value(goal_value, floor_amount, floor_share)
    rounds_cap = min(max(max_rounds, 1), HARD_MAX_ROUNDS)
    rounds = concession_rounds(goal, floor, entitlement, beta=beta, max_rounds=rounds_cap)
    strategy = Strategy(
        goal=goal,
        opening_ask=rounds[0].ask,
        floor=Floor(amount=floor, acceptable_types=acceptable_types(goal, entitlement)),
        concession_plan=ConcessionPlan(beta=beta, rounds=rounds),
        arguments=choose_arguments(lookup.policies, goal_outcome),
        max_rounds=rounds_cap,
        deadline_s=min(max(deadline_s, 1), HARD_DEADLINE_S),
        entitlement_value=goal_value,
        item_value=item_value,
        open_goal=not (desired and desired in _GOAL_TYPE),
        credit_asked=desired == DesiredOutcome.STORE_CREDIT
        and OfferType(goal.type) is not OfferType.STORE_CREDIT,
    )
    return strategy.model_copy(update={"summary": summarize(strategy)})


def replace_asks(strategy: Strategy, replacements: dict[str, Offer]) -> Strategy:
    """The strategy with asks that failed validation swapped for valid ones."""

    def swap(offer: Offer) -> Offer:
        return replacements.get(offer_key(offer), offer)

    rounds = [r.model_copy(update={"ask": swap(r.ask)}) for r in strategy.concession_plan.rounds]
    plan = strategy.concession_plan.model_copy(update={"rounds": rounds})
    updated = strategy.model_copy(
        update={"concession_plan": plan, "opening_ask": rounds[0].ask, "goal": swap(strategy.goal)}
    )
    return updated.model_copy(update={"summary": summarize(updated)})


def distinct_asks(strategy: Strategy) -> list[Offer]:
    """Every different offer the plan may ask for, goal first."""
    seen: dict[str, Offer] = {offer_key(strategy.goal): strategy.goal}
    for entry in strategy.concession_plan.rounds:
        seen.setdefault(offer_key(entry.ask), entry.ask)
    return list(seen.values())


def offer_key(offer: Offer) -> str:
    """A stable identity for an offer."""
    return offer.model_dump_json()


def fallback_offers(entitlement: Entitlement) -> list[Offer]:
    """The entitlement's remedies as offers, best value first."""
    item_value = item_value_of(entitlement)
    offers = [offer_from_outcome(o, entitlement) for o in remedies(entitlement)]
    return sorted(offers, key=lambda o: -offer_value(o, item_value))


def describe_offer(offer: Offer) -> str:
    """A short human description of an offer."""
    kind = OfferType(offer.type).value.replace("_", " ")
    amount = f" of {offer.amount:.2f} {offer.currency}" if offer.amount is not None else ""
    terms = []
    if offer.return_required:
        terms.append("return required")
    if offer.restocking_fee:
        terms.append(f"restocking fee {offer.restocking_fee:.2f}")
    return f"{kind}{amount}" + (f" ({', '.join(terms)})" if terms else "")


def summarize(strategy: Strategy) -> str:
    """One paragraph a customer can approve."""
    cites = ", ".join(a.policy_id for a in strategy.arguments) or "none"
    return (
        f"Ask for a {describe_offer(strategy.opening_ask)}, citing {cites}. "
        f"Hold out for at least {strategy.floor.amount:.2f} {strategy.goal.currency} in value "
        f"(the entitlement is worth {strategy.entitlement_value:.2f}); concede late (Boulware, "
        f"beta {strategy.concession_plan.beta:g}) over at most {strategy.max_rounds} rounds "
        f"and {strategy.deadline_s // 60} minutes."
    )


def within_entitlement(offer: Offer, strategy: Strategy) -> bool:
    """True when asking for this offer asks no more than the goal is worth."""
    return offer_value(offer, strategy.item_value) <= strategy.entitlement_value + 0.005


def all_asks(strategy: Strategy) -> Iterable[Offer]:
    """The opening ask and every round's ask."""
    yield strategy.opening_ask
    for entry in strategy.concession_plan.rounds:
        yield entry.ask
