"""How the desk reads a customer's words on the text channel: what they want and what they mean.

A person on a CS chat reads the message, not a form: is the customer accepting the offer,
asking me to confirm the terms, asking for my supervisor, saying goodbye, or asking for
something (and what, for how much)? This module is that reading, pure and independent:
the mock plays the outside world, so it never borrows the negotiator's reader.

The reading works sentence by sentence. A cue counts only where it is meant: "we accept"
is an acceptance, "we don't accept", "would you accept ...?" and "if you can do $100, we
accept" are not; a remedy the customer attributes to the agent ("thank you for offering
$40 in credit") or rules out ("not store credit") is not what they ask for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from shared.domain import Offer, OfferType

CENT = 0.005
# How far a money amount may sit from the remedy it belongs to, in characters.
AMOUNT_REACH = 45
TWINS = frozenset({OfferType.REPLACEMENT, OfferType.RESHIP})
REFUNDS = frozenset({OfferType.FULL_REFUND, OfferType.PARTIAL_REFUND})


class Intent(StrEnum):
    """What a customer's message is for."""

    ASK = "ask"
    ACCEPT = "accept"
    SUPERVISOR = "supervisor"
    CLOSE = "close"
    CONFIRM = "confirm"
    FOLLOW_UP = "follow_up"  # chasing a remedy agreed on an earlier contact


@dataclass(frozen=True)
class StatedTerms:
    """Terms as a customer restates them; None where the message says nothing about a term."""

    type: OfferType | None = None
    amount: float | None = None
    return_required: bool | None = None
    restocking_fee: float | None = None
    some_refund: bool = False  # "the refund", no amount: a full or a partial one alike

    @classmethod
    def of(cls, ask: Offer) -> StatedTerms:
        """The terms of a structured ask (a fee left out is not a claim that there is none)."""
        return cls(OfferType(ask.type), ask.amount, ask.return_required, ask.restocking_fee)

    @property
    def empty(self) -> bool:
        return self == StatedTerms()

    def matches(self, offer: Offer) -> bool:
        """Whether every term stated agrees with `offer` (a replacement and a reship are alike)."""
        kind = OfferType(offer.type)
        alike = {self.type, kind} == TWINS or (self.some_refund and kind in REFUNDS)
        if self.type is not None and self.type != kind and not alike:
            return False
        if self.amount is not None and offer.amount is not None:
            if abs(self.amount - offer.amount) > CENT:
                return False
        if self.return_required is not None and self.return_required != offer.return_required:
            return False
        if self.restocking_fee is not None:
            return abs(self.restocking_fee - (offer.restocking_fee or 0.0)) <= CENT
        return True


@dataclass(frozen=True)
class Reading:
    """One message as the desk understands it."""

    intent: Intent
    ask: Offer | None
    terms: StatedTerms


# ---- sentences and cues ----------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_NEGATION = re.compile(
    r"\b(not|no|never|cannot|can'?t|won'?t|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wouldn'?t|"
    r"unable|refuse|refuses|reject|rejects|rejecting|decline|declines|declining|"
    r"instead of|rather than|other than|without)\b"
)
_HARMLESS_NO = re.compile(r"\bno (problem|worries|doubt)\b")
_WAITING = re.compile(r"\b(before|until|once)\b")
_CONDITION = re.compile(r"\b(if|unless|provided|as long as|only if)\b")
_BETTER = re.compile(r"\b(more|better|higher|increase|raise|match|full|all)\b")
_RESERVATION = re.compile(r"\b(but|however|except|although|though|unless|if|only if)\b")
_LOOKBACK = 90  # characters before a cue or a remedy that can qualify it


def sentences(text: str) -> list[str]:
    """The message in sentences, lower-cased, with typographic quotes and dashes made plain."""
    plain = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    plain = re.sub(r"[\u2013\u2014]", " - ", plain)
    return [s.strip() for s in _SENTENCE_END.split(plain) if s and s.strip()]


def _negated(before: str) -> bool:
    """A negation among the last few words before a cue, in the same clause."""
    clause = re.split(r"[,:(]| - | but ", before)[-1]
    words = _HARMLESS_NO.sub("", clause).split()
    return bool(_NEGATION.search(" ".join(words[-5:])))


def _conditional(before: str) -> bool:
    """Said on a condition: 'before you go ahead', 'if you can do $100, we accept'.

    A condition about the offer itself ('if that's the best you can do, we accept') still
    accepts; one that names money, a remedy or something better does not.
    """
    if _WAITING.search(before):
        return True
    starts = [found.start() for found in _CONDITION.finditer(before)]
    if not starts:
        return False
    condition = before[starts[-1] :]
    return bool(_MONEY.search(condition) or _mentions(condition) or _BETTER.search(condition))


