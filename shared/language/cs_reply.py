"""Reading a CS agent's chat message: what it is doing (dialogue acts) and what it offers.

Two readers look at every message and must agree before anything counts as an offer: the
learned models (acts, and the kind of remedy on the table) and the rules below, which read
the terms from the words alone with their scope: negation ("can't do X, but can do Y"),
"instead of" / "rather than", choice questions ("a refund or a replacement?"), past facts
("was already refunded"). When they disagree, the message is `unsure`: not an offer, and
the negotiator asks CS to state its offer plainly. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.language.entities import Amount, find_amount_spans, find_days, find_percent
from shared.language.normalize import normalize
from shared.language.reader import Reader

OFFER_TYPES = ("full_refund", "partial_refund", "store_credit", "replacement", "reship", "return_label")
ACTS = ("offer", "refusal", "question", "confirmation", "fact", "closing")
ASKS = (
    "order_id",
    "description",
    "photos",
    "dates",
    "preferred_remedy",
    "serial_number",
    "contact_details",
    "other",
)
FAMILY = {
    "full_refund": "money",
    "partial_refund": "money",
    "store_credit": "credit",
    "replacement": "goods",
    "reship": "goods",
    "return_label": "label",
}
ACT_THRESHOLD = 0.5


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_REMEDIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "full_refund",
        _rx(
            r"\bfull refund|\brefund(?:ed)? (?:you |this |it |that )?in full\b"
            r"|\brefund(?:ed|ing)? (?:you )?(?:for )?(?:the |your )?(?:full|entire|whole|total)\b"
            r"|\b100 ?% refund|\bcomplete refund|\bmoney back in full\b|\brefund (?:you )?every (?:cent|penny)"
        ),
    ),
    (
        "store_credit",
        _rx(
            r"\bstore credit|\baccount credit|\bsite credit|\bshop credit|\bstore balance"
            r"|\bcredit (?:on|to|into|onto) your (?:store |shopping |customer )?account"
            r"|\b(?:e-?)?gift ?card|\bgift certificate|\bvoucher|\bpromo(?:tional)? (?:credit|code)"
            r"|\bcoupon|\breward points|\bloyalty points|\b(?:as|in) (?:a )?credit\b"
            r"|\bgoodwill credit|\bcredit note|\bcredit (?:of|for) (?:\$|moneyamount)"
            r"|(?:\$|£|€)\s?\d[\d,.]* (?:in |of )?(?:\w+ )?credit\b|\bcredit (?:towards?|against|for your next|off your next)"
            r"|\bonto (?:a |your )?(?:gift|store)|\bin credit\b|\bshop credit|\bcredit back (?:to|on|onto) your account"
        ),
    ),
    (
        "reship",
        _rx(
            r"\bre-?ship|\bre-?send|\bre-?dispatch|\bre-?deliver"
            r"|\b(?:send|ship|dispatch|post|mail|deliver) (?:it|them|the order|your order|the (?:package|parcel|items?)|everything|out) (?:out |over |to you )?again\b"
            r"|\b(?:send|ship|dispatch) (?:you |out )?(?:a )?(?:second|another|new|fresh) (?:shipment|parcel|package|delivery)"
            r"|\bnew shipment|\bship (?:out )?a (?:fresh|new) (?:copy|one) of (?:the|your) order"
            r"|\b(?:order|parcel|package|items?|it|them)\b[^.?!]{0,40}\b(?:sent|shipped|dispatched|posted|going|get|out) (?:out )?(?:to you )?again\b"
            r"|\b(?:order|parcel|package|it) (?:ships|goes out|will ship) again\b|\ba second time\b|\breplacement (?:parcel|shipment|package|delivery)"
        ),
    ),
    (
        "replacement",
        _rx(
            r"\breplacement|\breplace (?:it|the|your|them|that|this)\b|\breplaced\b"
            r"|\b(?:new|fresh|brand[- ]new|working|correct|right|second|another) (?:one|unit|item|pair|set|copy|chair|model)\b"
            r"|\bexchange|\bswap"
            r"|\bsend (?:you |out )?(?:a |the )?(?:new|fresh|brand[- ]new|another|working|correct|right|proper)\b"
            r"|\bsend (?:you |out )?(?:the )?missing (?:parts?|pieces?|items?|screws?|accessor)"
            r"|\b(?:get|send|ship|courier|deliver) (?:you )?(?:a |an )?(?:new|fresh|brand[- ]new|another|replacement) \w+(?: \w+)?(?: \w+)? (?:out |over )?to you"
            r"|\bnew (?:pair|pack|set|\w+) (?:will|would|can|is|to) be (?:sent|dispatched|delivered|shipped)|\bfor (?:the )?(?:correct|right) (?:item|size|model|one)"
            r"|\b(?:a|the) (?:different|correct|right) (?:size|colou?r|model)\b"
        ),
    ),
    ("return_label", _rx(r"\breturns? label|\bprepaid (?:shipping |postage |return )?label|\bshipping label|\bpostage label|\bfree return")),
    (
        "refund",
        _rx(
            r"\brefund|\breimburse|\bmoney back|\bcompensat|\bdiscount|\bprice adjustment"
            r"|\b(?:off|back) (?:the |your )?(?:order|price|purchase|total)"
            r"|(?:\$|£|€)\s?\d[\d,.]* (?:off|back)\b|\bdollars? (?:off|back)\b|\bbucks (?:off|back)\b|\bpercent (?:off|back)\b|% (?:off|back)\b"
            r"|\b(?:half|a quarter|a third|a fifth|a tenth|\d+ ?%|\d+ percent)(?: of)?(?: (?:the|your|what you) (?:price|order|total|paid|purchase|cost))? (?:back|off)\b"
            r"|\bknock(?:ed|ing)? (?:\$?\d+(?:\.\d+)?%?|\w+) off\b|\b(?:price|money) back\b"
            r"|\bback (?:to|on|onto|into) (?:your|the) (?:card|original|visa|mastercard|amex|paypal|bank|account|payment)"
            r"|\bcredit(?:ed)? (?:back )?(?:to|on|onto) (?:your|the) (?:card|original|visa|mastercard|amex|paypal|bank|payment)"
            r"|\b(?:credit|return|put|pay|send|give) (?:you )?(?:the )?(?:\$|£|€)\s?\d"
            r"|\bgoodwill (?:payment|gesture)"
        ),
    ),
)
_FULL_MARKER = _rx(
    r"\bin full\b|\bfull (?:amount|price|purchase price|cost|value|order (?:total|value))\b"
    r"|\b(?:everything|all(?: of what)?|every (?:cent|penny)(?: of what)?) (?:that )?you (?:paid|spent)\b"
    r"|\bevery (?:cent|penny)\b|\bentire (?:amount|purchase|order)\b|\ball (?:of )?your money\b|\bthe (?:whole|entire) (?:thing|order|amount)"
    r"|\b100 ?%|\bthe total\b|\ball \$"
)
_NEGATION = _rx(
    r"\b(?:not|no|never|cannot|can't|can ?not|unable|won't|wouldn't|isn't|aren't|don't|doesn't"
    r"|didn't|couldn't|shouldn't|mustn't|unfortunately|neither|nor|impossible|ineligible"
    r"|not eligible|not able|nothing|decline[ds]?|denied|refuse[ds]?)\b"
)
_BENIGN_NEGATION = _rx(
    r"\bno (?:need|return|returns|cost|charge|extra|problem|worries|questions|obligation|hassle)\b"
    r"|\bnot a problem|\bnothing (?:to|for you to) (?:send|return|pay|do)\b"
    r"|\b(?:don't|do not|won't|will not|doesn't|does not) (?:need|have) to (?:send|return|ship|post|pay|do)\b"
    r"|\bwithout (?:returning|sending|having to|needing|any)\b|\bat no (?:extra |additional )?(?:cost|charge)\b"
    r"|\bno longer need\b|\bnot (?:required|needed|necessary)\b|\bno (?:questions asked)\b"
    r"|\bif (?:it|that|this) (?:doesn't|does not|isn't|is not)\b|\bnot (?:to )?worry\b"
    r"|\bdon't (?:worry|hesitate)\b"
)
_INSTEAD = _rx(
    r"\b(?:instead of|rather than|in place of|in lieu of|as opposed to|other than)\b"
    r"[^,;:.!?]*?(?=,| but\b| we\b| i\b| i'll\b| i'd\b| we'll\b| we'd\b| what\b|$)"
)
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;])\s+|(?<=[.!?;])$|\s+-\s+|\b(?:but|however|though|although|whereas|instead|what i can do is|what we can do is)\b"
    r"|,(?=\s+(?:i|we|i'll|we'll|i'd|we'd|i've|we've|so i|so we|and i|and we)\b)",
    re.IGNORECASE,
)
_PAST_FACT = _rx(
    r"\balready\b|\brecords show|\bour system shows|\bpreviously\b|\blast (?:week|month)\b"
    r"|\bwas (?:issued|processed|refunded|sent|credited|paid|completed|approved) (?:on|back|last|to you on)\b"
    r"|\bwere (?:issued|refunded|processed|credited) (?:on|back|last)\b|\bon (?:the )?\d{1,2}(?:st|nd|rd|th)\b"
    r"|\bhas already\b|\bhad (?:been )?(?:issued|refunded|processed)"
)
_GENERAL_POLICY = _rx(
    r"\b(?:refunds|returns|credits|replacements) (?:usually|normally|typically|generally|can|take|are|must|have to|need to)\b"
    r"|\b(?:usually|normally|typically|generally) takes?\b|\bour (?:policy|policies)\b|\bper (?:our )?policy\b"
    r"|\bitems? (?:over|under|above|below) (?:\$|£|€)"
    r"|\bonce (?:a|the) refund is (?:issued|processed)\b|\bany refund\b"
)
_RETURN_YES = _rx(
    r"\b(?:send|ship|post|mail|bring|drop|return) (?:it|them|the (?:item|product|unit|order|\w+)|that|this|everything|the original)(?: off)? back\b"
    r"|\breturn (?:it|them|the item|the product|the unit|the original|the \w+)\b(?! label)"
    r"|\bonce (?:we|our warehouse|the warehouse|it|the item|the return|your return|they)\b[^.]*\b(?:receive|received|get|gets|arrive|arrives|reach|reaches|scanned|back|processed|inspected|checked in)"
    r"|\b(?:after|when|as soon as|upon) (?:we|it|the item|the return|your return|our warehouse)\b[^.]*\b(?:receive|received|get|gets|arrive|arrives|reach|reaches|scanned|back|inspected)"
    r"|\b(?:return|returned|returning) (?:is |will be )?(?:required|needed|necessary)|\bmust (?:be )?returned?\b|\bneeds? to (?:come|go|be sent) back\b"
    r"|\bon (?:its |the item's )?return\b|\bupon return\b|\bsubject to (?:the |its )?return\b|\bin exchange for (?:the|your) (?:item|return)"
    r"|\bhave (?:it|the item|them) back\b|\bget (?:it|the item|them) back\b|\bcomes? back to us\b"
    r"|\b(?:come|comes|coming|go|sent|be sent|shipped|posted) back\b|\b(?:collect(?:s|ed)?|pick(?:s|ed)? up|picked up|taken away|take (?:it|them) away)\b"
    r"|\bprovided (?:the|it|they|you)\b[^.]*\breturn|\bonce you(?:'ve| have)? (?:sent|returned|posted|shipped|dropped)|\bdrop (?:it|them|the \w+)(?: off)? (?:at|with)"
    r"|\bscanned\b|\bback (?:first|to us|with us)\b|\b(?:return|returned|returns) (?:it|them)? ?(?:first|using|with)\b|\breturned unit\b|\bhand (?:it|them) (?:to|over)"
)
_RETURN_NO = _rx(
    r"\bkeep (?:it|them|the|this|that|your)\b|\bno need to (?:return|send|ship|post)|\bno returns? (?:is |are )?(?:needed|required|necessary)\b"
    r"|\b(?:don't|do not|won't|will not|doesn't|does not) (?:need|have) to (?:return|send|ship|post)"
    r"|\bwithout (?:returning|sending|needing to return|having to return|a return)\b|\breturn(?:s|ing)? (?:is |are )?not (?:required|needed|necessary)"
    r"|\bno return\b|\bnothing (?:to|for you to) (?:send|return)\b|\breturnless\b|\bhold on to\b|\bhang on to\b|\bdispose of it\b|\bdonate it\b"
    r"|\byou(?:'d| would|'ll| can)? keep\b|\bkeeping (?:it|the|them)\b|\bkept (?:it|the|them)\b|\bwon't need to (?:send|return|do anything)|\bwouldn't (?:have|need) to (?:send|return)"
    r"|\bno need to (?:send|return|ship)\b|\b(?:send|return) (?:anything|nothing) back\b"
)
_FEE = _rx(r"restocking(?: fee)?|handling fee|return(?:s)? (?:shipping )?fee|fee")
_METHOD_ORIGINAL = _rx(
    r"\boriginal (?:payment|form of payment|method|card|account)|\b(?:your|the) (?:card|credit card|debit card|bank|bank account|visa|mastercard|amex|paypal|payment method)"
    r"|\bcard you (?:used|paid|checked out)|\bback to (?:your|the) (?:card|account|bank|visa|mastercard|paypal)|\bsame (?:card|method|account)"
)
_METHOD_GIFT = _rx(r"\bgift ?card balance|\bas (?:a )?gift ?card|\bto (?:a|your) gift ?card|\bgift card\b")
_CHOICE_QUESTION = _rx(r"\bor (?:a |an |would you |do you |you'?d )?(?:\w+ ){0,3}\w+\s*\?")
_QUESTION_LIKE = _rx(r"\?|\b(?:could|can|would|will) you (?:please )?(?:send|share|provide|confirm|tell|describe|attach|upload|let me know|give|check)|\bplease (?:send|share|provide|confirm|tell|describe|attach|upload|reply|let me know)|\bi(?:'ll| will)? need (?:you to|a |the |some |your )|\bi(?:'d| would) need\b")
_ASK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("order_id", _rx(r"\border (?:number|no\b|#|id|reference)|\bwhich order\b|\breference number")),
    ("photos", _rx(r"\bphotos?\b|\bpictures?\b|\bpics?\b|\bimages?\b|\bsnaps?\b|\bscreenshots?\b|\bvideo\b")),
    ("serial_number", _rx(r"\bserial|\bmodel number|\bimei\b|\bbatch (?:number|code)|\blot number")),
    ("contact_details", _rx(r"\bphone number|\bemail address|\b(?:your|the) (?:home |delivery |shipping )?address|\bpost ?code|\bzip ?code|\bcontact (?:number|details)|\bdate of birth")),
    ("dates", _rx(r"\bwhen (?:did|was|were|exactly)|\bwhat (?:date|day|time)|\bwhich (?:date|day)|\bthe date\b|\bhow long ago")),
    ("preferred_remedy", _rx(r"\bwould you (?:like|prefer)|\bdo you (?:want|prefer)|\bwhich (?:would you|do you)|\bhow would you like|\bwhat would you like|\bprefer(?:ence)?\b|\bwhat (?:outcome|resolution|remedy)|\bor (?:a |an )?(?:full refund|refund|replacement|store credit|credit|exchange)\b")),
    ("description", _rx(r"\bwhat happened|\bdescribe|\bmore (?:detail|info)|\btell me (?:more|what|about)|\bexplain|\bwhat (?:exactly )?(?:is|was|seems) (?:wrong|the (?:problem|issue))|\bwhat went wrong|\bwhat'?s wrong|\bwhat'?s the (?:problem|issue)|\bdetails of the (?:problem|issue|damage)|\bwhat is happening")),
)
_CONFIRM = _rx(
    r"\bthat(?:'s| is) (?:right|correct|it)\b|\bconfirm(?:ed|ing)?\b|\byes\b|\byep\b|\bcorrect\b|\ball set\b|\ball done\b|\bdone\b"
    r"|\bi(?:'ve| have) (?:now )?(?:gone ahead|processed|issued|set up|arranged|approved|put through|submitted|booked|credited|applied|placed|sent|added|raised|ordered|initiated|refunded|authori[sz]ed|created)"
    r"|\b(?:has|have) (?:now )?been (?:processed|issued|set up|arranged|approved|credited|applied|placed|booked|submitted|raised|initiated|refunded|authori[sz]ed)"
)
_CLOSING = _rx(
    r"\banything else (?:i can|we can)|\bhave a (?:great|good|nice|lovely|wonderful)|\btake care\b|\bgoodbye\b|\bbye\b"
    r"|\bclos(?:e|ing) (?:this|the) (?:chat|conversation|case|ticket)|\bthanks? (?:you )?for (?:contacting|reaching out|chatting|your patience)"
)
_AGREEMENT_NO = _rx(r"^\s*(?:no|not quite|sorry,? (?:no|that's not))\b|\bthat(?:'s| is) not (?:right|correct|quite right|what)\b|\bnot what (?:i|we) offered\b")


@dataclass
class OfferTerms:
    """Terms read from CS's words; `None` where the words do not say."""

    type: str
    amount: float | None = None
    percent: float | None = None
    return_required: bool | None = None
    restocking_fee: float | None = None
    refund_method: str | None = None
    days_to_complete: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CSReading:
    """One CS message read: its acts, the offer it puts on the table, what it asks for."""

    acts: list[str]
    offer: OfferTerms | None = None
    asks: list[str] = field(default_factory=list)
    unsure: bool = False  # it may hold an offer we cannot read with confidence: not an offer
    contradicts: bool = False  # it says "no, that's not right" to terms we restated
    notes: list[str] = field(default_factory=list)

    @property
    def confirms(self) -> bool:
        return "confirmation" in self.acts and not self.contradicts

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["offer"] = self.offer.as_dict() if self.offer else None
        return data


