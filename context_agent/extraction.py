"""Issue analysis: order ids, problem type, desired outcome, amounts, dates and items from text.

Pure: the rule tables (`rules.yaml`) and the customer's orders are passed in; nothing here
touches the network or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

from shared.domain import DesiredOutcome, Order, ProblemType
from shared.language.customer import Choice, CustomerReading, read_customer_message
from shared.language.entities import (
    IdMentions,
    blank_spans,
    find_amounts,
    find_dates,
    find_order_ids,
    normalize_order_id,
)
from shared.language.normalize import MAX_TEXT_CHARS, normalize
from shared.language.reader import Reader

RULES_FILE = Path(__file__).with_name("rules.yaml")
MAX_MESSAGE_CHARS = MAX_TEXT_CHARS
_DIGIT_MAP = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_WORD = re.compile(r"[a-z0-9']+")
__all__ = ["find_order_ids", "normalize_order_id", "find_amounts", "find_dates", "IdMentions"]


class RulesError(ValueError):
    """The rule tables are malformed."""


class _StatusHints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(ge=0, le=5)
    fits: dict[ProblemType, list[str]]


class ExtractionRules(BaseModel):
    """The order-matching tables of `rules.yaml`, validated."""

    model_config = ConfigDict(extra="forbid")

    status_hints: _StatusHints
    item_stopwords: list[str] = []


def load_rules(path: Path | str = RULES_FILE) -> ExtractionRules:
    """Read and validate the rule tables; a broken file is a clear error."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return ExtractionRules.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"rules file {Path(path).name}: {exc}") from exc


def normalize_text(message: str) -> str:
    """Lower-case, straight quotes, single spaces: what order matching reads."""
    return normalize(message).lower()


# ---------------------------------------------------------------- matching orders


@dataclass(frozen=True)
class OrderMatch:
    """How well one of the customer's orders fits the message."""

    order: Order
    score: float
    item: str | None
    evidence: tuple[str, ...]


def _title_words(title: str, rules: ExtractionRules) -> list[str]:
    """The telling words of an item title."""
    stop = set(rules.item_stopwords)
    return [
        w for w in _WORD.findall(title.lower()) if len(w) >= 3 and w not in stop and not w.isdigit()
    ]


def item_match(text: str, order: Order, rules: ExtractionRules) -> tuple[str | None, float]:
    """The order's item the message names, and how strongly (0..1)."""
    words = set(_WORD.findall(text))
    best: tuple[str | None, float] = (None, 0.0)
    for item in order.items:
        title_words = _title_words(item.title, rules)
        if not title_words:
            continue
        hits = sum(
            1
            for w in title_words
            if w in words or process.extractOne(w, words, scorer=fuzz.ratio, score_cutoff=85)
        )
        strength = min(1.0, hits / min(2, len(title_words)))
        if strength > best[1]:
            best = (item.title, strength)
    return best


def score_order(
    order: Order,
    text: str,
    mentions: IdMentions,
    amounts: Sequence[float],
    dates: Sequence[date],
    problem: ProblemType,
    rules: ExtractionRules,
) -> OrderMatch:
    """Evidence that the message is about this order: id likeness, item, amount, date, status."""
    digits = order.order_id.replace("-", "")
    score, evidence = 0.0, []
    likeness = max(
        (fuzz.ratio(f.replace("-", ""), digits) for f in [*mentions.ids, *mentions.fragments]),
        default=0.0,
    )
    if likeness >= 80:
        score += 4.0 * likeness / 100
        evidence.append("order number close to the one given")
    if any(digits.endswith(s) for s in mentions.suffixes):
        score += 3.0
        evidence.append("order number ending")
    item, strength = item_match(text, order, rules)
    if strength > 0:
        score += 2.5 * strength
        evidence.append("item named")
    prices = [
        order.total,
        *(i.price * i.quantity for i in order.items),
        *(i.price for i in order.items),
    ]
    if any(abs(a - p) < 0.015 for a in amounts for p in prices):
        score += 2.0
        evidence.append("amount matches")
    days = [d for d in (order.order_date, order.delivered_date) if d is not None]
    if any(abs((d - m).days) <= 1 for d in days for m in dates):
        score += 1.5
        evidence.append("date matches")
    if order.status in rules.status_hints.fits.get(problem, []):
        score += rules.status_hints.weight
    return OrderMatch(
        order=order,
        score=round(score, 3),
        item=item if strength > 0 else None,
        evidence=tuple(evidence),
    )


