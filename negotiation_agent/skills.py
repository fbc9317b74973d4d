"""The negotiation agent's A2A skills: `plan_strategy` and `negotiate` (one CS round per call)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    model_validator,
)

from negotiation_agent.dialogue import (
    CUSTOMER_ONLY_ASKS,
    MAX_UNCLEAR,
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
    Photo,
    advance,
    compose_accept,
    compose_ask,
    compose_clarify_offer,
    compose_close,
    compose_confirm,
    compose_verify,
    decide,
    names_terms,
    next_message,
    not_a_repeat,
    out_of_budget,
    parse_reply,
    reply_text,
)
from negotiation_agent.drafting import Drafter, PlainWording
from negotiation_agent.follow_up import SKILL as FOLLOW_UP
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
from shared.a2a.models import Part, part_bytes
from shared.a2a.server import Skill, SkillContext, SkillError
from shared.domain import ORDER_ID_PATTERN, DesiredOutcome, Offer, OfferType, ProblemType
from shared.language.claude import ClaudeReader
from shared.language.cs_reply import names_remedy, read_cs_reply, says_back
from shared.language.reader import Reader, load_reader
from shared.limits import MAX_ORDER_ITEMS, MAX_PHOTOS_PER_CASE, MAX_TITLE_CHARS
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


ProductTitle = Annotated[str, Field(max_length=MAX_TITLE_CHARS)]


class CaseInput(BaseModel):
    """What we may tell CS about the case: the customer's words summarised, dates, the item;
    and the order's product titles, by which CS names what it sends or refunds."""

    description: str = Field(default="", max_length=600)
    order_date: str | None = Field(default=None, max_length=20)
    delivered_date: str | None = Field(default=None, max_length=20)
    item: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)
    items: list[ProductTitle] = Field(default_factory=list, max_length=MAX_ORDER_ITEMS)


ASK_WORDS = {
    "photos": "photos of the item and its packaging",
    "serial_number": "the serial number of the item",
    "description": "a few more details of what happened",
    "other": "some more information",
}


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
    case: CaseInput = Field(default_factory=CaseInput)
    customer_input: str | None = Field(default=None, max_length=2000)  # an answer CS asked for
    # How many photos the case has (the photos themselves come as file parts when asked for)
    photos_available: int = Field(default=0, ge=0, le=MAX_PHOTOS_PER_CASE)


class RoundReport(BaseModel):
    """What happened in this call's round."""

    round: int
    sent: str
    cs_text: str
    cs_offer: Offer | None
    cs_acts: list[str] = Field(default_factory=list)
    decision: str
    reason: str
    attachments: int = 0  # photos sent with our message


def round_report(
    round_no: int,
    message: PendingMessage,
    reply: CSReply,
    decision: str,
    reason: str = "",
    attachments: int = 0,
) -> RoundReport:
    """One exchange: what we sent, what CS answered, what we made of it."""
    return RoundReport(
        round=round_no,
        sent=message.text,
        cs_text=reply.text,
        cs_offer=reply.offer,
        cs_acts=reply.acts,
        decision=decision,
        reason=reason,
        attachments=attachments,
    )


def history_entry(report: RoundReport, intent: Intent) -> HistoryEntry:
    """The round as the state's history keeps it (the reason capped)."""
    fields = report.model_dump(exclude={"reason", "attachments"})
    return HistoryEntry(intent=intent, reason=report.reason[:500], **fields)