# ---------------------------------------------------------------- clauses and scope


@dataclass
class _Mention:
    kind: str
    start: int
    end: int
    clause: int
    negated: bool
    past: bool
    choice: bool


def _clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the text's clauses (sentences, and contrasts split at "but", "however", ...)."""
    spans, start = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _masked_instead(text: str) -> list[tuple[int, int]]:
    """Spans named only to be set aside: "instead of a refund", "rather than store credit"."""
    return [m.span() for m in _INSTEAD.finditer(text)]


def _mentions(text: str) -> list[_Mention]:
    clauses = _clauses(text)
    instead = _masked_instead(text)
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _REMEDIES:
        for m in pattern.finditer(text):
            if any(m.start() < e and m.end() > s for s, e in taken):
                continue
            taken.append(m.span())
            index = next((i for i, (s, e) in enumerate(clauses) if s <= m.start() < e), 0)
            c_start, c_end = clauses[index] if clauses else (0, len(text))
            clause = text[c_start:c_end]
            before = _BENIGN_NEGATION.sub(" ", text[c_start : m.start()])
            negated = bool(_NEGATION.search(before)) or any(s <= m.start() < e for s, e in instead)
            past = bool(_PAST_FACT.search(clause)) or bool(_GENERAL_POLICY.search(clause))
            choice = "?" in clause and bool(_CHOICE_QUESTION.search(clause)) and _kinds_in(clause) >= 2
            found.append(_Mention(kind, m.start(), m.end(), index, negated, past, choice))
    return sorted(found, key=lambda x: x.start)


