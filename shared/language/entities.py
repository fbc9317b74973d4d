"""Entities with a shape, read by rules: order ids, amounts, percentages, dates, durations.

Pure functions of the text (and of `today` for dates); the learned models read what has
no shape (the problem, the wish, what CS is doing), these read what does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from shared.language.normalize import normalize

ORDER_ID_LENGTH = 17
_ID_SPAN = re.compile(
    r"(?<![A-Za-z0-9])#?\s*([0-9OoIl](?:[0-9OoIl]|[ \t\-\u2013.])*[0-9OoIl])"
    r"(?![A-Za-z0-9])"
)
_ID_SEPARATORS = re.compile(r"[ \t\-\u2013.]+")
_SUFFIX = re.compile(
    r"\b(?:ending|ends|finishing|last (?:four|4|few|five|5|six|6|seven|7) digits?(?: are| is)?)"
    r"\s*(?:in|with|of|:)?\s*#?\s*(\d{3,7})\b"
)
_DIGIT_MAP = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
# currencies named in words after a sum ("2,750 dirhams", "one hundred riyals", "15,000 won",
# never "2 won't")
_CURRENCY_WORDS = (
    r"dollars?|bucks|quid|euros?|pounds|rupees?|rand|pesos?|dirhams?|riyals?|dinars?|reais"
    r"|ringgit|naira|shillings?|francs?|kronor|kroner|yen|yuan|baht|zloty|zlotys|won(?!'t)"
    r"|rupiah|liras?|roubles?|rubles?|forints?|dong|cedis?|hryvnias?"
)
_NUMBER_WORD = "|".join([*_UNITS, *_TENS, "hundred", "thousand", "a", "and"])
_WORDS_NUMBER = re.compile(
    rf"\b((?:(?:{_NUMBER_WORD})[\s-]+)*(?:{'|'.join([*_UNITS, *_TENS, 'hundred', 'thousand'])}))"
    rf"(?:\s+(?:and\s+)?(\w+)\s+cents?)?[\s-]+(?:us\s+)?(?:{_CURRENCY_WORDS}|pound|usd)\b"
    r"(?:\s+and\s+([a-z]+(?:-[a-z]+)?)\s+cents?\b"
    # "twelve pounds fifty", "ten dollars ninety-nine": the cents said bare after the sum
    rf"|\s+((?:{'|'.join(_TENS)})(?:-[a-z]+)?)\b(?!\s+(?:days?|hours?|weeks?|percent|per cent|%))|)",
    re.IGNORECASE,
)
# cents after a point, or after a comma when two digits end the number ("€79,90"); thousands
# after a comma, a space or a point ("R1 299", "€2 499,00", "€1.299,00", "50.000 COP"; not
# "$40 100%"): no sum of money has three digits after its point
_THOUSANDS = (
    r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0]\d{3})+(?!\d|[,.]\d{3}|\s?%)|\d{1,3}(?:\.\d{3})+(?![\d.])"
    r"|\d{1,3}(?:'\d{3})+(?!\d)"  # "CHF 1'299.50"
)
_NUMBER = rf"({_THOUSANDS}|\d+)(?:\.(\d{{1,2}})|,(\d{{2}})(?!\d))?"
_SLANG_AMOUNTS = {"fiver": 5.0, "tenner": 10.0}
_SLANG_AMOUNT = re.compile(r"\b(fiver|tenner)\b", re.IGNORECASE)
# pence and cents alone: "knocked the 89p off", "89 cents back on your card" (never "3pm")
_SMALL_CHANGE = re.compile(r"(?<![\w.,$£€])(\d{1,2})(?:p|\s?cents?)\b(?![\w'-])", re.IGNORECASE)
# ISO codes of currencies a desk writes before or after a sum ("AED 1,299", "150 SAR")
_CODES = (
    r"usd|cad|aud|nzd|eur|gbp|inr|zar|php|aed|sar|qar|kwd|bhd|omr|sgd|hkd|myr|chf|sek|nok|dkk"
    r"|jpy|cny|rmb|mxn|brl|ngn|kes|ghs|pkr|idr|thb|pln|czk|egp|krw|cop|clp|ars|huf|ils|twd|vnd|bdt|lkr"
    # the Czech koruna's letters ("Kč 12 990")
    r"|kč"
    # and the local signs written as words: kronor and kroner ("300 kr"), złoty ("250 zł"),
    # the Turkish lira ("300 TL")
    r"|kr|zł|tl"
)

# A sum's sign ("$12", "€79,90") and a currency after a sum in words or by its code ("12
# dollars", "150 SAR"): the amounts below and the CS reader's patterns are written with them
MONEY_SIGN = r"(?:\$|£|€|₹|₱|₦|¥|₩|₺|₽|₪|₫|₵|₴)"
CURRENCY = rf"(?:{_CURRENCY_WORDS}|{_CODES})"

_AMOUNT_SYMBOL = re.compile(
    rf"(?:\b(?:{_CODES}|rs\.?|rm|kshs?|rp)\s?|(?:\b(?:us|ca|au|nz|c|a)(?=\$))?{MONEY_SIGN})\s?{_NUMBER}\b",
    re.IGNORECASE,
)
# rand, by its capital R before the sum ("R350", "R8,999"): never a model name ("R2-D2",
# "the EOS R100")
_AMOUNT_RAND = re.compile(
    rf"(?<![\w$.,])(?<![A-Z][A-Z] )R(?=\d{{3}}|\d{{1,3}}[, \u00a0]\d{{3}}){_NUMBER}(?![\w-])"
)
# "a refund of 12.50", "refunding the full 88.00": a sum with its cents beside a word of money
_AMOUNT_BARE = re.compile(
    r"\b(?:refund(?:ed|ing)?|credit(?:ed)?|reimburse(?:d)?|full|whole|amount|total|sum|value) (?:of |is |was |for )?"
    r"(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})(?!\d|\.\d| ?(?:%|am\b|pm\b|kg|lbs?\b|cm|mm|in\b|hours?|days?|h\b))",
    re.IGNORECASE,
)
# A whole sum with no sign where a chat desk's words make it money: "refund u 30 to ur card",
# "credit of 25", "add 10 credit", "25 in store credit", "40 on ur gift card balance", and a
# haggle's bare numbers: "can do 25 back", "i can go 90, cant go past that", "meet u in the
# middle at 40", "55 is the ceiling", "manager says 120 max", "ok ok 50.", "the full 80",
# "25% = 22" (never "refund 3 mugs", "refund in 5 days", "2 of the items", "order 4471 on
# your account", "send 2 back", "can do 2 more days")
_SIGNLESS = r"(?<![\w.,$£€#])(?<!order )(?<!item )(?<!number )(?<!no )(?<!ref )(?<!box )(?<!parcel )(?<!package )(?<!size )(\d{1,4})(?:\.(\d{2}))?(?![\d%]|[.,]\d)"
_ONTO_ACCOUNT = (
    r"(?:to|on|onto|into|in) (?:ur|your|the|their|his|her) (?:account|acct|card|balance|gift card|wallet|visa|amex"
    r"|mastercard|paypal|bank(?: account)?|debit card|credit card|original (?:card|payment(?: method)?)"
    r"|payment method)\b"
)
# what may follow a bare number that a haggle puts forward as money
_HAGGLED_ENDS = (
    rf"(?=\s*(?:$|[.,!?;:)]|[-–—]\s|(?:back|off|and|n|&|max|tops|but|thats?|that's|final|if|instead"
    rf"|now|today|tho|though|total|flat|refund(?:ed)?|credit(?:ed)?)\b|{_ONTO_ACCOUNT}|in (?:store )?credit\b))"
)
# the item sent or taken back is no sum: "send 2 back", "we'll take 3 back"
_NOT_MONEY_BACK = (
    r"(?<!send )(?<!sent )(?<!ship )(?<!take )(?<!took )(?<!bring )(?<!return )(?<!post )"
    r"(?<!mail )(?<!those )(?<!these )(?<!all )(?<!send the )(?<!sent the )(?<!take the )"
    r"(?<!took the )(?<!bring the )(?<!return the )(?<!post the )(?<!ship the )(?<!mail the )"
)
_AMOUNTS_SIGNLESS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "refund 25 right away", "refunded the full 88 instead", "a gift card for 45", "the
        # credit is 15 not 150" (never "refund in 5 days", "refund 3 mugs", "voucher for 2 items")
        r"\b(?:refund(?:ed|ing)?|credit(?:ed|ing)?(?: (?:u|you|back))?|(?:e-?)?gift ?card(?: for)?|voucher(?: for)?)"
        r"(?: (?:of|the|ur|your|is|was))?(?: (?:full|whole))? "
        rf"{_SIGNLESS}(?=\s*(?:$|[.,!?;:)]|to\b|on\b|as\b|back\b|in (?:store )?credit|in full\b|instead\b|now\b|today\b|(?:right|straight) away\b|not\b|onto\b|for (?:that|this|it)\b"
        r"|without\b|minus\b|less\b|once\b|approved\b|confirmed\b|processed\b|issued\b|is\b|has\b|will\b|going\b|goes\b|coming\b))",
        # a sum named as a voucher's or a refund's worth: "a 20 gift card", "ur 25 voucher",
        # "ur 95 refund"
        rf"\b(?:a|an|ur|your|the) {_SIGNLESS}(?= (?:(?:e-?)?gift ?card|(?:e-?)?voucher|gift certificate|coupon|refund)\b(?!s| requests?\b))",
        # the sum already on the table: "the 10 we mentioned", "the 15 i offered earlier"
        rf"\bthe {_SIGNLESS}(?= (?:i|we)(?:'ve| have)? (?:offered|mentioned|quoted|discussed|agreed|proposed|said)\b)",
        rf"\b(?:add(?:ed|ing)?|put(?:ting)?) {_SIGNLESS}(?= (?:in |of )?(?:store )?credit\b| {_ONTO_ACCOUNT})",
        # "40 credit", "15 in points on ur account", "12 as a voucher code", "20 store credit"
        rf"{_SIGNLESS}(?= (?:in |of |worth of |as (?:a |an )?)?(?:store |shop |account |acct )?(?:credit|(?:e-?)?voucher|(?:e-?)?gift ?card)\b| in points\b"
        rf"| {_ONTO_ACCOUNT}| back {_ONTO_ACCOUNT})",
        # money back or off: "can do 25 back", "14 back for the mug", "knock 60 off"
        rf"{_NOT_MONEY_BACK}{_SIGNLESS}(?= (?:back|off)\b(?! (?:to|in) (?:the )?(?:warehouse|us|store|shop)\b))",
        # a number put forward: "can do 25", "i can go 90", "could stretch to 30", "meet u in the
        # middle at 40", "max i can do is 40"
        r"\b(?:can|could|cn|will|would|happy to|able to)(?: (?:only|just|still|def|maybe|probably))?"
        r" (?:do|go(?: up)?(?: to)?|stretch(?: it)?(?: to)?|offer|manage|push(?: it)?(?: to)?|bump(?: it)?(?: up)? to)"
        rf" {_SIGNLESS}{_HAGGLED_ENDS}",
        rf"\bmeet (?:u|you)(?: in the middle| halfway)? (?:at|on) {_SIGNLESS}{_HAGGLED_ENDS}",
        rf"\b(?:max|maximum|most|best) (?:i|we) can (?:do|go|offer|give)(?: (?:u|you))? (?:is|would be) {_SIGNLESS}{_HAGGLED_ENDS}",
        # the number said to be the limit: "55 is the ceiling", "120 max", "18 stands", "45 and
        # we call it even"
        # ... or what CS can do: "25 is what i can approve", "35 i can do as credit"
        rf"{_SIGNLESS}(?= (?:is|'s) (?:the |my |our )?(?:absolute )?(?:ceiling|limit|max(?:imum)?|most|best|top|highest|final|last)\b"
        r"| (?:is what )?(?:i|we) can (?:do|offer|approve|give|manage|stretch to)\b"
        r"| (?:max|tops|maximum|final|stands)\b| (?:and|n|&) (?:(?:we |i )?call it|we're done|we are done)\b)",
        # a number said on its own after a concession: "ok ok 50.", "fine, 18. not going higher"
        r"(?:^|[.!?]\s+)\W*(?:(?:fine|ok(?:ay)?|k|alright|deal|go on(?: then)?)\W+){1,3}"
        rf"{_SIGNLESS}(?=\s*(?:$|[.!]|[-–—,]\s|(?:and|n) (?:we|call)\b))",
        # the whole sum: "full 140 back once the courier scans it", "the full 80"
        rf"\b(?:full|whole|entire) {_SIGNLESS}(?=\s*(?:$|[.,!?;:)]|back\b|refund|credit\b|goes\b|going\b|{_ONTO_ACCOUNT}|in (?:store )?credit))",
        # a sum worked out: "10% of 420 is 42", "25% = 22", "half is 70", "thats 22.50 on there"
        r"(?:\b(?:half|a third|a quarter)|\d ?%(?: of \d+)?)(?: back| off)? (?:is|=|comes to|would be) "
        rf"{_SIGNLESS}(?=\s*(?:$|[.,!?;:)]|back\b|off\b|so\b|{_ONTO_ACCOUNT}))",
        rf"\bthat(?:'?s| is| comes to| makes) {_SIGNLESS}(?=\s*(?:$|[.,!?;:)]|back\b|off\b|on there\b|{_ONTO_ACCOUNT}))",
        # a sum given: "40 refunded + pedals shipped"
        rf"{_SIGNLESS}(?= (?:refunded|credited|reimbursed)\b)",
        # a sum with its cents, which nothing but money has in a chat about an order: "the whole
        # order, 63.40, to ur card", "all 46.75" (never a time, a date such as "the delivery date
        # is 28.08", a size or a weight)
        r"(?<![\w.,$£€#/:-])(?<!at )(?<!by )(?<!on )(?<!until )(?<!till )(?<!since )(?<!before )"
        r"(?<!after )(?<!version )(?<!model )(?<!firmware )(?<!order )(?<!item )(?<!number )(?<!no )"
        r"(?<!ref )(?<!date is )(?<!today is )(?<!dated )(?<!date )(\d{1,4})\.(\d{2})"
        r"(?![\d%]|[.,:/-]\d| ?(?:am|pm|h|hrs?|hours?|mins?|kg|g|lbs?|oz|cm|mm|m|in(?! full)|inch(?:es)?|ml|l|ltrs?|km|mi|miles?|stars?|x|gb|mb|tb|w|v|ft|yds?)\b| ?[\"'″′])",
    )
)
_AMOUNT_AFTER = re.compile(
    rf"(?<![\w.,]){_NUMBER}[\s-]?{CURRENCY}\b",
    re.IGNORECASE,
)
# "179,99 $", "50$", "1.299,00 €", "1 960 ₽": the symbol after the number, the cents after a
# point or a comma
_AMOUNT_SYMBOL_AFTER = re.compile(
    rf"(?<![\w.,])({_THOUSANDS}|\d+)(?:[.,](\d{{2}}))?\s?{MONEY_SIGN}(?!\s?\d)"
)
_PERCENT = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?(?:%|per ?cent\b|pct\b)", re.IGNORECASE)
_PERCENT_WORDS = re.compile(
    rf"\b((?:(?:{'|'.join([*_UNITS, *_TENS, 'hundred', 'a', 'and'])})[\s-]+)+)per ?cent\b",
    re.IGNORECASE,
)
_SHARE_WORDS = {
    "half": 50.0,
    "a quarter": 25.0,
    "one quarter": 25.0,
    "a third": 33.33,
    "one third": 33.33,
    "a fifth": 20.0,
    "one fifth": 20.0,
    "a tenth": 10.0,
    "three quarters": 75.0,
    "two thirds": 66.67,
}
_SHARE = re.compile(
    # never an ordinal: "we won't be sending a third", "a third time", "a third replacement"
    r"(?<!send )(?<!sending )(?<!sent )(?<!ship )(?<!shipping )(?<!for )\b("
    + "|".join(sorted(_SHARE_WORDS, key=len, reverse=True))
    + r")\b(?!\s+(?:an?\s+)?(?:hour|day|week|time|replacement|one|parcel|package|attempt|order))",
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
_SMALL = "a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|\\d{1,3}"
_DATE_AGO = re.compile(rf"\b({_SMALL})\s+(day|week)s?\s+ago\b")
_DURATION = re.compile(
    rf"\b(?:(?:{_SMALL})\s*(?:-|to|or)\s*)?({_SMALL})\s*(?:-\s*)?"
    r"(business|working|calendar)?\s*(day|hour|hr|week)s?\b",
    re.IGNORECASE,
)


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


def blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans (order ids) with spaces so their digits are not read as amounts or dates."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _add_unique(items: list, value: object) -> None:  # type: ignore[type-arg]
    if value not in items:
        items.append(value)


# ---------------------------------------------------------------- amounts and shares


@dataclass(frozen=True)
class Amount:
    """A money amount and where it stands in the text."""

    value: float
    start: int
    end: int


def words_to_number(words: str) -> float | None:
    """'one hundred and twenty-five' -> 125; None when the words are not a number."""
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("and", "a", ""):
            continue  # "a hundred" is a hundred: "hundred" and "thousand" count at least one
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def mask_amounts(text: str, placeholder: str) -> str:
    """The text with every sum written with a sign, a code or a currency word ("$12.50",
    "AED 1,299", "40 dollars") replaced by `placeholder`."""
    for regex in (_AMOUNT_SYMBOL, _AMOUNT_RAND, _AMOUNT_AFTER):
        text = regex.sub(placeholder, text)
    return text


def find_amount_spans(text: str) -> list[Amount]:
    """Money amounts ($12, 12.50 dollars, USD 1,299.00, forty dollars, a tenner), in order of mention."""
    text = normalize(text)
    found: list[Amount] = []
    for regex in (_AMOUNT_SYMBOL, _AMOUNT_RAND, _AMOUNT_AFTER, _AMOUNT_BARE):
        for m in regex.finditer(text):
            _add_amount(found, Amount(_signed_sum(m), m.start(), m.end()))
    for amount in _signless_sums(text):
        _add_amount(found, amount)
    for m in _AMOUNT_SYMBOL_AFTER.finditer(text):
        _add_amount(found, Amount(_signed_sum(m), m.start(), m.end()))
    for m in _SLANG_AMOUNT.finditer(text):
        _add_amount(found, Amount(_SLANG_AMOUNTS[m.group(1).lower()], m.start(), m.end()))
    for m in _SMALL_CHANGE.finditer(text):
        _add_amount(found, Amount(int(m.group(1)) / 100, m.start(), m.end()))
    for m in _WORDS_NUMBER.finditer(text):
        value = words_to_number(m.group(1))
        if value is not None:
            said_cents = m.group(2) or m.group(3) or m.group(4)
            cents = words_to_number(said_cents) if said_cents else None
            _add_amount(found, Amount(round(value + (cents or 0) / 100, 2), m.start(), m.end()))
    return sorted(found, key=lambda a: a.start)


def _digits(whole: str) -> str:
    """A sum's whole part without its thousands separators."""
    return re.sub(r"[,. '\u00a0]", "", whole)