class RoundResult(BaseModel):
    """negotiate's output."""

    state: NegotiationState
    round: RoundReport | None = None
    done: bool
    outcome: Outcome | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def needs_photos(self) -> bool:
        """The next call must carry the case's photos: the message it sends shows them to CS,
        or CS asked for them and the case waits for the customer to add them."""
        pending = self.state.pending
        return bool(pending and pending.attach_photos) or "photos" in self.state.waiting_for


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
        reader: Reader | None = None,
        claude: ClaudeReader | None = None,
        photos: Sequence[Photo] = (),
    ) -> None:
        self.inp = inp
        self.photos = list(photos)  # the case's photos, when the coordinator sent them
        self.desk = desk
        self.validator = validator
        self.now = now
        self.decider = decider
        self.drafter = drafter or PlainWording()
        self.reader = reader or load_reader()
        self.claude = claude  # optional: a second reading of CS's words can only withhold an offer
        self.strategy: Strategy = inp.strategy
        self.facts = CaseFacts(
            order_id=inp.order_id,
            problem_type=str(inp.problem_type),
            **inp.case.model_dump(exclude={"items"}),
        )
        raw = inp.state.model_dump() if inp.state is not None else {"started_at": now}
        self.state = NegotiationState.model_validate(raw)

    @property
    def has_photos(self) -> bool:
        """Whether the case has photos to show CS (here, or with the next call)."""
        return bool(self.photos) or self.inp.photos_available > 0

    def key(self, round_no: int) -> str:
        """The idempotency key of a round: replaying it is answered from CS's cache."""
        return f"{self.inp.session_id}:{self.inp.attempt}:{round_no}"

    def farewell_key(self) -> str:
        """The key of the message that closes the contact: never a round's key, so a farewell
        sent while a round is in flight (or replayed) cannot collide with it."""
        return f"{self.inp.session_id}:{self.inp.attempt}:close"

    def names(self) -> list[str]:
        """The order's product names (the customer's item, the order's titles), read in CS's
        words as "the item"."""
        named = [self.facts.item] if self.facts.item else []
        return list(dict.fromkeys([*named, *self.inp.case.items]))

    async def read(self, raw: object, answering_acceptance: bool = False) -> CSReply:
        """CS's reply, read from its words (and checked by Claude when configured);
        `answering_acceptance`: it answers our "yes, please go ahead"."""
        total, reading = self.strategy.item_value, None
        names = self.names()
        if self.claude is not None:
            text = reply_text(raw)
            reading = await self.claude.read_cs(
                text,
                read_cs_reply(text, self.reader, total, names, answering_acceptance),
                total,
            )
        return parse_reply(
            raw,
            self.reader,
            self.strategy.goal.currency,
            total,
            reading,
            names,
            answering_acceptance,
        )

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
        """Send the pending message, read CS's reply, act on what it says."""
        elapsed = self.now - self.state.started_at
        if self.state.round and out_of_budget(self.strategy, self.state.round, elapsed):
            return self.finish(
                "no_agreement", "the round or time budget is spent", self.state.last_offer
            )
        round_no = self.state.round + 1
        try:
            greeting = await self.ensure_contact()
            message = self.message_to_send(greeting, round_no)
            raw = await self.exchange(message, round_no)
        except CSUnavailable as error:
            return self.unavailable(str(error))
        except CSRejected as error:
            return self.rejected(error)
        reply = await self.read(raw)
        if self.state.confirming is not None and not reply.closed:
            confirmed = await self.after_confirmation(round_no, message, reply)
            if confirmed is not None:
                return confirmed
        if reply.offer is None and not reply.closed:
            handled = await self.without_offer(round_no, message, reply)
            if handled is not None:
                return handled
        decision = self.decider(
            self.strategy, self.state, reply, round_no=round_no, elapsed_s=elapsed
        )
        decision, basis = await self.confirm_with_policy(decision, reply, round_no)
        return await self.record(round_no, message, reply, decision, basis)

    def message_to_send(self, greeting: list[str], round_no: int) -> PendingMessage:
        """The message fixed by the last round, or the opening, or the customer's answer."""
        if self.state.pending is not None:
            return self.state.pending
        # the case's photos go with the opening, asked for or not: a desk that wants to see
        # the damage need not ask, and wait a round, for what we have
        shown = ["photos"] if self.photos and round_no == 1 and not self.state.waiting_for else []
        answerable = [a for a in greeting if a not in CUSTOMER_ONLY_ASKS] + shown
        asks = self.state.waiting_for or answerable
        ask = self.strategy.round_plan(round_no).ask if round_no > 1 else self.strategy.opening_ask
        return compose_ask(
            self.strategy,
            self.facts,
            ask,
            round_no,
            cs_asks=asks,
            customer_input=self.inp.customer_input if self.state.waiting_for else None,
            photos=len(self.photos) if self.state.waiting_for or shown else 0,
        )

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
        """Send one message on the open contact (with the case's photos, if it carries them)."""
        await self.ensure_contact()
        assert self.state.contact_id is not None
        if not message.attach_photos:
            return await self.desk.send(self.state.contact_id, self.key(round_no), message)
        if not self.photos:
            raise SkillError("this round shows CS the case's photos: send them with the call")
        key = self.key(round_no)
        return await self.desk.send(self.state.contact_id, key, message, self.photos)

    async def after_confirmation(
        self, round_no: int, message: PendingMessage, reply: CSReply
    ) -> RoundResult | None:
        """We restated terms: CS's explicit yes makes an agreement; other terms are a new offer."""
        restated = self.state.confirming
        assert restated is not None
        # CS's words must say yes: a structured `agreed` alone confirms nothing
        said_yes = reply.confirms and not reply.contradicts and not reply.unsure
        same = names_terms(reply, restated)
        if not said_yes and same:
            # in words of its own we cannot read, CS says back the terms we restated
            said_yes = says_back(
                reply.text,
                message.text,
                restated.amount,
                self.names(),
                restated.return_required,
                invited=True,
                named=reply.offer is not None,
            )
        if restated.return_required and reply.return_unsaid and not reply.yes_in_words:
            # "I have issued a full refund of $129.99" to our "..., with the item returned
            # first. Is that right?": a deed that leaves the return unsaid is no yes to it
            said_yes = False
        if said_yes and same:
            agreed = _confirmed_terms(restated, reply, self.names())
            report = self.fold(round_no, message, reply, "agreement", "CS confirmed the terms")
            return self.propose(agreed, "CS confirmed the terms in words", report, reply.text)
        if not same or (reply.contradicts and reply.offer is not None):
            # CS states other terms, or corrects ours in its own: weigh them as a new offer
            self.state = self.state.model_copy(update={"confirming": None, "confirm_asks": 0})
            return None
        if self.state.confirm_asks >= 2:
            report = self.fold(round_no, message, reply, "not_confirmed", "no clear yes from CS")
            return self.finish(
                "no_agreement", "CS did not confirm the terms", self.state.last_offer, report
            )
        again = compose_confirm(restated, again=True)
        report = self.fold(
            round_no, message, reply, "confirm", "asking CS again for a clear yes", pending=again
        )
        self.state = self.state.model_copy(update={"confirm_asks": self.state.confirm_asks + 1})
        return self.result(report, done=False)

    async def without_offer(
        self, round_no: int, message: PendingMessage, reply: CSReply
    ) -> RoundResult | None:
        """No offer: answer CS's questions, ask the customer what only they know, or ask CS plainly."""
        answered = set(self.state.answered)
        missing = [
            a
            for a in reply.asks
            if a in CUSTOMER_ONLY_ASKS or (a == "description" and "description" in answered)
        ]
        # photos the case has are shown to CS with the next message, without asking anyone
        from_customer = [a for a in missing if a != "photos" or not self.has_photos]
        already_given = (self.inp.customer_input or self.photos) and self.state.waiting_for
        if from_customer and not already_given:
            return self.needs_input(round_no, message, reply, missing, from_customer)
        if reply.asks:
            ask = self.strategy.round_plan(min(round_no + 1, self.strategy.max_rounds)).ask
            photos = self.photo_count() if "photos" in reply.asks else 0
            pending = compose_ask(
                self.strategy, self.facts, ask, round_no + 1, cs_asks=reply.asks, photos=photos
            )
            report = self.fold(
                round_no, message, reply, "answer", "answering CS's questions", pending=pending
            )
            return self.result(report, done=False)
        if reply.unsure and self.state.unclear < MAX_UNCLEAR:
            pending = compose_clarify_offer(self.strategy, self.facts, round_no + 1)
            report = self.fold(
                round_no,
                message,
                reply,
                "clarify",
                "CS's words are unclear: not read as an offer",
                pending=pending,
                unclear=self.state.unclear + 1,
            )
            return self.result(report, done=False)
        return None

    def photo_count(self) -> int:
        """How many photos the case has to show CS."""
        return len(self.photos) or self.inp.photos_available

    def needs_input(
        self,
        round_no: int,
        message: PendingMessage,
        reply: CSReply,
        missing: list[str],
        from_customer: list[str],
    ) -> RoundResult:
        """CS wants something only the customer has: pause and ask them (`missing` is all CS
        wants that we cannot answer from the case; `from_customer`, what only they can give)."""
        wanted = " and ".join(ASK_WORDS.get(a, a.replace("_", " ")) for a in from_customer)
        how = "add them to the case" if from_customer == ["photos"] else "send them"
        question = (
            f"Customer service asks for {wanted}. Please {how} (or tell us what they show) "
            "and we will carry on."
        )
        report = self.fold(round_no, message, reply, "needs_input", question, waiting_for=missing)
        outcome = Outcome(status="needs_input", reason=question, asks=missing, question=question)
        return RoundResult(state=self.state, round=report, done=True, outcome=outcome)

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

    def fold(
        self,
        round_no: int,
        message: PendingMessage,
        reply: CSReply,
        decision: str,
        reason: str,
        pending: PendingMessage | None = None,
        **updates: Any,
    ) -> RoundReport:
        """Fold one exchange into the state (history, counts, the next message); its report."""
        if pending is not None:
            pending = not_a_repeat(pending, message.text)  # the message this round sent
        shown = len(self.photos) if message.attach_photos else 0
        report = round_report(round_no, message, reply, decision, reason, shown)
        answering = [a for a in reply.asks if a not in CUSTOMER_ONLY_ASKS] if pending else []
        answered = list(dict.fromkeys([*self.state.answered, *answering]))
        self.state = self.state.model_copy(
            update={
                "round": round_no,
                "exchanges": self.state.exchanges + 1,
                "last_offer": reply.offer or self.state.last_offer,
                "pending": pending,
                "waiting_for": [],
                "answered": answered[:16],
                "history": [*self.state.history, history_entry(report, message.intent)][-40:],
                **updates,
            }
        )
        return report

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
        updates: dict[str, Any] = {
            "best_value": best,
            "stalled": stalled,
            "supervisor_asked": self.state.supervisor_asked or decision.kind == "supervisor",
            "unclear": 0 if reply.offer is not None else self.state.unclear,
        }
        if decision.kind == "accept" and reply.offer is not None:
            restate = compose_confirm(reply.offer)
            report = self.fold(
                round_no,
                message,
                reply,
                "confirm",
                decision.reason,
                pending=restate,
                confirming=reply.offer,
                confirm_asks=0,
                confirm_basis=basis,
                **updates,
            )
            return self.result(report, done=False)
        pending = next_message(self.strategy, self.facts, decision, reply, round_no)
        if pending is not None:
            pending = await self.drafter.redraft(pending, self.inp.order_id)
        report = self.fold(
            round_no, message, reply, decision.kind, decision.reason, pending=pending, **updates
        )
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

    def propose(self, offer: Offer, reason: str, report: RoundReport, quote: str) -> RoundResult:
        """Terms CS confirmed in words: waiting for the customer's approval."""
        outcome = Outcome(
            status="agreement",
            offer=offer,
            reason=reason,
            policy_basis=self.state.confirm_basis,
            cs_quote=quote,
        )
        self.state = self.state.model_copy(
            update={"status": "agreement", "outcome": outcome, "pending": None, "confirming": None}
        )
        metrics.NEGOTIATION_OUTCOMES.labels("agreement").inc()
        return self.result(report, done=True)

    async def accept(self) -> RoundResult:
        """Accept with CS; only terms CS confirms in words, equal to those approved, count."""
        agreed = self.state.outcome
        if self.state.status != "agreement" or agreed is None or agreed.offer is None:
            raise SkillError("nothing to accept: no agreement is on the table")
        round_no = self.state.round + 1
        message = compose_accept(agreed.offer)
        reply = await self.answer_to_acceptance(message, round_no)
        if isinstance(reply, RoundResult):
            return reply
        if self.asks_before_booking(reply, agreed.offer):
            # "Before I book it, could you confirm the order number?": answered from the case
            # with our yes said again in other words, once
            self.fold(round_no, message, reply, "answer", "CS asked something before booking")
            round_no += 1
            message = compose_accept(agreed.offer, reply.asks, self.facts)
            reply = await self.answer_to_acceptance(message, round_no)
            if isinstance(reply, RoundResult):
                return reply
        # CS's words must say yes: a structured `agreed` alone confirms nothing
        said_yes = reply.confirms and not reply.contradicts and not reply.unsure
        same = names_terms(reply, agreed.offer)
        unclear = not said_yes and same and not (reply.contradicts or reply.asks or reply.refused)
        if not said_yes and (reply.offer is None or same) and agreed.cs_quote:
            # in words of its own we cannot read, CS says back the terms it confirmed before
            said_yes = same = says_back(
                reply.text,
                agreed.cs_quote,
                agreed.offer.amount,
                self.names(),
                agreed.offer.return_required,
            )
        if unclear and not said_yes:
            # neither yes nor no in words we can read: the desk's records are asked, once
            checked = await self.verify(agreed.offer)
            if checked is not None:
                check, answer = checked
                self.fold(round_no, message, reply, "verify", "CS's answer is unclear: asked again")
                report = self.fold(
                    round_no + 1, check, answer, "accepted", "CS's records confirm it"
                )
                return self.end(self.accepted(agreed, answer), report)
        if not (said_yes and same):
            why = "CS confirmed other terms" if said_yes else "CS did not confirm the agreement"
            report = self.fold(round_no, message, reply, "not_confirmed", why)
            return self.finish("no_agreement", why, agreed.offer, report)
        report = self.fold(round_no, message, reply, "accepted", "confirmed with CS")
        return self.end(self.accepted(agreed, reply), report)

    async def answer_to_acceptance(
        self, message: PendingMessage, round_no: int
    ) -> CSReply | RoundResult:
        """Send our yes and read CS's answer to it; a desk that fails or refuses ends the call."""
        try:
            raw = await self.exchange(message, round_no)
        except CSUnavailable as error:
            return self.unavailable(str(error))
        except CSRejected as error:
            return self.rejected(error)
        return await self.read(raw, answering_acceptance=True)

    def asks_before_booking(self, reply: CSReply, terms: Offer) -> bool:
        """CS answers our yes with a question we can answer from the case, and no no, no yes
        and no other terms (what only the customer can give ends the acceptance as before)."""
        return (
            bool(reply.asks)
            and not set(reply.asks) & set(CUSTOMER_ONLY_ASKS)
            and not (reply.confirms or reply.contradicts or reply.refused or reply.closed)
            and (reply.offer is None or names_terms(reply, terms))
        )

    def accepted(self, agreed: Outcome, reply: CSReply) -> Outcome:
        """The accepted outcome: the terms as CS's words confirmed them, quoted."""
        assert agreed.offer is not None
        return agreed.model_copy(
            update={
                "status": "accepted",
                "offer": _confirmed_terms(agreed.offer, reply, self.names()),
                "reason": "accepted with CS",
                "cs_quote": reply.text,
            }
        )

    async def verify(self, terms: Offer) -> tuple[PendingMessage, CSReply] | None:
        """Ask the desk, on a new contact, whether its records show these terms booked; the
        question and its answer when the answer confirms them in words, else None. Its keys
        derive from the session and attempt, so a replay is answered from CS's cache."""
        assert self.state.contact_id is not None
        check = compose_verify(self.inp.order_id, self.state.contact_id, terms)
        key = f"{self.inp.session_id}:{self.inp.attempt}:verify"
        try:
            opened = await self.desk.open_contact(
                key + ":open", self.inp.customer_id, self.inp.order_id, str(self.inp.problem_type)
            )
            raw = await self.desk.send(opened.contact_id, key, check)
        except (CSUnavailable, CSRejected) as error:
            log.info("asking CS's records failed: %s", type(error).__name__)
            return None
        answer = await self.read(raw, answering_acceptance=True)
        confirmed = answer.confirms and not answer.contradicts and not answer.unsure
        return (check, answer) if confirmed and names_terms(answer, terms) else None

    async def walk_away(
        self, reason: str, *, report: RoundReport | None = None, cs_closed: bool = False
    ) -> RoundResult:
        """Leave politely (best effort) and report no agreement with the last offer."""
        if self.state.contact_id is not None and not cs_closed:
            round_no = self.state.round + 1
            message = compose_close()
            try:
                raw = await self.desk.send(self.state.contact_id, self.farewell_key(), message)
                self.fold(round_no, message, await self.read(raw), "walk_away", reason)
            except (CSUnavailable, CSRejected) as error:
                log.info("closing the CS contact failed: %s", type(error).__name__)
        return self.finish(
            "no_agreement", reason, self.state.last_offer, report, cs_closed=cs_closed
        )

    def finish(
        self,
        status: Literal["no_agreement"],
        reason: str,
        offer: Offer | None,
        report: RoundReport | None = None,
        *,
        cs_closed: bool = False,
    ) -> RoundResult:
        """No agreement: the reason and what was last offered."""
        outcome = Outcome(status=status, offer=offer, reason=reason, cs_closed=cs_closed)
        return self.end(outcome, report)

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
            reason = "CS closed the conversation"
            return self.finish("no_agreement", reason, self.state.last_offer, cs_closed=True)
        raise SkillError(str(error))

    def result(self, report: RoundReport | None, *, done: bool) -> RoundResult:
        """The call's output."""
        return RoundResult(state=self.state, round=report, done=done, outcome=self.state.outcome)