# ---------------------------------------------------------------- the analysis


class Analysis(BaseModel):
    """What the message says, and which order it is about."""

    order_id: str | None
    problem_type: ProblemType
    desired_outcome: DesiredOutcome
    confidence: float
    problem_confidence: float = 1.0
    outcome_confidence: float = 1.0
    needs_clarification: bool
    question: str | None = None
    choices: list[dict[str, str]] = []
    candidates: list[str] = []
    amounts: list[float] = []
    dates: list[date] = []
    item: str | None = None
    mentioned_order_ids: list[str] = []
    evidence: list[str] = []


@dataclass(frozen=True)
class _Resolution:
    order: Order | None
    confidence: float
    candidates: list[Order]
    evidence: tuple[str, ...] = ()
    item: str | None = None


@dataclass(frozen=True)
class Hints:
    """What the customer already told us by picking a choice (wins over any reading)."""

    problem_type: ProblemType | None = None
    desired_outcome: DesiredOutcome | None = None
    asked: bool = False  # the customer was asked once already: take the best reading now


def analyze_message(
    message: str,
    orders: Sequence[Order],
    rules: ExtractionRules,
    reader: Reader,
    today: date,
    order_id: str | None = None,
    hints: Hints | None = None,
    reading: CustomerReading | None = None,
) -> Analysis:
    """Analyse a customer's message against their orders (pure); `reading` if already read."""
    hints = hints or Hints()
    raw = message[:MAX_MESSAGE_CHARS]
    mentions = find_order_ids(raw)
    hint = normalize_order_id(order_id) if order_id else None
    if order_id and hint is None:
        mentions.fragments.append(re.sub(r"\D", "", order_id.translate(_DIGIT_MAP)))
    plain = blank_spans(raw, mentions.spans)
    text = normalize_text(plain)
    amounts, dates = find_amounts(text), find_dates(text, today)
    if reading is None:
        reading = read_customer_message(plain, reader, item_names(orders))
    problem = hints.problem_type or ProblemType(reading.problem_type)
    if hint and hint not in mentions.ids:
        mentions.ids.insert(0, hint)  # a given id that is not the customer's is fuzzy-matched too
    ids = mentions.ids
    resolution = resolve_order(hint, ids, mentions, text, amounts, dates, problem, orders, rules)
    chosen = resolution.order
    outcome = hints.desired_outcome or DesiredOutcome(reading.desired_outcome)
    choices = [] if chosen is None else _reading_choices(reading, hints)
    problem_conf = 1.0 if hints.problem_type else reading.problem_confidence
    outcome_conf = 1.0 if hints.desired_outcome else reading.outcome_confidence
    confidence = round(0.5 * resolution.confidence + 0.3 * problem_conf + 0.2 * outcome_conf, 2)
    item = resolution.item or (item_match(text, chosen, rules)[0] if chosen else None)
    if chosen is None:
        question: str | None = clarification_question(resolution.candidates, orders)
        choices = [_order_choice(o) for o in resolution.candidates]
    else:
        question = reading.question() if choices else None
    return Analysis(
        order_id=chosen.order_id if chosen else None,
        problem_type=problem,
        desired_outcome=outcome,
        confidence=confidence,
        problem_confidence=round(problem_conf, 3),
        outcome_confidence=round(outcome_conf, 3),
        needs_clarification=chosen is None or bool(choices),
        question=question,
        choices=[c.as_dict() for c in choices],
        candidates=[o.order_id for o in resolution.candidates],
        amounts=amounts,
        dates=dates,
        item=item,
        mentioned_order_ids=list(dict.fromkeys(ids)),
        evidence=list(resolution.evidence),
    )


