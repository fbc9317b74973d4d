"""Issue analysis: order ids, problem type, desired outcome, amounts, dates and items from text.

Pure: the rule tables (`rules.yaml`) and the customer's orders are passed in; nothing here
touches the network or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz, process

from shared.domain import DesiredOutcome, Order, ProblemType
from shared.limits import MAX_ISSUE_CHARS

RULES_FILE = Path(__file__).with_name("rules.yaml")
ORDER_ID_LENGTH = 17
MAX_MESSAGE_CHARS = MAX_ISSUE_CHARS
_ID_SPAN = re.compile(
    r"(?<![A-Za-z0-9])#?\s*([0-9OoIl](?:[0-9OoIl]|[ \t\-\u2013.])*[0-9OoIl])"
    r"(?![A-Za-z0-9])"
)
_ID_SEPARATORS = re.compile(r"[ \t\-\u2013.]+")
_SUFFIX = re.compile(r"\b(?:ending|ends|finishing)\s+(?:in|with)\s+#?\s*(\d{3,7})\b")
_DIGIT_MAP = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_AMOUNT_SYMBOL = re.compile(
    r"(?:\$|usd\s?|us\$|€|£)\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\b", re.IGNORECASE
)
_AMOUNT_WORD = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s?(?:dollars?|bucks|usd|eur|euros?)\b",
    re.IGNORECASE,
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_ISO = re.compile(r"\b(20\d{2})-(\d{1,2})-(\d{1,2})\b")
_DATE_US = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DATE_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(20\d{{2}}))?")
_DATE_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(20\d{{2}}))?"
)
_DATE_AGO = re.compile(
    r"\b(\d{1,2}|a|an|one|two|three|four|five|six|seven|ten)\s+(day|week)s?\s+ago\b"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
}
_WORD = re.compile(r"[a-z0-9']+")


class RulesError(ValueError):
    """The rule tables are malformed."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    weight: float = Field(gt=0, le=10)


class _StatusHints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(ge=0, le=5)
    fits: dict[ProblemType, list[str]]


class ExtractionRules(BaseModel):
    """The rule tables of `rules.yaml`, validated and compiled."""

    model_config = ConfigDict(extra="forbid")

    typos: dict[str, str] = {}
    fuzzy_cutoff: float = Field(default=88, ge=50, le=100)
    fuzzy_min_length: int = Field(default=6, ge=3)
    vocabulary: list[str] = []
    protected_words: list[str] = []
    negation: str
    problem_types: dict[ProblemType, list[_Rule]]
    desired_outcomes: dict[DesiredOutcome, list[_Rule]]
    status_hints: _StatusHints
    item_stopwords: list[str] = []

    @cached_property
    def compiled_problems(self) -> list[tuple[ProblemType, list[tuple[re.Pattern[str], float]]]]:
        """Problem-type patterns, compiled, in file order."""
        return [
            (k, [(re.compile(r.pattern), r.weight) for r in v])
            for k, v in self.problem_types.items()
        ]

    @cached_property
    def compiled_outcomes(self) -> list[tuple[DesiredOutcome, list[tuple[re.Pattern[str], float]]]]:
        """Desired-outcome patterns, compiled, in file order."""
        return [
            (k, [(re.compile(r.pattern), r.weight) for r in v])
            for k, v in self.desired_outcomes.items()
        ]

    @cached_property
    def negation_re(self) -> re.Pattern[str]:
        """The negation that cancels a following match."""
        return re.compile(self.negation)

    @cached_property
    def known_words(self) -> frozenset[str]:
        """Words fuzzy correction leaves alone."""
        return (
            frozenset(self.vocabulary)
            | frozenset(self.protected_words)
            | frozenset(self.typos.values())
        )


