"""The CS dialogue: one round at a time (pure decisions) and the CS desk client at the edge."""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, ValidationError
from tenacity import RetryCallState, retry_if_exception
from tenacity.wait import wait_base

from negotiation_agent.strategy import (
    HARD_MAX_ROUNDS,
    Strategy,
    describe_offer,
    offer_value,
    score_offer,
)
from shared import metrics
from shared.domain import Offer, OfferType
from shared.limits import CS_MAX_ATTEMPTS, CS_TIMEOUT_S
from shared.logs import get_logger
from shared.retry import is_transient, transient_retry

log = get_logger(__name__)

CS_TEXT_LIMIT = 500
SENT_TEXT_LIMIT = 2000
CITATION_LIMIT = 240
HISTORY_LIMIT = 2 * HARD_MAX_ROUNDS + 4
NEAR_DEADLINE_SHARE = 0.8
STALL_ROUNDS = 2
STUCK_AFTER_SUPERVISOR = 2  # rounds without movement after a supervisor review before leaving

Intent = Literal["ask", "accept", "supervisor", "close"]
DecisionKind = Literal["accept", "counter", "supervisor", "walk_away"]
Status = Literal["open", "agreement", "accepted", "no_agreement", "cs_unavailable"]

_PROBLEM_WORDS = {
    "damaged_item": "the item arrived damaged",
    "defective_item": "the item is defective",
    "wrong_item": "the wrong item was delivered",
    "missing_parts": "the item arrived with parts missing",
    "not_delivered": "the order was never delivered",
    "late_delivery": "the order arrived late",
    "not_as_described": "the item is not as described",
    "billing_error": "the order was billed incorrectly",
    "refund_not_received": "a refund that was promised has not arrived",
    "unwanted_item": "the customer wants to return the item",
    "other": "there is a problem with the order",
}


# ---------------------------------------------------------------- the state of a negotiation


class PendingMessage(BaseModel):
    """The message the next round sends: fixed in advance so a replay sends the same body."""

    intent: Intent
    text: str = Field(max_length=SENT_TEXT_LIMIT)
    ask: Offer | None = None
    citations: list[str] = Field(default_factory=list, max_length=10)

    def body(self) -> dict[str, Any]:
        """The CS desk's message body."""
        body: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent,
            "citations": self.citations,
        }
        if self.ask is not None:
            body["ask"] = self.ask.model_dump(exclude_none=True)
        return body


class HistoryEntry(BaseModel):
    """One round as it happened (CS text sanitized and capped)."""

    round: int
    intent: Intent
    sent: str = Field(max_length=SENT_TEXT_LIMIT)
    cs_text: str = Field(default="", max_length=CS_TEXT_LIMIT + 1)
    cs_offer: Offer | None = None
    decision: str
    reason: str = Field(default="", max_length=500)


class Outcome(BaseModel):
    """How a negotiation ended (or the agreement awaiting the customer's approval)."""

    status: Literal["agreement", "accepted", "no_agreement", "cs_unavailable"]
    offer: Offer | None = None
    reason: str = Field(max_length=1000)
    alternatives: list[str] = Field(default_factory=list, max_length=10)
    policy_basis: list[str] = Field(default_factory=list, max_length=50)


class NegotiationState(BaseModel):
    """Everything needed to resume a negotiation after a crash, returned with every round."""

    contact_id: str | None = Field(default=None, max_length=200)
    round: int = Field(default=0, ge=0, le=HARD_MAX_ROUNDS + 2)
    exchanges: int = Field(default=0, ge=0, le=HARD_MAX_ROUNDS + 2)
    status: Status = "open"
    last_offer: Offer | None = None
    best_value: float = 0.0
    stalled: int = 0
    supervisor_asked: bool = False
    pending: PendingMessage | None = None
    history: list[HistoryEntry] = Field(default_factory=list, max_length=HISTORY_LIMIT)
    started_at: float = Field(default_factory=time.time)
    outcome: Outcome | None = None  # kept so a replayed call answers the same