@dataclass(frozen=True)
class _Cue:
    """A phrase that signals an intent, and what can cancel it."""

    pattern: re.Pattern[str]
    negatable: bool = True  # "we don't accept"
    conditional: bool = True  # "if you can do $100, we accept"
    questions: bool = False  # whether it still counts in a question ("can we go ahead?")
    reservations: bool = True  # "that works, but ..." cancels it


def _cue(pattern: str, **flags: bool) -> _Cue:
    return _Cue(re.compile(pattern), **flags)


_WHO = r"(i|we|the customer|my customer|our customer|the client|my client|they|he|she)"
_YES = (
    r"(yes|yep|yeah|ok|okay|sure|great|perfect|thanks|thank you|then|so|alright|all right|"
    r"fine|please|you can|you may|kindly|in that case|that's fine)"
)
_ACCEPT = (
    _cue(rf"\b{_WHO}( (will|shall|do|can|hereby|happily|gladly))?( (happily|gladly))? accepts?\b"),
    _cue(rf"\b{_WHO}( is| are| am|'m|'re)? (happy|glad|pleased|willing|ready) to accept\b"),
    _cue(rf"\b{_WHO}('ll| will) (take|accept) (it|that|this|the offer|your offer)\b"),
    _cue(rf"\b{_WHO} agrees? (to|with) (that|this|it|the offer|your offer|those terms)\b"),
    _cue(r"\b(accepted|agreed|deal)\s*[.!]*$"),
    _cue(rf"^(\W*{_YES}\W*)*(go ahead|proceed)\b"),
    _cue(
        rf"^(\W*{_YES}\W*)+(please )?(do (it|that|so)|book (it|that)|process (it|that)|"
        r"set (it|that) up|let'?s do (it|that))\b"
    ),
    _cue(
        r"^(yes|yep|yeah|ok|okay|sure|sounds good|perfect|great)[\s,!]*(please|thanks|thank you)?\W*$"
    ),
    _cue(
        r"\b(that|this|it) (works|sounds good|is fine|is acceptable)( for (me|us|the customer))?\b"
    ),
    _cue(r"\blet'?s (do|go with) (it|that|this)\b"),
)
_ASKING = {"conditional": False, "questions": True, "reservations": False}
_CONFIRM = (
    _cue(r"\b(can|could|would|will) you (please |kindly |just )?confirm\b", **_ASKING),
    _cue(r"\bplease (just )?confirm\b", **_ASKING),
    _cue(r"^(just |so |and |ok,? |okay,? )?(to confirm|confirming)\b", **_ASKING),
    _cue(r"\bjust to (confirm|double[- ]check|be (sure|clear))\b", **_ASKING),
    _cue(r"\b(is|was) (that|this|it) (right|correct|accurate)\b", **_ASKING),
    _cue(r"\b(am i|are we|did i get (that|this|it)) (right|correct)\b", **_ASKING),
    _cue(r"\b(right|correct)\s*\?$", **_ASKING),
)
_SUPERVISOR = (
    _cue(
        r"\b(supervisor|manager|team ?lead(er)?|superior|higher[- ]up|floor lead|"
        r"someone (more )?senior|senior (agent|colleague|member of staff|staff|rep[a-z]*)|"
        r"escalat[a-z]*)\b",
        **_ASKING,
    ),
)
_CLOSE = (
    _cue(r"\b(good ?bye|bye)\b"),
    _cue(r"\b(end|close|finish) (this|the|our) (chat|conversation|contact|case)\b"),
    _cue(
        r"^(ok,? |okay,? |well,? )?(that'?s|that is) (all|everything)( for (now|today))?"
        r"[\s,]*(thanks|thank you)?\W*$"
    ),
    _cue(r"\bno (further|more) (help|questions|assistance)\b"),
    _cue(r"\b(we'?re|we are|i'?m|i am) done( here)?\b"),
    _cue(
        r"\b(pursue|take|handle) (this|it|the matter|the case) (elsewhere|another way|through other)"
    ),
    _cue(r"\b(could|did|have) not (reach|reached) (an )?agreement\b"),
    _cue(r"\bwalk(ing)? away\b"),
    _cue(r"\bleave it (there|at that)\b"),
)
_ABOUT_TERMS = re.compile(r"\b(offer|offered|terms|deal|agreement|arrangement)\b")