def read_message(message: str, reader: Reader, orders: Sequence[Order] = ()) -> CustomerReading:
    """The problem and wish of a message as `analyze_message` reads them (order ids and the
    orders' product names set aside)."""
    raw = message[:MAX_MESSAGE_CHARS]
    plain = blank_spans(raw, find_order_ids(raw).spans)
    return read_customer_message(plain, reader, item_names(orders))


def item_names(orders: Sequence[Order]) -> list[str]:
    """The product names of the customer's orders (the reader reads them as "the item")."""
    return list(dict.fromkeys(item.title for order in orders for item in order.items))


def _reading_choices(reading: CustomerReading, hints: Hints) -> list[Choice]:
    """Choices to offer when the reading is unsure and the customer has not settled it."""
    if hints.asked:
        return []
    if hints.problem_type is not None and reading.unsure_problem:
        return []
    if hints.desired_outcome is not None and not reading.unsure_problem:
        return []
    return reading.choices()


def _order_choice(order: Order) -> Choice:
    label = f"{order.order_id}: {_order_label(order)}, ordered {order.order_date.isoformat()}"
    return Choice(f"order:{order.order_id}", label, order_id=order.order_id)


def resolve_order(
    hint: str | None,
    ids: Sequence[str],
    mentions: IdMentions,
    text: str,
    amounts: Sequence[float],
    dates: Sequence[date],
    problem: ProblemType,
    orders: Sequence[Order],
    rules: ExtractionRules,
) -> _Resolution:
    """Pick the order: the given id, a single named id, else the clear best fuzzy match, else ask."""
    by_id = {o.order_id: o for o in orders}
    if hint in by_id:
        return _Resolution(by_id[hint], 1.0, [by_id[hint]], ("order number given",))
    known = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    if len(known) == 1:
        return _Resolution(known[0], 0.95, known, ("order number in the message",))
    pool = known or list(orders)
    if not pool:
        return _Resolution(None, 0.0, [])
    matches = sorted(
        (score_order(o, text, mentions, amounts, dates, problem, rules) for o in pool),
        key=lambda m: m.score,
        reverse=True,
    )
    return _decide(matches, several_named=len(known) > 1)


def _decide(matches: Sequence[OrderMatch], several_named: bool) -> _Resolution:
    """Accept the top match when it stands clearly above the rest, else list candidates."""
    top = matches[0]
    second = matches[1].score if len(matches) > 1 else 0.0
    strong = [m for m in matches if m.score > 0] or list(matches)
    if len(matches) == 1 and not several_named:
        return _Resolution(
            top.order, 0.6 if top.score < 2 else 0.85, [top.order], top.evidence, top.item
        )
    if top.score >= 1.25 and top.score - second >= 1.0 and top.evidence:
        confidence = min(0.9, 0.5 + 0.08 * top.score)
        return _Resolution(top.order, confidence, [top.order], top.evidence, top.item)
    close = [m.order for m in strong if m.score >= top.score - 1.0][:4] if top.score > 0 else []
    return _Resolution(None, 0.0, close or [m.order for m in matches[:4]])


def clarification_question(candidates: Sequence[Order], orders: Sequence[Order]) -> str:
    """A question naming the candidate orders by number, item and date."""
    if not orders:
        return (
            "We could not find any order on your account. Which order number "
            "(format 123-1234567-1234567) is this about?"
        )
    if not candidates:
        candidates = list(orders)[:4]
    named = [
        f"{o.order_id} ({_order_label(o)}, ordered {o.order_date.isoformat()})" for o in candidates
    ]
    listing = "; ".join(named)
    return f"Which order is this about: {listing}? Please reply with the order number."


def _order_label(order: Order) -> str:
    """A short label of an order's contents."""
    if not order.items:
        return "no items"
    first = order.items[0].title
    first = first if len(first) <= 50 else first[:47] + "..."
    more = len(order.items) - 1
    return first + (f" and {more} more item{'s' if more > 1 else ''}" if more else "")