class Decision(BaseModel):
    """What we do about CS's latest reply."""

    kind: DecisionKind
    reason: str
    ask: Offer | None = None


class CSReply(BaseModel):
    """A CS desk reply, parsed defensively."""

    text: str = ""
    offer: Offer | None = None
    asks: list[str] = Field(default_factory=list)
    closed: bool = False
    agreed: bool = False
    offer_source: Literal["structured", "text", "none"] = "none"
    refused: bool = False  # CS said in its structured offer that it offers nothing


# ---------------------------------------------------------------- untrusted CS text


def sanitize_cs_text(text: object, limit: int = CS_TEXT_LIMIT) -> str:
    """CS text made safe to store: printable, one line, whitespace collapsed, capped."""
    raw = text if isinstance(text, str) else ""
    printable = "".join(
        ch if unicodedata.category(ch)[0] not in "C" else " " for ch in raw[: limit * 4]
    )
    flat = re.sub(r"\s+", " ", printable).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,7}(?:\.\d{1,2})?)"
_AMOUNT = re.compile(rf"(?:[$€£]\s*{_NUMBER})|(?:{_NUMBER}\s*(?:usd|dollars|eur|euros|gbp)\b)")
_NEGATION = re.compile(r"\b(?:not|no|cannot|can't|can ?not|unable|won't|never|unfortunately)\b")
_CLAUSE_SPLIT = re.compile(r"[.;!?](?=\s|$)|\bbut\b|\bhowever\b|\binstead\b")
_KINDS: tuple[tuple[re.Pattern[str], OfferType], ...] = (
    (
        re.compile(r"\bfull refund\b|\brefund (?:the|your) (?:full|entire|whole)\b"),
        OfferType.FULL_REFUND,
    ),
    (
        re.compile(r"\bstore credit\b|\bgift card\b|\bvoucher\b|\baccount credit\b"),
        OfferType.STORE_CREDIT,
    ),
    (re.compile(r"\bpartial refund\b|\brefund of\b|\brefund\b"), OfferType.PARTIAL_REFUND),
    (re.compile(r"\breplacement\b|\breplace\b"), OfferType.REPLACEMENT),
    (re.compile(r"\breship\b|\bresend\b|\bsend (?:it|the order) again\b"), OfferType.RESHIP),
)


def extract_offer(text: str, currency: str = "USD") -> Offer | None:
    """An offer read from CS's words, when they sent no structured one; None when unsure."""
    lowered = text.lower()
    for clause in _CLAUSE_SPLIT.split(lowered):
        if _NEGATION.search(clause):
            continue
        offer = _offer_in_clause(clause, lowered, currency)
        if offer is not None:
            return offer
    return None


def _offer_in_clause(clause: str, whole: str, currency: str) -> Offer | None:
    kind = next((k for pattern, k in _KINDS if pattern.search(clause)), None)
    if kind is None:
        return None
    match = _AMOUNT.search(clause)
    amount = float((match.group(1) or match.group(2)).replace(",", "")) if match else None
    if kind is OfferType.PARTIAL_REFUND and amount is None:
        return None  # "a refund" with no amount is too vague to score
    needs_return = bool(
        re.search(
            r"\breturn (?:is )?required\b|\bsend (?:it|the item) back\b|"
            r"\bship (?:it|the item) back\b|\bmust (?:be )?return",
            whole,
        )
    )
    fee = re.search(r"restocking fee of\s*[$€£]?\s*(\d{1,6}(?:\.\d{1,2})?)", whole)
    try:
        return Offer(
            type=kind,
            amount=amount,
            currency=currency,
            return_required=needs_return,
            restocking_fee=float(fee.group(1)) if fee else None,
        )
    except ValidationError:
        return None  # an absurd amount is no offer