def _meant(cue: _Cue, sentence: str, start: int, end: int) -> bool:
    """Whether a cue found at [start, end) is meant, not negated, conditional or qualified."""
    before = sentence[max(0, start - _LOOKBACK) : start]
    if sentence.rstrip().endswith("?") and not cue.questions:
        return False
    if cue.negatable and _negated(before):
        return False
    if cue.conditional and _conditional(before):
        return False
    return not (cue.reservations and _RESERVATION.search(sentence[end:]))


def _says(cues: tuple[_Cue, ...], sentence: str) -> bool:
    """Whether any of the cues is meant in this sentence."""
    return any(
        _meant(cue, sentence, *found.span())
        for cue in cues
        for found in cue.pattern.finditer(sentence)
    )


# ---- remedies and amounts --------------------------------------------------------------------

_REFUND = "refund"  # a refund that does not say full or partial: the amount decides
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            OfferType.FULL_REFUND,
            r"\b(full|complete|total|100%) refund\b|\brefund(ed)? (in full|everything)\b|"
            r"\brefund (of )?the (full|whole|entire) (amount|price|purchase price|order|cost)\b|"
            r"\ball (my|our|the|their|his|her) money back\b|"
            r"\b(full|whole|entire) (amount|purchase price|price|cost) back\b",
        ),
        (
            OfferType.PARTIAL_REFUND,
            r"\bpartial (refund|reimbursement)\b|\bprice adjustment\b|"
            r"\bpart of the (money|price|cost) back\b|\bgoodwill (refund|payment)\b",
        ),
        (
            OfferType.STORE_CREDIT,
            r"\b(store|account|shop|site|promo|promotional|goodwill) credit\b|"
            r"\bcredit (on|to|for|in) (my|our|the|their|his|her|your) (account|wallet)\b|"
            r"\bin credit\b|\bvouchers?\b|\bgift ?cards? worth\b|\d gift ?cards?\b",
        ),
        (
            OfferType.REPLACEMENT,
            r"\breplacements?\b|\breplace (it|them|this|that|the [a-z]+)\b|"
            r"\b(a |another |brand[- ])new (one|unit|item|copy)\b|"
            r"\b(an )?exchange (it|them|the [a-z]+|for)\b|\ban exchange\b|\bswap (it|them)\b|"
            r"\bsend (me |us |them |him |her |the customer )?(a |another )"
            r"(new|fresh|working|undamaged|intact|replacement|second)\b|"
            r"\bsend (me |us |them |him |her |the customer )?another( one)?\b",
        ),
        (
            OfferType.RESHIP,
            r"\bre-?ship(ment|ping|ped)?\b|\bre-?send(ing)?\b|\bre-?deliver(y|ed)?\b|"
            r"\b(send|ship|deliver|post|mail|dispatch) (it|them|the (order|parcel|package|items?|goods))"
            r"( out)? (again|once more)\b|\b(new|second|fresh) (shipment|delivery|parcel)\b",
        ),
        (OfferType.RETURN_LABEL, r"\b(prepaid |free )?return (shipping )?label\b"),
        (
            _REFUND,
            r"\brefund(s|ed|ing)?\b|\breimburs[a-z]*\b|\bmoney back\b|\bcredit(ed)? back\b|"
            r"\bpay (me|us|them|him|her|the customer) back\b|\d( ?%| percent| dollars| usd| bucks)? back\b|"
            r"\bback (to|on|onto) (my|our|the|their|his|her|your) (credit card|card|account|"
            r"payment method|original)",
        ),
    )
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_MONEY = re.compile(
    rf"(?:[$€£]|\busd ?|\bus\$ ?)\s?(?P<a>{_NUMBER})|\b(?P<b>{_NUMBER}) ?(?:dollars|usd|bucks|euros?)\b"
)
_PERCENT = re.compile(r"\b(?P<p>\d{1,3}(?:\.\d+)?) ?(?:%|percent|per cent)")
_ATTRIBUTED = re.compile(
    r"\b(for offering|you('ve| have)? (offered|proposed|suggested|mentioned)|"
    r"your (offer|proposal|suggestion)|(was|were|been) offered|the offer of|current offer|"
    r"you('re| are) offering|offered (me|us|the customer))"
    r"\W+(\S+\W+){0,3}$"
)
_DESIRED = re.compile(
    r"\b(want|wants|wanted|would like|'d like|like to (request|get|have)|ask(ing)? for|"
    r"request(s|ing)?|need|needs|entitled to|expect(s|ing)?|prefer(s|red)?|looking for|"
    r"seek(s|ing)?|claim(s|ing)?|propose|settle for|accept|owed|due|deserves?|"
    r"(could|can|would|will) you (please )?(do|offer|give|issue|arrange|process|send|provide|"
    r"approve|authori[sz]e|make)|please (issue|process|send|arrange|refund|provide|do|approve))"
    r"\W+(\S+\W+){0,5}$"
)
_RETURNLESS = re.compile(
    r"\bno (need to |requirement to )?(return|send(ing)? (it|them|anything) back)\b|\bno returns?\b|"
    r"\bwithout (a |any |the )?return(ing)?\b|"
    r"\bwithout (sending|shipping|mailing) (it|them|anything|the [a-z]+) back\b|"
    r"\b(keep|keeps|keeping) (the|it|them|their|his|her|my|our)\b|"
    r"\b(don'?t|do not|doesn'?t|does not|won'?t|will not) (need|have) to (return|send)\b|"
    r"\breturn(ing)? (is |are )?(not|n't) (needed|required|necessary)\b|"
    r"\breturn(ing)? (isn'?t|aren'?t) (needed|required|necessary)\b"
)
_RETURNING = re.compile(
    r"\breturn (is |being )?(required|needed|necessary)\b|\brequires? (a |the )?return\b|"
    r"\b(after|once|when|upon|on) (we |i |the customer |they |you )?"
    r"(return|send|ship|drop off|mail)[a-z]* (it|them|the [a-z]+|everything)\b|"
    r"\b(after|once|when|upon) (you |we |they )?(receive|get|have)[a-z]* (it|them|the [a-z]+) back\b|"
    r"\b(after|once|upon|on) (receipt of |receiving )?(the |a )?return\b|"
    r"\bwith (a |the )?return( required)?\b|\bmust (be )?(return|sen[dt])|"
    r"\bsend(ing)? (it|them|the [a-z]+) back (first|to you)\b|"
    r"\b(returned|sent back) (first|beforehand|before)\b|\breturn(ing)? (it|them|the [a-z]+) first\b|"
    r"\b(it|them|the [a-z]+) (has|have|is|are) to be (returned|sent back)\b"
)
_NO_FEE = re.compile(
    r"\bno (restocking )?fees?\b|\bwithout (a |any )?(restocking )?fees?\b|\bfee[- ]free\b"
)
_FEE = re.compile(
    rf"(?:minus|less|after|with|deducting) (?:a |the )?(?:[$€£])?(?P<a>{_NUMBER}) restocking fee|"
    rf"restocking fee of (?:[$€£])?(?P<b>{_NUMBER})"
)