def with_signs(text: str) -> str:
    """The text with a sign before every sum a chat desk writes without one ("can do 25 back"
    -> "can do $25 back"), so patterns written for sums with a sign read them. The sign says
    only that the number is money, not which currency."""
    for start in sorted({amount.start for amount in _signless_sums(text)}, reverse=True):
        text = text[:start] + "$" + text[start:]
    return text


@lru_cache(maxsize=4096)  # a reading asks for the sums of one text several times
def _signless_sums(text: str) -> tuple[Amount, ...]:
    """The sums written without a sign ("can do 25 back"), never inside a sum that has its
    sign already ("R4 999 to your card" is not "R4 $999"). Where the text writes its sums with
    a sign, a bare number is a sum only where it repeats one of them ("I paid 25 dollars, want
    the 25 back"; not the 11 beside "$95.00")."""
    signed = [
        m
        for r in (_AMOUNT_SYMBOL, _AMOUNT_RAND, _AMOUNT_AFTER, _AMOUNT_SYMBOL_AFTER)
        for m in r.finditer(text)
    ]
    values = {_signed_sum(m) for m in signed}
    sums = []
    for regex in _AMOUNTS_SIGNLESS:
        for m in regex.finditer(text):
            value = _value(m.group(1), m.group(2))
            inside = any(s.start() < m.start(1) < s.end() for s in signed)
            if not inside and (not values or value in values):
                sums.append(Amount(value, m.start(1), m.end()))
    return tuple(sums)