def parse_reply(payload: object, currency: str = "USD") -> CSReply:
    """A CS reply from whatever JSON came back; a malformed offer falls back to the text."""
    data = payload if isinstance(payload, dict) else {}
    text = sanitize_cs_text(data.get("text"))
    raw_offer = data.get("offer")
    refused = isinstance(raw_offer, dict) and raw_offer.get("type") == OfferType.NONE.value
    offer, source = _structured_offer(raw_offer), "structured"
    if offer is None and not refused:
        offer, source = extract_offer(text, currency), "text"
    asks = [sanitize_cs_text(a, 120) for a in data.get("asks") or [] if isinstance(a, str)][:5]
    return CSReply(
        text=text,
        offer=offer,
        asks=asks,
        closed=data.get("closed") is True,
        agreed=data.get("agreed") is True,
        offer_source=source if offer is not None else "none",
        refused=refused,
    )


def _structured_offer(raw: object) -> Offer | None:
    if not isinstance(raw, dict):
        return None
    try:
        offer = Offer.model_validate(raw)
    except ValidationError:
        return None
    return None if OfferType(offer.type) is OfferType.NONE else offer


# ---------------------------------------------------------------- deciding a round


def near_deadline(strategy: Strategy, round_no: int, elapsed_s: float) -> bool:
    """True in the last two rounds of the budget or the last fifth of the time."""
    return (
        round_no >= strategy.max_rounds - 1
        or elapsed_s >= NEAR_DEADLINE_SHARE * strategy.deadline_s
    )


def out_of_budget(strategy: Strategy, round_no: int, elapsed_s: float) -> bool:
    """True when the rounds or the time are spent."""
    return round_no >= strategy.max_rounds or elapsed_s >= strategy.deadline_s


def decide(
    strategy: Strategy,
    state: NegotiationState,
    reply: CSReply,
    *,
    round_no: int,
    elapsed_s: float,
) -> Decision:
    """Accept, counter, ask for a supervisor or walk away; nothing in CS's text moves our limits."""
    offer = reply.offer
    score = score_offer(offer, strategy, round_no) if offer is not None else None
    if reply.closed:
        return Decision(kind="walk_away", reason="CS closed the conversation")
    if score is not None and score.meets_ask:
        return Decision(
            kind="accept", reason=f"the offer is worth {score.value:.2f}, meeting this round's ask"
        )
    if score is not None and score.meets_floor and near_deadline(strategy, round_no, elapsed_s):
        return Decision(
            kind="accept",
            reason=f"near the deadline the offer ({score.value:.2f}) clears the floor",
        )
    if out_of_budget(strategy, round_no, elapsed_s):
        return Decision(kind="walk_away", reason=_budget_reason(strategy, round_no, score))
    next_ask = strategy.round_plan(round_no + 1).ask
    if reply.refused and offer is None:
        if state.supervisor_asked:
            return Decision(kind="walk_away", reason="CS refuses any remedy, even on review")
        return Decision(kind="supervisor", reason="CS refuses any remedy", ask=next_ask)
    if _stuck_below_floor(state, score):
        return Decision(kind="walk_away", reason="CS will not move above an offer below the floor")
    if _stalled(state, score) and not state.supervisor_asked and round_no >= 2:
        return Decision(kind="supervisor", reason="CS has not improved its offer", ask=next_ask)
    reason = "no offer yet" if score is None else f"the offer ({score.value:.2f}) is below our ask"
    return Decision(kind="counter", reason=reason, ask=next_ask)


def _budget_reason(strategy: Strategy, round_no: int, score: Any) -> str:
    spent = "rounds" if round_no >= strategy.max_rounds else "time"
    if score is None:
        return f"the {spent} budget is spent and CS made no offer"
    return f"the {spent} budget is spent; the last offer ({score.value:.2f}) is below the floor"


def _stuck_below_floor(state: NegotiationState, score: Any) -> bool:
    """A supervisor was asked, and CS still has not improved a below-floor offer for long."""
    if score is None or score.meets_floor or not state.supervisor_asked:
        return False
    return _stalled(state, score) and state.stalled + 1 >= STALL_ROUNDS + STUCK_AFTER_SUPERVISOR


def _stalled(state: NegotiationState, score: Any) -> bool:
    if score is None:
        return False  # questions without an offer are not a stall
    return score.value <= state.best_value + 0.005 and state.stalled + 1 >= STALL_ROUNDS