@dataclass(frozen=True)
class _Mention:
    """A remedy named in a sentence, with the amount beside it and how it is meant."""

    kind: str
    start: int
    end: int
    amount: float | None = None
    percent: float | None = None
    negated: bool = False
    attributed: bool = False
    desired: bool = False


def _mentions(sentence: str) -> list[_Mention]:
    """The remedies a sentence names, in order; a more specific name wins over a generic one."""
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _KINDS:
        for match in pattern.finditer(sentence):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            before = sentence[max(0, span[0] - _LOOKBACK) : span[0]]
            found.append(
                _Mention(
                    kind,
                    *span,
                    negated=_negated(before),
                    attributed=bool(_ATTRIBUTED.search(before)),
                    desired=bool(_DESIRED.search(before)),
                )
            )
    return sorted(found, key=lambda m: m.start)


def _to_number(text: str) -> float:
    return float(text.replace(",", ""))


def _with_amounts(sentence: str, mentions: list[_Mention]) -> list[_Mention]:
    """Give each mention the nearest money amount (or percentage) not closer to another mention."""
    if not mentions:
        return mentions
    amounts: dict[int, _Mention] = {}
    for pattern, group in ((_MONEY, "money"), (_PERCENT, "percent")):
        for match in pattern.finditer(sentence):
            value = _to_number(next(v for v in match.groupdict().values() if v))
            if _is_fee(sentence, match):
                continue  # a restocking fee is a term, not the remedy's amount
            index, distance = _nearest(mentions, *match.span())
            if distance > AMOUNT_REACH or index in amounts:
                continue
            mention = mentions[index]
            amounts[index] = (
                _replace(mention, amount=value)
                if group == "money"
                else _replace(mention, percent=value)
            )
    return [amounts.get(i, m) for i, m in enumerate(mentions)]


def _is_fee(text: str, amount: re.Match[str]) -> bool:
    """Whether a money amount is a restocking fee ('less a $37.35 restocking fee')."""
    found = _FEE.search(text[max(0, amount.start() - 20) : amount.end() + 20])
    return found is not None and amount.group(0).strip(" $€£") in found.group(0)


def _replace(mention: _Mention, **changes: float) -> _Mention:
    return _Mention(**{**mention.__dict__, **changes})