def _value(whole: str, cents: str | None) -> float:
    return round(float(_digits(whole) + "." + (cents or "0")), 2)


def _signed_sum(m: re.Match[str]) -> float:
    """The value of a sum matched with its sign: the whole part, then the cents (the second
    group, or the third where the pattern has one)."""
    return _value(m.group(1), m.group(2) or (m.group(3) if m.re.groups > 2 else None))


def _add_amount(found: list[Amount], amount: Amount) -> None:
    if 0 < amount.value <= 1_000_000 and all(
        amount.end <= a.start or amount.start >= a.end for a in found
    ):
        found.append(amount)


def find_amounts(text: str) -> list[float]:
    """The money amounts of a text, in order of mention."""
    return [a.value for a in find_amount_spans(text)]


def find_percent(text: str) -> float | None:
    """The first share stated as a percentage or in words ("half", "a quarter")."""
    text = normalize(text)
    hits: list[tuple[int, float]] = []
    for m in _PERCENT.finditer(text):
        value = float(m.group(1))
        if 0 < value <= 100:
            hits.append((m.start(), value))
    for m in _SHARE.finditer(text):
        hits.append((m.start(), _SHARE_WORDS[m.group(1).lower()]))
    for m in _PERCENT_WORDS.finditer(text):
        value = words_to_number(m.group(1))
        if value is not None and 0 < value <= 100:
            hits.append((m.start(), value))
    return min(hits)[1] if hits else None