def _kinds_in(clause: str) -> int:
    return len({kind for kind, pattern in _REMEDIES if pattern.search(clause)})


# ---------------------------------------------------------------- terms


def _amount_for(text: str, mention: _Mention, amounts: list[Amount]) -> Amount | None:
    """The amount that belongs to the offered remedy: in its clause, not a fee, nearest first."""
    clauses = _clauses(text)
    s, e = clauses[mention.clause] if clauses else (0, len(text))
    candidates = [a for a in amounts if s <= a.start < e and not _is_fee(text, a) and not _is_total(text, a)]
    if not candidates:
        candidates = [a for a in amounts if not _is_fee(text, a) and not _is_total(text, a) and not _in_negated_clause(text, a)]
    if not candidates:
        return None
    return min(candidates, key=lambda a: abs(a.start - mention.start))


def _is_fee(text: str, amount: Amount) -> bool:
    window = text[max(0, amount.start - 40) : amount.end + 25].lower()
    near = text[amount.end : amount.end + 25].lower()
    before = text[max(0, amount.start - 30) : amount.start].lower()
    return bool(_FEE.search(near[:20])) or bool(re.search(r"(?:restocking|handling|return(?:s)? (?:shipping )?) fee (?:of |is |at )?$", before)) or (
        "fee" in window and ("minus" in before or "less" in before or "deduct" in before)
    )


