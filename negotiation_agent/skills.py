"""The negotiation agent's A2A skills: `plan_strategy` and `negotiate` (one CS round per call)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from negotiation_agent.dialogue import (
    CaseFacts,
    CSDesk,
    CSRejected,
    CSReply,
    CSUnavailable,
    Decision,
    HistoryEntry,
    Intent,
    NegotiationState,
    Outcome,
    PendingMessage,
    advance,
    compose_accept,
    compose_ask,
    compose_close,
    decide,
    next_message,
    out_of_budget,
    parse_reply,
)
from negotiation_agent.drafting import Drafter, PlainWording
from negotiation_agent.strategy import (
    Lookup,
    PlanError,
    Strategy,
    build_strategy,
    distinct_asks,
    offer_from_outcome,
    offer_key,
    offer_value,
    replace_asks,
    within_entitlement,
)
from shared import metrics
from shared.a2a.client import A2ACallError, A2AClient, A2AUnavailable
from shared.a2a.server import Skill, SkillContext, SkillError
from shared.domain import ORDER_ID_PATTERN, DesiredOutcome, Offer, ProblemType
from shared.logs import get_logger

log = get_logger(__name__)
Decider = Callable[..., Decision]

CS_UNAVAILABLE_ALTERNATIVES = [
    "Try again later: the negotiation resumes from its last completed round.",
    "Contact the retailer through its app or website chat.",
    "If the charge is not put right, dispute it with the card issuer.",
]


# ---------------------------------------------------------------- inputs and outputs


class Analysis(BaseModel):
    """analyze_issue's output, the fields the plan reads."""

    model_config = ConfigDict(extra="ignore")

    customer_id: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, pattern=f"^{ORDER_ID_PATTERN}$")
    problem_type: ProblemType = ProblemType.OTHER
    desired_outcome: DesiredOutcome = DesiredOutcome.UNSPECIFIED


class PlanInput(BaseModel):
    """plan_strategy's input."""

    analysis: Analysis
    lookup: Lookup
    goal: DesiredOutcome | None = None
    floor_amount: float | None = Field(default=None, ge=0, le=1_000_000)


class CheckedStrategy(Strategy):
    """A strategy received from a caller: its asks must stay within its own entitlement."""

    @model_validator(mode="after")
    def _asks_within_entitlement(self) -> CheckedStrategy:
        if not self.concession_plan.rounds:
            raise ValueError("the concession plan has no rounds")
        if self.floor.amount > self.entitlement_value + 0.005:
            raise ValueError("the floor is above the entitlement")
        for entry in self.concession_plan.rounds:
            if not within_entitlement(entry.ask, self):
                raise ValueError(f"round {entry.round} asks for more than the entitlement")
        return self


class NegotiateInput(BaseModel):
    """negotiate's input: one round of the dialogue."""

    session_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    attempt: int = Field(default=1, ge=1, le=1000)
    customer_id: str = Field(min_length=1, max_length=64)
    order_id: str = Field(pattern=f"^{ORDER_ID_PATTERN}$")
    problem_type: ProblemType
    strategy: CheckedStrategy
    state: NegotiationState | None = None
    action: Literal["continue", "accept", "walk_away"] = "continue"


class RoundReport(BaseModel):
    """What happened in this call's round."""

    round: int
    sent: str
    cs_text: str
    cs_offer: Offer | None
    decision: str
    reason: str


def round_report(
    round_no: int, message: PendingMessage, reply: CSReply, decision: str, reason: str = ""
) -> RoundReport:
    """One exchange: what we sent, what CS answered, what we made of it."""
    return RoundReport(
        round=round_no,
        sent=message.text,
        cs_text=reply.text,
        cs_offer=reply.offer,
        decision=decision,
        reason=reason,
    )


def history_entry(report: RoundReport, intent: Intent) -> HistoryEntry:
    """The round as the state's history keeps it (the reason capped)."""
    fields = report.model_dump(exclude={"reason"})
    return HistoryEntry(intent=intent, reason=report.reason[:500], **fields)