def _confirmed_terms(ours: Offer, reply: CSReply, names: Sequence[str]) -> Offer:
    """The agreed terms: ours as restated, with the kind and details CS's own words gave them
    ("Exactly, a like-for-like replacement" to our "a reship": CS booked a replacement)."""
    said = reply.offer
    if said is None:
        return ours
    details = {
        k: getattr(said, k)
        for k in ("amount", "restocking_fee", "refund_method", "days_to_complete")
        if getattr(said, k) is not None
    }
    # one way of shipping for the other is CS's to name, in words (the kind model alone, where
    # the words name neither, never changes the kind agreed); a sum of money keeps our kind
    shipments = {ours.type, said.type} == {OfferType.REPLACEMENT, OfferType.RESHIP}
    if (
        shipments
        and not names_remedy(reply.text, ours.type, names)
        and names_remedy(reply.text, said.type, names)
    ):
        details["type"] = said.type
    return ours.model_copy(update=details)


def photos_of(files: Sequence[Part]) -> list[Photo]:
    """The case's photos from the call's file parts; SkillError if one is not a photo we send."""
    if len(files) > MAX_PHOTOS_PER_CASE:
        raise SkillError(f"at most {MAX_PHOTOS_PER_CASE} photos go with one message")
    try:
        return [
            Photo(
                filename=part.filename or f"photo-{n}.jpg",
                content_type=part.media_type,  # type: ignore[arg-type]
                data=part_bytes(part),
            )
            for n, part in enumerate(files, start=1)
        ]
    except ValidationError as error:
        raise SkillError(
            f"a file part is not a photo CS takes: {error.error_count()} problems"
        ) from None
    except ValueError as error:
        raise SkillError(str(error)) from None


async def negotiate(inp: NegotiateInput, ctx: SkillContext) -> dict[str, Any]:
    """Skill: run one round of the CS dialogue and return the state to checkpoint."""
    app_state = ctx.app.state
    negotiation = Negotiation(
        inp,
        app_state.desk,
        app_state.validator,
        time.time(),
        drafter=app_state.drafter,
        reader=app_state.reader,
        claude=app_state.claude,
        photos=photos_of(ctx.files),
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
    FOLLOW_UP,
]