def _is_total(text: str, amount: Amount) -> bool:
    before = text[max(0, amount.start - 30) : amount.start].lower()
    return bool(re.search(r"(?:you paid|order total(?: (?:of|was|is))?|total (?:of|was|is)|paid|cost|priced at|price (?:of|was|is)|out of|from)\s*$", before))


def _in_negated_clause(text: str, amount: Amount) -> bool:
    for s, e in _clauses(text):
        if s <= amount.start < e:
            return bool(_NEGATION.search(_BENIGN_NEGATION.sub(" ", text[s : amount.start])))
    return False


def _fee(text: str, amounts: list[Amount], total: float | None) -> float | None:
    for amount in amounts:
        if _is_fee(text, amount):
            return amount.value
    m = re.search(r"(\d{1,2}(?:\.\d+)?)\s?%\s*(?:restocking|handling)", text, re.IGNORECASE)
    if m and total:
        return round(total * float(m.group(1)) / 100, 2)
    return None


def _return_required(text: str) -> bool | None:
    if _RETURN_NO.search(text):
        return False
    if _RETURN_YES.search(text):
        return True
    return None


def _refund_method(text: str, kind: str) -> str | None:
    if kind not in ("full_refund", "partial_refund"):
        return None
    if _METHOD_GIFT.search(text):
        return "gift_card_balance"
    if _METHOD_ORIGINAL.search(text):
        return "original_payment"
    return None