def _nearest(mentions: list[_Mention], start: int, end: int) -> tuple[int, int]:
    gaps = [max(m.start - end, start - m.end, 0) for m in mentions]
    best = min(range(len(gaps)), key=gaps.__getitem__)
    return best, gaps[best]


def _as_terms(mention: _Mention, order_value: float | None) -> StatedTerms:
    """A mention as terms: a plain 'refund' is full or partial by its amount against the order."""
    amount = mention.amount
    if mention.percent is not None and order_value is not None:
        amount = round(order_value * mention.percent / 100, 2)
    kind = mention.kind
    if kind == _REFUND:
        partial = amount is not None and order_value is not None and amount < order_value - CENT
        kind = OfferType.PARTIAL_REFUND if partial else OfferType.FULL_REFUND
    if kind in TWINS or kind == OfferType.RETURN_LABEL:
        amount = None
    vague = mention.kind == _REFUND and amount is None
    return StatedTerms(OfferType(kind), amount, some_refund=vague)


def _return_terms(text: str) -> bool | None:
    if _RETURNLESS.search(text):
        return False
    if _RETURNING.search(text):
        return True
    return None


def _fee_terms(text: str) -> float | None:
    if _NO_FEE.search(text):
        return 0.0
    found = _FEE.search(text)
    return None if found is None else _to_number(found.group("a") or found.group("b"))


def _pick(mentions: list[_Mention], *, restating: bool) -> _Mention | None:
    """The remedy a customer asks for (or restates): not ruled out, and not the agent's offer."""
    usable = [m for m in mentions if not m.negated and (restating or not m.attributed)]
    named = [m for m in usable if m.kind != OfferType.RETURN_LABEL] or usable
    wanted = [m for m in named if m.desired]
    chosen = wanted or named
    return chosen[0] if chosen else None


def stated_terms(parts: list[str], order_value: float | None, *, restating: bool) -> StatedTerms:
    """The terms a group of sentences states: the remedy, its amount, return and fee."""
    for sentence in parts:
        chosen = _pick(_with_amounts(sentence, _mentions(sentence)), restating=restating)
        if chosen is not None:
            terms = _as_terms(chosen, order_value)
            tail = sentence[chosen.start :]
            returns = _return_terms(tail)
            return StatedTerms(
                terms.type,
                terms.amount,
                _return_terms(sentence) if returns is None else returns,
                _fee_terms(sentence),
                terms.some_refund,
            )
    joined = " ".join(parts)
    fee = _fee_terms(joined)
    amounts = [m for m in _MONEY.finditer(joined) if not _is_fee(joined, m)]
    amount = None  # "can you confirm it's $40?": an amount with no remedy named
    if restating and amounts:
        amount = _to_number(next(v for v in amounts[0].groupdict().values() if v))
    return StatedTerms(amount=amount, return_required=_return_terms(joined), restocking_fee=fee)


# ---- the reading -----------------------------------------------------------------------------


def read_intent(parts: list[str]) -> Intent:
    """Accept over confirm over supervisor over close; anything else asks."""
    if any(_says(_ACCEPT, s) for s in parts):
        return Intent.ACCEPT
    confirming = [s for s in parts if _says(_CONFIRM, s)]
    if confirming and any(
        _mentions(s) or _MONEY.search(s) or _ABOUT_TERMS.search(s) for s in parts
    ):
        return Intent.CONFIRM
    if any(_says(_SUPERVISOR, s) for s in parts):
        return Intent.SUPERVISOR
    if any(_says(_CLOSE, s) for s in parts):
        return Intent.CLOSE
    return Intent.ASK


_RESTATING = {Intent.ACCEPT: _ACCEPT, Intent.CONFIRM: _CONFIRM}


def read_message(text: str, order_value: float | None = None, currency: str = "USD") -> Reading:
    """What a customer's message means: its intent, the remedy it asks for, the terms it states."""
    parts = sentences(text)
    intent = read_intent(parts)
    # Accepting or confirming restates the agent's terms; asking names the customer's own.
    restating = intent in _RESTATING
    focus = [s for s in parts if restating and _says(_RESTATING[intent], s)]
    terms = stated_terms(focus, order_value, restating=True) if focus else StatedTerms()
    if terms.type is None and terms.amount is None:
        terms = stated_terms(parts, order_value, restating=restating)
    return Reading(intent, _ask(terms, currency), terms)


def _ask(terms: StatedTerms, currency: str) -> Offer | None:
    if terms.type is None:
        return None
    return Offer(
        type=terms.type,
        amount=terms.amount,
        currency=currency,
        return_required=bool(terms.return_required),
    )