# Durations that are not the time a remedy takes: a window, an age, a delay, a wait, how
# long a label or voucher stays valid ("outside the 30-day window", "after 60 days",
# "arrived four days late", "valid for 14 days", "you've got 30 days to send it back")
_NOT_TIMING_BEFORE = re.compile(
    r"\b(?:after|over|past|outside|beyond|first|more than|longer than|older than|delayed by"
    r"|late by|of|lasted|for|valid for|expires? in|(?:you've|you have) got|you have"
    r"|waiting|waited|took|spent|since|almost|nearly)"
    r"\s+(?:the\s+|a\s+|another\s+|only\s+|about\s+|around\s+|just\s+|over\s+)?$"
)
_NOT_TIMING_AFTER = re.compile(
    r"^\s*(?:(?:-|return|returns|refund|money-back|money back|price|cooling-off|cooling off|exchange"
    r"|free|trial|replacement|satisfaction)\s*)*(?:window|period|policy|guarantee|trial|limit"
    r"|ago|late|old|overdue|delay|wait|early|in transit)\b"
)
# the customer's deadline, not ours: "send it back within 14 days", "drop it at any Post
# Office within 14 days", "please use it within 10 days"
_CUSTOMER_DEADLINE = re.compile(
    r"(?:\b(?:send|post|ship|mail|bring)(?:\s+(?:it|them|this|both|the|your|that)(?:\s+\w+){0,2}?)?\s+back"
    r"|\bget (?:it|them|the \w+) back to us"
    r"|\b(?:drop|hand)(?:\s+(?:it|them|this|the|your|that)(?:\s+\w+){0,2}?)?(?:\s+(?:off|in))?"
    r"|\b(?:return|use)\s+(?:it|them|this|both|the|your|that)(?:\s+\w+){0,2}?"
    r"|\bbe returned|\bcome back|\bbe back with us)"
    r"(?:\s+(?:to us|at|to(?! your| you\b)|in)\b[^,;:.!?]{0,30}?)?\s+within\s+(?:the\s+next\s+)?$"
)