def _clause_text(text: str, mention: _Mention) -> str:
    clauses = _clauses(text)
    s, e = clauses[mention.clause] if clauses else (0, len(text))
    return text[s:e]


def _terms(text: str, mention: _Mention, total: float | None, kind: str | None = None) -> OfferTerms:
    """The terms of the remedy a mention names, read from the whole message."""
    amounts = find_amount_spans(text)
    kind = kind or mention.kind
    fee = _fee(text, amounts, total)
    money = kind in ("full_refund", "partial_refund", "store_credit", "refund")
    picked = _amount_for(text, mention, amounts) if money else None
    amount = picked.value if picked else None
    clause = _clause_text(text, mention)
    percent = find_percent(clause) if money else None
    if percent is None and money:
        percent = find_percent(text)
    if kind in ("refund", "full_refund", "partial_refund"):
        kind = _refund_kind(kind, mention.kind, amount, percent, fee, total, clause)
    if kind == "full_refund" and percent is not None and percent < 100:
        percent = None
    return OfferTerms(
        type=kind,
        amount=amount,
        percent=percent,
        return_required=_return_required(text),
        restocking_fee=fee,
        refund_method=_refund_method(text, kind),
        days_to_complete=find_days(text),
    )


def _refund_kind(
    model_kind: str, mention_kind: str, amount: float | None, percent: float | None, fee: float | None, total: float | None, clause: str
) -> str:
    """Full or partial: said outright, else by the share or amount against the total, else the model."""
    if mention_kind == "full_refund":
        return "full_refund"
    if percent is not None:
        return "full_refund" if percent >= 100 else "partial_refund"
    if amount is not None and total is not None:
        whole = amount >= total - 0.01 or (fee is not None and abs(amount + fee - total) <= 0.02)
        return "full_refund" if whole else "partial_refund"
    if _FULL_MARKER.search(clause):
        return "full_refund"
    if re.search(r"\b(?:partial|part of|some of|a portion|discount|compensation|goodwill|off\b)", clause, re.IGNORECASE):
        return "partial_refund"
    return model_kind if model_kind in ("full_refund", "partial_refund") else "full_refund"