def load_rules(path: Path | str = RULES_FILE) -> ExtractionRules:
    """Read and validate the rule tables; a broken file is a clear error."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        rules = ExtractionRules.model_validate(data)
        _ = rules.compiled_problems, rules.compiled_outcomes, rules.negation_re
    except (OSError, yaml.YAMLError, ValidationError, re.error) as exc:
        raise RulesError(f"rules file {Path(path).name}: {exc}") from exc
    return rules


# ---------------------------------------------------------------- text normalisation


def normalize_text(message: str, rules: ExtractionRules) -> str:
    """Lower-case, straighten quotes, fix known typos and near-miss keywords."""
    text = message[:MAX_MESSAGE_CHARS].lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[ \t]+", " ", text)
    return _WORD.sub(lambda m: _correct_word(m.group(0), rules), text)


def _correct_word(word: str, rules: ExtractionRules) -> str:
    """One word after the typo table and fuzzy correction."""
    if word in rules.typos:
        return rules.typos[word]
    if len(word) < rules.fuzzy_min_length or word in rules.known_words or not word.isalpha():
        return word
    match = process.extractOne(
        word, rules.vocabulary, scorer=fuzz.ratio, score_cutoff=rules.fuzzy_cutoff
    )
    if match is None or match[0].startswith(word) or word.startswith(match[0]):
        return word  # an inflection of a keyword ("charge") is not a typo of it ("charged")
    return match[0]


# ---------------------------------------------------------------- order ids


@dataclass(frozen=True)
class IdMentions:
    """Order ids in a message: well-formed ones, malformed fragments, and "ending in" suffixes."""

    ids: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


def format_order_id(digits: str) -> str:
    """`NNNNNNNNNNNNNNNNN` as `NNN-NNNNNNN-NNNNNNN`."""
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"


def normalize_order_id(raw: str) -> str | None:
    """A user-typed order id in the retailer's format, or None if it is not one."""
    mentions = find_order_ids(raw)
    return mentions.ids[0] if len(mentions.ids) == 1 else None


def find_order_ids(message: str) -> IdMentions:
    """Order ids written plainly, spaced, `#`-prefixed, glued together, or with O for 0."""
    found = IdMentions()
    for match in _ID_SPAN.finditer(message):
        groups = [g for g in _ID_SEPARATORS.split(match.group(1)) if g]
        while groups and not any(c.isdigit() for c in groups[0]):
            groups.pop(0)
        while groups and not any(c.isdigit() for c in groups[-1]):
            groups.pop()
        digits = "".join(groups).translate(_DIGIT_MAP)
        if not digits.isdigit() or sum(c.isdigit() for c in "".join(groups)) < 12:
            continue
        found.spans.append(match.span())
        if len(digits) % ORDER_ID_LENGTH == 0:
            for i in range(0, len(digits), ORDER_ID_LENGTH):
                _add_unique(found.ids, format_order_id(digits[i : i + ORDER_ID_LENGTH]))
        elif 14 <= len(digits) <= 20:
            _add_unique(found.fragments, digits)
    for match in _SUFFIX.finditer(message.lower()):
        _add_unique(found.suffixes, match.group(1))
    return found


def _add_unique(items: list[str], value: str) -> None:
    """Append unless already present (keeps first-mention order)."""
    if value not in items:
        items.append(value)


# ---------------------------------------------------------------- amounts and dates


def find_amounts(text: str) -> list[float]:
    """Money amounts ($12, 12.50 dollars, USD 1,299.00), in order of mention."""
    found: list[tuple[int, float]] = []
    for regex in (_AMOUNT_SYMBOL, _AMOUNT_WORD):
        for m in regex.finditer(text):
            value = float(m.group(1).replace(",", "") + "." + (m.group(2) or "0"))
            if 0 < value <= 1_000_000 and all(abs(start - m.start()) > 2 for start, _ in found):
                found.append((m.start(), round(value, 2)))
    return [value for _, value in sorted(found)]