class RoundResult(BaseModel):
    """negotiate's output."""

    state: NegotiationState
    round: RoundReport | None = None
    done: bool
    outcome: Outcome | None = None


class Validation(BaseModel):
    """validate_solution's answer."""

    model_config = ConfigDict(extra="ignore")

    valid: bool
    violations: list[str] = Field(default_factory=list)
    policy_basis: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- policy validation over A2A


class PolicyValidator:
    """Asks the context agent whether an offer is within policy."""

    def __init__(self, client: A2AClient) -> None:
        self._client = client

    async def validate(
        self,
        order_id: str,
        problem_type: str,
        offer: Offer,
        customer_id: str | None,
        source: str = "ask",
    ) -> Validation:
        """validate_solution for one offer (our ask, or CS's offer); SkillError if unanswered."""
        payload: dict[str, Any] = {
            "order_id": order_id,
            "problem_type": problem_type,
            "offer": offer.model_dump(mode="json", exclude_none=True),
            "source": source,
        }
        if customer_id:
            payload["customer_id"] = customer_id
        try:
            result = await self._client.call_skill("validate_solution", payload)
        except A2AUnavailable as error:
            reason = f"the context agent could not validate the offer: {error}"
            raise SkillError(reason, retryable=True) from error
        except A2ACallError as error:
            raise SkillError(f"the context agent could not validate the offer: {error}") from error
        if not result.ok:
            reason = f"validate_solution did not complete: {result.message[:200]}"
            raise SkillError(reason, retryable=result.retryable)
        return Validation.model_validate(result.output)


# ---------------------------------------------------------------- plan_strategy


async def plan(inp: PlanInput, settings: Any, validator: PolicyValidator) -> Strategy:
    """Build the strategy and have every ask in it validated against policy."""
    lookup = inp.lookup
    order_id = inp.analysis.order_id
    if order_id is None:
        raise SkillError("the analysis has no order id to plan for")
    problem = str(inp.analysis.problem_type)
    check = _checker(validator, order_id, problem, inp.analysis.customer_id)
    for _ in range(len(lookup.entitlement.outcomes) + 1):
        strategy = _build(lookup, inp, settings)
        if (await check(strategy.goal)).valid:
            break
        lookup = _without_goal(lookup, strategy.goal)
    replacements = {}
    for ask in distinct_asks(strategy)[1:]:
        if not (await check(ask)).valid:
            replacements[offer_key(ask)] = strategy.goal
    return replace_asks(strategy, replacements).model_copy(update={"validated": True})


def _checker(
    validator: PolicyValidator, order_id: str, problem: str, customer_id: str | None
) -> Any:
    cache: dict[str, Validation] = {}

    async def check(offer: Offer) -> Validation:
        key = offer_key(offer)
        if key not in cache:
            cache[key] = await validator.validate(order_id, problem, offer, customer_id)
        return cache[key]

    return check


def _build(lookup: Lookup, inp: PlanInput, settings: Any) -> Strategy:
    try:
        return build_strategy(
            lookup,
            desired=str(inp.goal or inp.analysis.desired_outcome),
            floor_amount=inp.floor_amount,
            beta=settings.negotiation_beta,
            max_rounds=settings.negotiation_max_rounds,
            deadline_s=settings.negotiation_deadline_s,
            floor_share=settings.negotiation_floor_share,
        )
    except PlanError as error:
        raise SkillError(f"nothing to negotiate: {error}") from error


def _without_goal(lookup: Lookup, goal: Offer) -> Lookup:
    """The lookup minus the outcome behind a goal that failed validation."""
    entitlement = lookup.entitlement
    kept = [
        o
        for o in entitlement.outcomes
        if offer_key(offer_from_outcome(o, entitlement)) != offer_key(goal)
    ]
    reduced = entitlement.model_copy(update={"outcomes": kept, "best": None})
    return lookup.model_copy(update={"entitlement": reduced})


async def plan_strategy(inp: PlanInput, ctx: SkillContext) -> dict[str, Any]:
    """Skill: the opening ask, floor, concession plan and arguments, every ask validated."""
    strategy = await plan(inp, ctx.app.state.settings, ctx.app.state.validator)
    return strategy.model_dump(mode="json")