# ---------------------------------------------------------------- the reading


def live_mentions(text: str) -> tuple[list[_Mention], list[str]]:
    """Remedies named in live clauses (not negated, not a past fact, not a choice question)."""
    notes, live = [], []
    for mention in _mentions(text):
        if mention.negated:
            notes.append(f"negated {mention.kind}")
        elif mention.past:
            notes.append(f"fact about {mention.kind}")
        elif mention.choice:
            notes.append(f"choice question about {mention.kind}")
        else:
            live.append(mention)
    return live, notes


def read_offer_by_rules(
    text: str, order_total: float | None = None, kind: str | None = None
) -> tuple[OfferTerms | None, list[str]]:
    """The offer on the table by the rules (of the given kind, when the model named one)."""
    text = normalize(text)
    live, notes = live_mentions(text)
    if kind is not None:
        live = [m for m in live if _fits(m.kind, kind)]
    if not live:
        return None, notes
    primary = _primary(live, {m.kind for m in live})
    return _terms(text, primary, order_total, kind), notes


def _primary(live: list[_Mention], kinds: set[str]) -> _Mention:
    """The remedy on the table when several are named in live clauses."""
    if "return_label" in kinds and kinds & {"refund", "full_refund", "partial_refund"}:
        return next(m for m in live if m.kind in ("full_refund", "partial_refund", "refund"))
    specific = [m for m in live if m.kind not in ("refund", "return_label")] or live
    return specific[-1]


