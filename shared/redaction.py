"""Personal-data redaction for log lines: patterns for what has a shape, a registry for the rest.

Emails, phone numbers, card numbers and street addresses have a recognisable shape and
are masked by pattern. Names have none: the fleet keeps them out of logs by habit (log
ids, never a customer's words or record) and, as a safety net, a service that reads a
customer's record registers the record's values with `register_customer`; every
registered value is masked wherever it appears, case-insensitively, whole words only.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# A run of digits with the separators phone and card numbers are written with; classified below.
_NUMBER_RUN = re.compile(r"(?<![\w.@/:#+-])\+?\(?\d(?:[\d().-]| (?=[\d(]))*\d\)?(?![\w@])")
_KEEP = (
    re.compile(r"\d{3}-\d{7}-\d{7}"),  # the retailer's order id: not personal data
    re.compile(r"\d{4}-\d{2}-\d{2}"),  # an ISO date
    re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"),  # an IPv4 address
    re.compile(r"\d+\.\d+"),  # an amount, a duration, a version
)

_STREET_TYPES = (
    "St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Pl|Place|"
    "Ter|Terrace|Sq|Square|Pkwy|Parkway|Hwy|Highway|Cir|Circle|Trl|Trail|Row|Close|Crescent|"
    "Plaza|Alley|Loop"
)
_LOCALITY = r"(?:,?\s+(?:Apt|Suite|Unit|#)\.?\s*\w+)?(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2})?(?:,\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?"
ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'-]*\s){1,3}"
    rf"(?:{_STREET_TYPES})\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?{_LOCALITY}"
    r"|\b\d{1,6}[A-Za-z]?,?\s+(?i:rue|avenue|boulevard|chemin|via|viale|calle|avenida|rua)\s+(?:[\w'-]+\s?){1,4}"
    r"|\b[A-Z][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee)\s+\d{1,4}[a-z]?\b"
)


def _mask_number(match: re.Match[str]) -> str:
    """Call a digit run a card or a phone number by its length, unless it is a known safe shape."""
    run = match.group(0)
    if any(pattern.fullmatch(run) for pattern in _KEEP):
        return run
    digits = sum(c.isdigit() for c in run)
    if 13 <= digits <= 19 and not run.startswith("+"):
        return "[card]"
    if 7 <= digits <= 15:
        return "[phone]"
    return run


class SensitiveValues:
    """A bounded, thread-safe set of known personal values (names, addresses) to mask."""

    def __init__(self, limit: int = 2000, min_length: int = 3) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._min_length = min_length
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._stale = False

    def add(self, *values: str | None) -> None:
        """Remember values to mask; the oldest are forgotten past the limit."""
        with self._lock:
            for value in values:
                key = " ".join((value or "").split()).casefold()
                if not self._min_length <= len(key) <= 300:
                    continue
                self._stale |= key not in self._values
                self._values[key] = None
                self._values.move_to_end(key)
            while len(self._values) > self._limit:
                self._values.popitem(last=False)

    def clear(self) -> None:
        """Forget every value (tests)."""
        with self._lock:
            self._values.clear()
            self._pattern, self._stale = None, False

    def mask(self, text: str) -> str:
        """Replace every registered value in `text` with `[redacted]`."""
        if self._stale:
            with self._lock:  # compiled lazily: a burst of registrations compiles once
                self._pattern, self._stale = self._compile(list(self._values)), False
        pattern = self._pattern
        return pattern.sub("[redacted]", text) if pattern else text

    @staticmethod
    def _compile(values: list[str]) -> re.Pattern[str] | None:
        if not values:
            return None
        # A trie of the values as one regex: thousands of names cost one pass, not one each.
        return re.compile(r"(?<!\w)" + _trie_regex([_units(v) for v in values]) + r"(?!\w)", re.I)


def _units(value: str) -> list[str]:
    """A value as regex units: each character escaped, any whitespace run as `\\s+`."""
    units: list[str] = []
    for index, word in enumerate(value.split()):
        units += ([r"\s+"] if index else []) + [re.escape(c) for c in word]
    return units


def _trie_regex(sequences: list[list[str]]) -> str:
    """One regex matching any of the unit sequences, longest alternative first."""
    branches: dict[str, list[list[str]]] = {}
    ends = False
    for sequence in sequences:
        if sequence:
            branches.setdefault(sequence[0], []).append(sequence[1:])
        else:
            ends = True
    if not branches:
        return ""
    alternatives = [head + _trie_regex(tails) for head, tails in branches.items()]
    group = "(?:" + "|".join(alternatives) + ")"
    return group + "?" if ends else group


SENSITIVE = SensitiveValues()


def register_sensitive(*values: str | None) -> None:
    """Mask these exact values (and nothing shorter than 3 characters) in every later log line."""
    SENSITIVE.add(*values)


def register_customer(customer: Mapping[str, Any]) -> None:
    """Mask a customer record's name (whole and each part), email, phone and address."""
    name = str(customer.get("name") or "")
    parts: Iterable[str] = name.split() if len(name.split()) > 1 else ()
    fields = ("name", "email", "phone", "address")
    register_sensitive(*(str(customer.get(f) or "") for f in fields), *parts)


def redact(text: str) -> str:
    """Mask registered values, emails, card and phone numbers and street addresses in `text`."""
    text = EMAIL.sub("[email]", text)  # first: a registered name inside an email stays one email
    text = SENSITIVE.mask(text)
    text = ADDRESS.sub("[address]", text)
    return _NUMBER_RUN.sub(_mask_number, text)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, tuples), keeping its shape."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value