# ---------------------------------------------------------------- negotiate


class Negotiation:
    """Runs one round of one negotiation against the CS desk."""

    def __init__(
        self,
        inp: NegotiateInput,
        desk: CSDesk,
        validator: PolicyValidator,
        now: float,
        decider: Decider = decide,
        drafter: Drafter | None = None,
    ) -> None:
        self.inp = inp
        self.desk = desk
        self.validator = validator
        self.now = now
        self.decider = decider
        self.drafter = drafter or PlainWording()
        self.strategy: Strategy = inp.strategy
        self.facts = CaseFacts(order_id=inp.order_id, problem_type=str(inp.problem_type))
        raw = inp.state.model_dump() if inp.state is not None else {"started_at": now}
        self.state = NegotiationState.model_validate(raw)

    def key(self, round_no: int) -> str:
        """The idempotency key of a round: replaying it is answered from CS's cache."""
        return f"{self.inp.session_id}:{self.inp.attempt}:{round_no}"

    def farewell_key(self) -> str:
        """The key of the message that closes the contact: never a round's key, so a farewell
        sent while a round is in flight (or replayed) cannot collide with it."""
        return f"{self.inp.session_id}:{self.inp.attempt}:close"

    async def run(self) -> RoundResult:
        """Dispatch on the action and the state's status."""
        if self.state.status in ("accepted", "no_agreement") and self.state.outcome is not None:
            return self.result(None, done=True)
        if self.inp.action == "accept":
            return await self.accept()
        if self.inp.action == "walk_away":
            return await self.walk_away("the customer chose to walk away")
        if self.state.status == "agreement" and self.state.outcome is not None:
            return self.result(None, done=True)
        return await self.play_round()

    # --- the rounds -----------------------------------------------------------

    async def play_round(self) -> RoundResult:
        """Send the pending message, read CS's reply, decide."""
        elapsed = self.now - self.state.started_at
        if self.state.round and out_of_budget(self.strategy, self.state.round, elapsed):
            return self.finish(
                "no_agreement", "the round or time budget is spent", self.state.last_offer
            )
        round_no = self.state.round + 1
        try:
            greeting_asks = await self.ensure_contact()
            message = self.state.pending or compose_ask(
                self.strategy, self.facts, self.strategy.opening_ask, 1, cs_asks=greeting_asks
            )
            raw = await self.exchange(message, round_no)
        except CSUnavailable as error:
            return self.unavailable(str(error))
        except CSRejected as error:
            return self.rejected(error)
        reply = parse_reply(raw, self.strategy.goal.currency)
        decision = self.decider(
            self.strategy, self.state, reply, round_no=round_no, elapsed_s=elapsed
        )
        decision, basis = await self.confirm_with_policy(decision, reply, round_no)
        return await self.record(round_no, message, reply, decision, basis)

    async def ensure_contact(self) -> list[str]:
        """Open the CS contact unless open; returns what its greeting asks for."""
        if self.state.contact_id is not None:
            return []
        opened = await self.desk.open_contact(
            self.key(0), self.inp.customer_id, self.inp.order_id, str(self.inp.problem_type)
        )
        self.state = self.state.model_copy(update={"contact_id": opened.contact_id})
        return opened.asks

    async def exchange(self, message: PendingMessage, round_no: int) -> object:
        """Send one message on the open contact."""
        await self.ensure_contact()
        assert self.state.contact_id is not None
        return await self.desk.send(self.state.contact_id, self.key(round_no), message)

    async def confirm_with_policy(
        self, decision: Decision, reply: CSReply, round_no: int
    ) -> tuple[Decision, list[str]]:
        """An offer we would accept must pass validate_solution; otherwise we counter."""
        if decision.kind != "accept" or reply.offer is None:
            return decision, []
        check = await self.validator.validate(
            self.inp.order_id,
            str(self.inp.problem_type),
            reply.offer,
            self.inp.customer_id,
            source="offer",
        )
        if check.valid:
            return decision, check.policy_basis
        if out_of_budget(self.strategy, round_no, self.now - self.state.started_at):
            return Decision(kind="walk_away", reason="the only acceptable offer fails policy"), []
        reason = "the offer fails policy validation: " + "; ".join(check.violations)[:300]
        return Decision(
            kind="counter", reason=reason, ask=self.strategy.round_plan(round_no + 1).ask
        ), []

    async def record(
        self,
        round_no: int,
        message: PendingMessage,
        reply: CSReply,
        decision: Decision,
        basis: list[str],
    ) -> RoundResult:
        """Fold the round into the state and turn the decision into a result."""
        self.count_concessions(reply, round_no)
        best, stalled = advance(self.state, reply, self.strategy)
        pending = next_message(self.strategy, self.facts, decision, reply, round_no)
        if pending is not None:
            pending = await self.drafter.redraft(pending, self.inp.order_id)
        report = round_report(round_no, message, reply, decision.kind, decision.reason)
        self.state = self.state.model_copy(
            update={
                "round": round_no,
                "exchanges": self.state.exchanges + 1,
                "last_offer": reply.offer or self.state.last_offer,
                "best_value": best,
                "stalled": stalled,
                "supervisor_asked": self.state.supervisor_asked or decision.kind == "supervisor",
                "pending": pending,
                "history": [*self.state.history, history_entry(report, message.intent)][-40:],
            }
        )
        if decision.kind == "accept" and reply.offer is not None:
            return self.propose(reply.offer, decision.reason, basis, report)
        if decision.kind == "walk_away":
            return await self.walk_away(decision.reason, report=report, cs_closed=reply.closed)
        return self.result(report, done=False)

    def count_concessions(self, reply: CSReply, round_no: int) -> None:
        """Concessions by CS (a better offer) and by us (a lower next ask)."""
        if reply.offer is not None and self.state.best_value > 0:
            if offer_value(reply.offer, self.strategy.item_value) > self.state.best_value + 0.005:
                metrics.NEGOTIATION_CONCESSIONS.labels("cs").inc()
        this_ask = self.strategy.round_plan(round_no).min_value
        if (
            round_no < self.strategy.max_rounds
            and self.strategy.round_plan(round_no + 1).min_value < this_ask
        ):
            metrics.NEGOTIATION_CONCESSIONS.labels("ours").inc()

    # --- endings -------------------------------------------------------------

    def propose(
        self, offer: Offer, reason: str, basis: list[str], report: RoundReport
    ) -> RoundResult:
        """An acceptable, validated offer: waiting for the customer's approval."""
        outcome = Outcome(status="agreement", offer=offer, reason=reason, policy_basis=basis)
        self.state = self.state.model_copy(
            update={"status": "agreement", "outcome": outcome, "pending": None}
        )
        metrics.NEGOTIATION_OUTCOMES.labels("agreement").inc()
        return self.result(report, done=True)

    async def accept(self) -> RoundResult:
        """Confirm the agreement with CS (`intent: accept`)."""
        agreed = self.state.outcome
        if self.state.status != "agreement" or agreed is None or agreed.offer is None:
            raise SkillError("nothing to accept: no agreement is on the table")
        round_no = self.state.round + 1
        message = compose_accept(agreed.offer)
        try:
            raw = await self.exchange(message, round_no)
        except CSUnavailable as error:
            return self.unavailable(str(error))
        except CSRejected as error:
            return self.rejected(error)
        reply = parse_reply(raw, self.strategy.goal.currency)
        confirmed = reply.agreed
        decision = "accepted" if confirmed else "not_confirmed"
        reason = "confirmed with CS" if confirmed else "CS did not confirm"
        report = round_report(round_no, message, reply, decision, reason)
        self.append_history(report, message.intent)
        if not confirmed:
            return self.finish(
                "no_agreement", "CS did not confirm the agreement", agreed.offer, report
            )
        outcome = agreed.model_copy(update={"status": "accepted", "reason": "accepted with CS"})
        return self.end(outcome, report)

    async def walk_away(
        self, reason: str, *, report: RoundReport | None = None, cs_closed: bool = False
    ) -> RoundResult:
        """Leave politely (best effort) and report no agreement with the last offer."""
        if self.state.contact_id is not None and not cs_closed:
            round_no = self.state.round + 1
            message = compose_close()
            try:
                raw = await self.desk.send(self.state.contact_id, self.farewell_key(), message)
                closing = round_report(round_no, message, parse_reply(raw), "walk_away")
                self.append_history(closing, message.intent)
            except (CSUnavailable, CSRejected) as error:
                log.info("closing the CS contact failed: %s", type(error).__name__)
        return self.finish("no_agreement", reason, self.state.last_offer, report)

    def append_history(self, report: RoundReport, intent: Intent) -> None:
        """Count one more exchange and keep it in the history."""
        self.state = self.state.model_copy(
            update={
                "round": report.round,
                "exchanges": self.state.exchanges + 1,
                "history": [*self.state.history, history_entry(report, intent)][-40:],
                "pending": None,
            }
        )

    def finish(
        self,
        status: Literal["no_agreement"],
        reason: str,
        offer: Offer | None,
        report: RoundReport | None = None,
    ) -> RoundResult:
        """No agreement: the reason and what was last offered."""
        return self.end(Outcome(status=status, offer=offer, reason=reason), report)

    def end(self, outcome: Outcome, report: RoundReport | None) -> RoundResult:
        """A terminal outcome, counted once per call."""
        self.state = self.state.model_copy(
            update={"status": outcome.status, "outcome": outcome, "pending": None}
        )
        metrics.NEGOTIATION_OUTCOMES.labels(outcome.status).inc()
        metrics.NEGOTIATION_ROUNDS.observe(self.state.round)
        metrics.NEGOTIATION_EXCHANGES.observe(self.state.exchanges)
        return self.result(report, done=True)

    def unavailable(self, reason: str) -> RoundResult:
        """CS stayed down: report it with alternatives; the state can resume later."""
        outcome = Outcome(
            status="cs_unavailable",
            offer=self.state.last_offer,
            reason=reason,
            alternatives=CS_UNAVAILABLE_ALTERNATIVES,
        )
        metrics.NEGOTIATION_OUTCOMES.labels("cs_unavailable").inc()
        state = self.state.model_copy(update={"outcome": None})
        return RoundResult(state=state, done=True, outcome=outcome)

    def rejected(self, error: CSRejected) -> RoundResult:
        """A closed contact ends the negotiation; any other refusal is a skill error."""
        if error.status == 409 and self.state.contact_id is not None:
            return self.finish("no_agreement", "CS closed the conversation", self.state.last_offer)
        raise SkillError(str(error))

    def result(self, report: RoundReport | None, *, done: bool) -> RoundResult:
        """The call's output."""
        return RoundResult(state=self.state, round=report, done=done, outcome=self.state.outcome)


async def negotiate(inp: NegotiateInput, ctx: SkillContext) -> dict[str, Any]:
    """Skill: run one round of the CS dialogue and return the state to checkpoint."""
    app_state = ctx.app.state
    negotiation = Negotiation(
        inp, app_state.desk, app_state.validator, time.time(), drafter=app_state.drafter
    )
    result = await negotiation.run()
    return result.model_dump(mode="json")


SKILLS = [
    Skill(
        id="plan_strategy",
        name="Plan a negotiation strategy",
        description=(
            "From the issue analysis and the entitlement: opening ask, floor, a Boulware concession "
            "plan and the policy citations to use; every ask is validated against policy."
        ),
        tags=["negotiation", "strategy", "policy"],
        input_model=PlanInput,
        handler=plan_strategy,
    ),
    Skill(
        id="negotiate",
        name="Negotiate one round with customer service",
        description=(
            "Runs one round of the dialogue with the retailer's CS desk (idempotent per round) and "
            "returns the state to checkpoint, the round, and the outcome when it ends."
        ),
        tags=["negotiation", "customer-service"],
        input_model=NegotiateInput,
        handler=negotiate,
    ),
]