def _fits(mention_kind: str, kind: str) -> bool:
    """Whether a remedy mention can stand for the kind the model reads."""
    if mention_kind == kind:
        return True
    if mention_kind == "refund":
        return kind in ("full_refund", "partial_refund")
    if mention_kind in ("full_refund", "partial_refund"):
        return kind in ("full_refund", "partial_refund")
    return {mention_kind, kind} == {"replacement", "reship"}


def read_asks(text: str) -> list[str]:
    """What CS asks the customer for, when the message asks anything."""
    text = normalize(text)
    if not _QUESTION_LIKE.search(text):
        return []
    asks = [name for name, pattern in _ASK_PATTERNS if pattern.search(text)]
    return asks or ["other"]


def read_cs_reply(text: str, reader: Reader, order_total: float | None = None) -> CSReading:
    """Acts, offer terms and asks of one CS message; an offer only when both readers agree."""
    clean = normalize(text)
    probabilities = reader.acts.probabilities(clean)
    acts = [a for a in ACTS if probabilities.get(a, 0.0) >= ACT_THRESHOLD] or [
        max(probabilities, key=lambda k: probabilities[k])
    ]
    model_type = reader.offer_type.rank(clean).best
    reading = CSReading(acts=acts)
    reading.contradicts = bool(_AGREEMENT_NO.search(clean))
    if "question" in acts or _QUESTION_LIKE.search(clean):
        reading.asks = read_asks(clean)
    offerish = "offer" in acts or "confirmation" in acts
    live, reading.notes = live_mentions(clean)
    if model_type != "none" and offerish:
        offer, _ = read_offer_by_rules(clean, order_total, model_type)
        if offer is not None:
            reading.offer = offer
        else:
            reading.unsure = True
            reading.notes.append(f"the model reads {model_type}; the words name no such remedy in force")
    elif live and (offerish or model_type != "none"):
        reading.unsure = True
        reading.notes.append(f"remedies named ({', '.join(m.kind for m in live)}), acts {acts}, model {model_type}")
    if reading.offer is None:
        reading.acts = [a for a in reading.acts if a not in ("offer", "confirmation")] or ["fact"]
    return reading


def _same_family(rule_type: str, model_type: str) -> bool:
    return model_type != "none" and FAMILY.get(rule_type) == FAMILY.get(model_type)