def advance(state: NegotiationState, reply: CSReply, strategy: Strategy) -> tuple[float, int]:
    """The best value seen so far and the count of rounds without improvement."""
    if reply.offer is None:
        return state.best_value, state.stalled
    value = offer_value(reply.offer, strategy.item_value)
    if value > state.best_value + 0.005:
        return value, 0
    return state.best_value, state.stalled + 1


# ---------------------------------------------------------------- composing our messages


class CaseFacts(BaseModel):
    """The facts our messages state."""

    order_id: str
    problem_type: str


def _citation_line(strategy: Strategy, round_no: int) -> tuple[str, list[str]]:
    """The policies to cite this round: the goal's backing first, one more in rotation."""
    args = strategy.arguments
    if not args:
        return "", []
    chosen = [args[0]]
    if len(args) > 1:
        chosen.append(args[1 + (round_no - 1) % (len(args) - 1)])
    parts = []
    for arg in chosen:
        quote = sanitize_cs_text(arg.citation, CITATION_LIMIT)
        parts.append(f'{arg.policy_id} ("{quote}")' if quote else arg.policy_id)
    return "Under " + " and ".join(parts) + ", ", [a.policy_id for a in chosen]


def compose_ask(
    strategy: Strategy,
    facts: CaseFacts,
    ask: Offer,
    round_no: int,
    *,
    cs_offer: Offer | None = None,
    cs_asks: list[str] | None = None,
    intent: Intent = "ask",
) -> PendingMessage:
    """A polite, specific message: the order, the problem, the ask, the policies."""
    problem = _PROBLEM_WORDS.get(facts.problem_type, _PROBLEM_WORDS["other"])
    cites, ids = _citation_line(strategy, round_no)
    lines = []
    if round_no == 1:
        lines.append(
            f"Hello, I am writing on behalf of the customer about order {facts.order_id}: {problem}."
        )
    elif cs_offer is not None:
        lines.append(
            f"Thank you for offering a {describe_offer(cs_offer)}; it falls short of what policy provides."
        )
    else:
        lines.append(f"Thank you. To restate the case: order {facts.order_id}, {problem}.")
    if cs_asks:
        lines.append(
            f"You asked about: {'; '.join(cs_asks)}. Order {facts.order_id}; {problem}; "
            "the customer can provide further details or photos if needed."
        )
    if intent == "supervisor":
        lines.append(
            "As we have not found a solution, I would like a supervisor to review this case."
        )
    lines.append(
        f"{cites}the customer is entitled to a {describe_offer(ask)}. Could you please arrange it?"
    )
    text = " ".join(lines)[:SENT_TEXT_LIMIT]
    return PendingMessage(intent=intent, text=text, ask=ask, citations=ids)


def compose_accept(offer: Offer) -> PendingMessage:
    """Accepting CS's latest offer."""
    return PendingMessage(
        intent="accept", text=f"Thank you, the customer accepts the {describe_offer(offer)}."
    )


def compose_close() -> PendingMessage:
    """Leaving the conversation politely."""
    return PendingMessage(
        intent="close",
        text="Thank you for your time. We could not reach an agreement and will pursue this elsewhere.",
    )


def next_message(
    strategy: Strategy, facts: CaseFacts, decision: Decision, reply: CSReply, round_no: int
) -> PendingMessage | None:
    """The message the next round will send for this decision (None when there is none)."""
    if decision.kind not in ("counter", "supervisor") or decision.ask is None:
        return None
    intent: Intent = "supervisor" if decision.kind == "supervisor" else "ask"
    return compose_ask(
        strategy,
        facts,
        decision.ask,
        round_no + 1,
        cs_offer=reply.offer,
        cs_asks=reply.asks,
        intent=intent,
    )


# ---------------------------------------------------------------- the CS desk at the edge


class OpenedContact(BaseModel):
    """A new CS conversation: its id and the details the greeting asks for."""

    contact_id: str
    asks: list[str] = Field(default_factory=list)


class CSDeskError(Exception):
    """Base class of the CS desk client's errors."""