def find_days(text: str) -> int | None:
    """A stated time to complete, in days: the upper end of a range; hours rounded up.

    Durations said of something else (a window, an age, a delay, the customer's deadline to
    send something back, how long a label stays valid) are not the remedy's time."""
    best: int | None = None
    text = normalize(text).lower()
    for m in _DURATION.finditer(text):
        before = text[max(0, m.start() - 60) : m.start()]
        if (
            _NOT_TIMING_BEFORE.search(before)
            or _NOT_TIMING_AFTER.search(text[m.end() : m.end() + 40])
            or _CUSTOMER_DEADLINE.search(before)
        ):
            continue
        count = _small_number(m.group(1))
        if count is None:
            continue
        unit = m.group(3)
        days = -(-count // 24) if unit in ("hour", "hr") else count * (7 if unit == "week" else 1)
        best = days if best is None else max(best, days)
    return best


def _small_number(raw: str) -> int | None:
    raw = raw.lower()
    if raw.isdigit():
        return int(raw)
    if raw in ("a", "an"):
        return 1
    value = words_to_number(raw)
    return int(value) if value is not None else None


# ---------------------------------------------------------------- dates


def find_dates(text: str, today: date) -> list[date]:
    """Dates written as ISO, US numeric, month names, or "N days ago"; never after tomorrow."""
    found: list[tuple[int, date]] = []
    text = normalize(text).lower()
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
        count = _small_number(m.group(1)) or 0
        found.append(
            (m.start(), today - timedelta(days=count * (7 if m.group(2) == "week" else 1)))
        )
    if "yesterday" in text:
        found.append((text.index("yesterday"), today - timedelta(days=1)))
    unique: list[date] = []
    for _, day in sorted(found):
        _add_unique(unique, day)
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