def find_dates(text: str, today: date) -> list[date]:
    """Dates written as ISO, US numeric, month names, or "N days ago"; never after today."""
    found: list[tuple[int, date]] = []
    text = text.lower()
    for m in _DATE_ISO.finditer(text):
        _add_date(found, m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    for m in _DATE_US.finditer(text):
        year = int(m.group(3)) if m.group(3) else None
        year = year + 2000 if year is not None and year < 100 else year
        _add_date(found, m.start(), year, int(m.group(1)), int(m.group(2)), today)
    for m in _DATE_MONTH_DAY.finditer(text):
        _add_date(found, m.start(), _year(m.group(3)), _month(m.group(1)), int(m.group(2)), today)
    for m in _DATE_DAY_MONTH.finditer(text):
        _add_date(found, m.start(), _year(m.group(3)), _month(m.group(2)), int(m.group(1)), today)
    for m in _DATE_AGO.finditer(text):
        count = _NUMBER_WORDS.get(m.group(1)) or int(m.group(1))
        found.append(
            (m.start(), today - timedelta(days=count * (7 if m.group(2) == "week" else 1)))
        )
    if re.search(r"\byesterday\b", text):
        found.append((text.index("yesterday"), today - timedelta(days=1)))
    unique: list[date] = []
    for _, day in sorted(found):
        _add_unique(unique, day)  # type: ignore[arg-type]
    return unique


def _year(raw: str | None) -> int | None:
    return int(raw) if raw else None


def _month(raw: str) -> int:
    return _MONTHS.index(raw[:3]) + 1


def _add_date(
    found: list[tuple[int, date]], at: int, year: int | None, month: int, day: int, today: date
) -> None:
    """Record a date if it exists; a missing year means the latest such day not after today."""
    try:
        value = date(year or today.year, month, day)
        if year is None and value > today:
            value = date(today.year - 1, month, day)
    except ValueError:
        return
    if value <= today + timedelta(days=1):
        found.append((at, value))


# ---------------------------------------------------------------- classification


def _negated(text: str, start: int, rules: ExtractionRules) -> bool:
    """Whether the words right before `start` negate what follows."""
    before = text[max(0, start - 40) : start]
    before = re.split(r"[.!?;,]|\bbut\b", before)[-1]
    return bool(rules.negation_re.search(before))


def _score(
    text: str, patterns: list[tuple[re.Pattern[str], float]], rules: ExtractionRules
) -> float:
    """Total weight of the patterns that match without a negation before them."""
    total = 0.0
    for regex, weight in patterns:
        if any(not _negated(text, m.start(), rules) for m in regex.finditer(text)):
            total += weight
    return total


def classify(
    text: str,
    table: Sequence[tuple[str, list[tuple[re.Pattern[str], float]]]],
    rules: ExtractionRules,
) -> tuple[str | None, float]:
    """The best label of a rule table and a 0..1 confidence (None when nothing matched)."""
    scores = [(label, _score(text, patterns, rules)) for label, patterns in table]
    ranked = sorted(scores, key=lambda pair: pair[1], reverse=True)  # stable: file order on ties
    best_label, best = ranked[0]
    if best <= 0:
        return None, 0.0
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = min(1.0, 0.5 + 0.1 * best) * (1.0 - 0.5 * runner_up / best)
    return best_label, round(confidence, 2)


def classify_problem(text: str, rules: ExtractionRules) -> tuple[ProblemType, float]:
    """The problem type the message describes."""
    label, confidence = classify(text, rules.compiled_problems, rules)
    return (ProblemType(label), confidence) if label else (ProblemType.OTHER, 0.2)


def classify_outcome(
    text: str, rules: ExtractionRules, amounts: Sequence[float], order_total: float | None
) -> tuple[DesiredOutcome, float]:
    """The outcome the customer asks for; a partial amount near the whole total is a full refund."""
    label, confidence = classify(text, rules.compiled_outcomes, rules)
    if label is None:
        return DesiredOutcome.UNSPECIFIED, 0.5
    outcome = DesiredOutcome(label)
    if (
        outcome == DesiredOutcome.PARTIAL_REFUND
        and order_total
        and amounts
        and max(amounts) >= 0.95 * order_total
        and "keep" not in text
    ):
        outcome = DesiredOutcome.FULL_REFUND
    return outcome, confidence


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
    needs_clarification: bool
    question: str | None = None
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


def analyze_message(
    message: str,
    orders: Sequence[Order],
    rules: ExtractionRules,
    today: date,
    order_id: str | None = None,
) -> Analysis:
    """Analyse a customer's message against their orders (pure)."""
    raw = message[:MAX_MESSAGE_CHARS]
    mentions = find_order_ids(raw)
    hint = normalize_order_id(order_id) if order_id else None
    if order_id and hint is None:
        mentions.fragments.append(re.sub(r"\D", "", order_id.translate(_DIGIT_MAP)))
    text = normalize_text(_blank_spans(raw, mentions.spans), rules)
    amounts, dates = find_amounts(text), find_dates(text, today)
    problem, problem_conf = classify_problem(text, rules)
    if hint and hint not in mentions.ids:
        mentions.ids.insert(0, hint)  # a given id that is not the customer's is fuzzy-matched too
    ids = mentions.ids
    resolution = resolve_order(hint, ids, mentions, text, amounts, dates, problem, orders, rules)
    chosen = resolution.order
    outcome, outcome_conf = classify_outcome(text, rules, amounts, chosen.total if chosen else None)
    confidence = round(0.5 * resolution.confidence + 0.3 * problem_conf + 0.2 * outcome_conf, 2)
    item = resolution.item or (item_match(text, chosen, rules)[0] if chosen else None)
    return Analysis(
        order_id=chosen.order_id if chosen else None,
        problem_type=problem,
        desired_outcome=outcome,
        confidence=confidence,
        needs_clarification=chosen is None,
        question=None if chosen else clarification_question(resolution.candidates, orders),
        candidates=[o.order_id for o in resolution.candidates],
        amounts=amounts,
        dates=dates,
        item=item,
        mentioned_order_ids=list(dict.fromkeys(ids)),
        evidence=list(resolution.evidence),
    )


def _blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace order-id spans with spaces so their digits are not read as amounts or dates."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


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