class CSUnavailable(CSDeskError):
    """CS could not be reached, or kept failing, after every attempt."""


class CSRejected(CSDeskError):
    """CS refused the request (4xx): unknown contact or order, closed contact, key reuse."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"CS refused the request (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


def is_cs_transient(error: BaseException) -> bool:
    """Transient for CS: the fleet's transient errors plus any 5xx."""
    if isinstance(error, httpx.HTTPStatusError) and error.response.status_code >= 500:
        return True
    return is_transient(error)


class CSDesk:
    """The retailer's CS desk over HTTP: idempotent posts, timeouts, retries with backoff."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        timeout_s: float = CS_TIMEOUT_S,
        max_attempts: int = CS_MAX_ATTEMPTS,
        wait: wait_base | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._attempts = max(1, max_attempts)
        self._wait = wait

    async def open_contact(
        self, key: str, customer_id: str, order_id: str, problem_type: str
    ) -> OpenedContact:
        """Open a conversation; returns its id and what the greeting asks for."""
        body = {"customer_id": customer_id, "order_id": order_id, "problem_type": problem_type}
        payload = await self._post("open_contact", "/v1/contacts", key, body)
        data = payload if isinstance(payload, dict) else {}
        contact_id = data.get("contact_id")
        if not isinstance(contact_id, str) or not 0 < len(contact_id) <= 200:
            raise CSUnavailable("CS answered the contact request without a contact id")
        return OpenedContact(contact_id=contact_id, asks=parse_reply(data).asks)

    async def send(self, contact_id: str, key: str, message: PendingMessage) -> object:
        """Send one message; returns CS's raw JSON reply."""
        path = f"/v1/contacts/{quote(contact_id, safe='')}/messages"  # CS's id: untrusted
        return await self._post("message", path, key, message.body())

    async def ping(self) -> bool:
        """True when the desk answers its health check."""
        try:
            response = await self._http.get(
                f"{self._base}/healthz", timeout=min(self._timeout, 2.0)
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _post(self, operation: str, path: str, key: str, body: dict[str, Any]) -> object:
        started = time.perf_counter()
        result = "ok"
        try:
            return await self._post_with_retry(operation, path, key, body)
        except CSRejected:
            result = "rejected"
            raise
        except CSUnavailable:
            result = "unavailable"
            raise
        finally:
            metrics.CS_CALLS.labels(operation, result).inc()
            metrics.CS_CALL_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def _post_with_retry(
        self, operation: str, path: str, key: str, body: dict[str, Any]
    ) -> object:
        retrying = transient_retry(self._attempts, on_retry=self._on_retry(operation))
        retrying = retrying.copy(retry=retry_if_exception(is_cs_transient))
        if self._wait is not None:
            retrying = retrying.copy(wait=self._wait)
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._post_once(operation, path, key, body)
        except httpx.TimeoutException as error:
            raise CSUnavailable(f"CS timed out after {self._attempts} attempts") from error
        except (httpx.TransportError, httpx.HTTPStatusError) as error:
            raise CSUnavailable(
                f"CS unavailable after {self._attempts} attempts: {type(error).__name__}"
            ) from error
        return _json_or_none(response)

    async def _post_once(
        self, operation: str, path: str, key: str, body: dict[str, Any]
    ) -> httpx.Response:
        try:
            response = await self._http.post(
                self._base + path,
                json=body,
                headers={"Idempotency-Key": key},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            metrics.CS_TIMEOUTS.labels(operation).inc()
            raise
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()
        if response.status_code >= 400:
            raise CSRejected(response.status_code, _detail(response))
        return response

    @staticmethod
    def _on_retry(operation: str) -> Any:
        def record(state: RetryCallState) -> None:
            metrics.CS_RETRIES.labels(operation).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "retrying CS %s (attempt %d): %s",
                operation,
                state.attempt_number,
                type(error).__name__,
            )

        return record


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return sanitize_cs_text(response.text, 200)
    detail = payload.get("detail") if isinstance(payload, dict) else None
    return sanitize_cs_text(detail if isinstance(detail, str) else str(payload), 200)
